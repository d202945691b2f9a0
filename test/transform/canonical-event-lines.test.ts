import { describe, expect, it } from 'vitest';
import { type ChangeEvent, lakePartitionOf, type SourceValue } from '../../core/change-event.ts';
import { SOURCE_TABLE_NAMES, SOURCE_TABLES, type SourceTableName } from '../../core/schema/source-tables.ts';
import { writeCanonicalRow } from '../../transform/canonical-event-lines.ts';
import { parseChangeEvent } from '../../transform/change-event-parsing.ts';
import { transformBatch } from '../../transform/firehose-transformation.ts';
import { LakeRowBytes } from '../../transform/lake-row-bytes.ts';
import { lakeRowJson } from '../../transform/lake-row-json.ts';
import { COMMIT_TS, directPutEvent, LSN, SOURCE_ROWS } from './change-event-fixtures.ts';

/** A seeded generator (mulberry32), so a failure names a case that can be run again. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Values of every kind either path could read differently: canonical, refused, and in between. */
const VALUES: readonly SourceValue[] = [
  null,
  0,
  -0,
  7,
  -7,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31),
  -(2 ** 31) - 1,
  1.5,
  1e21,
  2 ** 53,
  true,
  false,
  '',
  'Grove Haskell 12',
  '"quoted"',
  'back\\slash',
  'tab\tnew\nline',
  '\u0000\u001f',
  'é ü 漢字 😀',
  '\u2028\u2029',
  '\ud800',
  '0',
  '-0',
  '007',
  '123456789012345678',
  '2.43',
  '-2.43',
  '2.4',
  '-0.00',
  '0.00',
  '-0.05',
  '00.10',
  '12345678.90',
  '123456789.00',
  '1e2',
  'true',
  '2022-11-03',
  '2022-02-29',
  '2024-02-29',
  '0000-01-01',
  '2022-13-01',
  '2022-11-03 14:20:52.186',
  '2022-11-03 14:20:52.18',
  '2022-11-03 14:20:52.1',
  '2022-11-03 14:20:52',
  '2022-11-03 14:20:52.',
  '2022-11-03T14:20:52.186',
  '2022-11-03 24:00:00',
  '2022-11-03 14:20:52.1864',
  '1899-12-31 23:59:59.999',
  'GBP',
  'gbp',
  'XXX',
  'GBPX',
];

const COMMIT_TIMES = [
  COMMIT_TS,
  '2022-11-04T00:00:00.000Z',
  '2022-11-03T14:20:52.18Z',
  '2022-11-03T14:20:52Z',
  '1899-12-31T23:59:59.999Z',
  '2022-02-29T00:00:00.000Z',
  '2022-11-03T24:00:00.000Z',
  '2022-11-03T14:60:52.186Z',
  '2022-11-03 14:20:52.186Z',
  '2022-11-03T14:20:52.186+',
  '9999-12-31T23:59:59.999Z',
];
const LSNS = [LSN, '0', '007', '123456789012345678', '1234567890123456789', '18446744073709551615'];
const SEQS = [0, 1, 2 ** 31 - 1, 2 ** 31];
const XIDS: readonly (number | null | undefined)[] = [901, null, undefined, 0, 2 ** 53 - 1, 123456789012345];

/**
 * An event of `table` as the reader builds it (reader/change-events.ts, its fields in that order), its
 * row canonical but for each column replaced with probability `spoil` by one of {@link VALUES}.
 */
function generatedEvent(table: SourceTableName, pick: () => number, spoil: number): ChangeEvent {
  const choose = <T>(values: readonly T[]): T => values[Math.floor(pick() * values.length)] as T;
  const columns = SOURCE_TABLES[table].columns.map((column) => column.name);
  const primaryKey = SOURCE_TABLES[table].primaryKey;
  const row: Record<string, SourceValue> = {};
  for (const column of columns) {
    row[column] = pick() < spoil ? choose(VALUES) : (SOURCE_ROWS[table][column] ?? null);
  }
  const key = { [primaryKey]: row[primaryKey] ?? null };
  const base = {
    lsn: pick() < spoil ? choose(LSNS) : LSN,
    seq: pick() < spoil ? choose(SEQS) : Math.floor(pick() * 8),
    xid: pick() < spoil ? choose(XIDS) : 901,
    commit_ts: pick() < spoil ? choose(COMMIT_TIMES) : COMMIT_TS,
  };
  const op = choose(['c', 'r', 'u', 'u', 'd'] as const);
  if (op === 'd') return { table, op, key, row: null, ...base } as ChangeEvent;
  if (op === 'u' && pick() < 0.5) {
    const unchanged = columns.filter(() => pick() < 0.3);
    for (const column of unchanged) delete row[column];
    return { table, op, key, row, unchanged, ...base } as ChangeEvent;
  }
  return { table, op, key, row, ...base } as ChangeEvent;
}

/** What the general path makes of a line: the transformation's row and partition, or a refusal. */
function generalOutcome(line: string): { row: string; table: string; dt: string } | 'refused' {
  try {
    const event = parseChangeEvent(JSON.parse(line));
    return { row: `${lakeRowJson(event)}\n`, table: event.table, dt: lakePartitionOf(event) };
  } catch {
    return 'refused';
  }
}

/** What the fast path makes of a line, or undefined when it leaves it to the general path. */
function fastOutcome(line: string): { row: string; table: string; dt: string } | undefined {
  const bytes = Buffer.from(`{"pad":0}\n${line}\n{"pad":1}`, 'utf8');
  const start = bytes.indexOf(0x0a) + 1;
  const end = bytes.lastIndexOf(0x0a);
  const out = new LakeRowBytes(8);
  out.append('before\n');
  if (!writeCanonicalRow(bytes, start, end, out)) {
    expect(out.bytes.toString('utf8', 0, out.length), 'a declined line leaves the output as it was').toBe(
      'before\n',
    );
    return undefined;
  }
  return { row: out.bytes.toString('utf8', 7, out.length), table: out.table ?? '', dt: out.dt };
}

/** Asserts the fast path writes what the general path writes, or leaves the line to it; true if it took it. */
function expectSameAsGeneral(line: string): boolean {
  const fast = fastOutcome(line);
  if (fast === undefined) return false;
  expect(fast, line).toEqual(generalOutcome(line));
  return true;
}

describe('writeCanonicalRow', () => {
  it('writes the general path rows of canonical events of every table and kind', () => {
    const pick = random(1);
    for (const table of SOURCE_TABLE_NAMES) {
      for (let index = 0; index < 200; index++) {
        const line = JSON.stringify(generatedEvent(table, pick, 0));
        // Canonical by construction: the fast path must take every one of them, not only agree.
        expect(expectSameAsGeneral(line), line).toBe(true);
      }
    }
  });

  it('agrees with the general path, or leaves it the line, for events with values of every kind', () => {
    const pick = random(2);
    let taken = 0;
    let total = 0;
    for (const table of SOURCE_TABLE_NAMES) {
      for (let index = 0; index < 1500; index++) {
        if (expectSameAsGeneral(JSON.stringify(generatedEvent(table, pick, 0.15)))) taken++;
        total++;
      }
    }
    // Most spoilt events still have only canonical values where it matters; some take the general path.
    expect(taken).toBeGreaterThan(total / 10);
    expect(taken).toBeLessThan(total);
  });

  it('agrees on every value of every column, as the first, a middle and the key column', () => {
    for (const table of SOURCE_TABLE_NAMES) {
      for (const column of SOURCE_TABLES[table].columns) {
        for (const value of VALUES) {
          const row = { ...SOURCE_ROWS[table], [column.name]: value };
          const key = { [SOURCE_TABLES[table].primaryKey]: row[SOURCE_TABLES[table].primaryKey] ?? null };
          const event = { table, op: 'c', key, row, lsn: LSN, seq: 0, xid: 901, commit_ts: COMMIT_TS };
          expectSameAsGeneral(JSON.stringify(event));
          expectSameAsGeneral(
            JSON.stringify({ ...event, op: 'd', key: { [column.name]: value }, row: null }),
          );
        }
      }
    }
  });

  it('agrees whatever the order of fields and columns, which the general path ignores', () => {
    const pick = random(3);
    for (const table of SOURCE_TABLE_NAMES) {
      for (let index = 0; index < 100; index++) {
        const event = generatedEvent(table, pick, 0.05) as unknown as Record<string, unknown>;
        const shuffled = (object: Record<string, unknown>) =>
          Object.fromEntries(Object.entries(object).sort(() => pick() - 0.5));
        const { table: name, ...rest } = shuffled(event);
        const row = rest['row'];
        const line = JSON.stringify({
          table: name,
          ...rest,
          ...(row ? { row: shuffled(row as Record<string, unknown>) } : {}),
        });
        expectSameAsGeneral(line);
      }
    }
  });

  it('leaves the general path every line it cannot be sure of', () => {
    const event = JSON.stringify({
      table: 'currency',
      op: 'c',
      key: { currency_id: 1 },
      row: SOURCE_ROWS.currency,
      lsn: LSN,
      seq: 0,
      xid: 901,
      commit_ts: COMMIT_TS,
    });
    expect(fastOutcome(event)).toBeDefined();
    const others = [
      ` ${event}`,
      `${event} `,
      event.replace(',"op"', ' ,"op"'),
      event.replace('"c"', '"t"'),
      event.replace('"c"', '"w"'),
      event.replace('"seq":0', '"seq":0.0'),
      event.replace('"seq":0', '"seq":0e0'),
      event.replace('"xid":901', '"xid":901,"xid":902'),
      event.replace('"xid":901', '"xid":901,"dt":"2022-11-03"'),
      event.replace('"xid":901', '"xid":901,"extra":1'),
      event.replace('"GBP"', '"G\\u0042P"'),
      event.replace('"currency_id":1,', '"currency_id":1,"currency_id":2,'),
      event.replace('"currency_code"', '"currency_kode"'),
      event.replace('"currency_code":"GBP"', '"currency_code":["GBP"]'),
      event.replace('"key":{"currency_id":1}', '"key":{"currency_id":"1"}'),
      event.replace('"key":{"currency_id":1}', '"key":null'),
      event.replace(/"row":\{[^}]*\}/, '"row":null'),
      event.replace(/"row":\{[^}]*\}/, '"row":{}'),
      event.replace('"lsn":"24969464"', '"lsn":24969464'),
      event.slice(0, -1),
      `${event}}`,
      `{"table":"Currency"${event.slice(event.indexOf(','))}`,
      '',
      '{}',
    ];
    for (const line of others) {
      expect(fastOutcome(line), line).toBeUndefined();
      generalOutcome(line);
    }
  });

  it('agrees with the general path on every line a byte away from a canonical one', () => {
    const pick = random(4);
    const bytes = [
      '"',
      ',',
      ':',
      '{',
      '}',
      '[',
      ']',
      '0',
      '9',
      '-',
      '.',
      'e',
      'n',
      't',
      ' ',
      '\\',
      'a',
      '\u0001',
    ];
    for (const table of SOURCE_TABLE_NAMES) {
      const line = JSON.stringify(generatedEvent(table, pick, 0));
      for (let at = 0; at < line.length; at++) {
        const replaced = bytes[Math.floor(pick() * bytes.length)] as string;
        expectSameAsGeneral(line.slice(0, at) + line.slice(at + 1));
        expectSameAsGeneral(line.slice(0, at) + replaced + line.slice(at + 1));
        expectSameAsGeneral(line.slice(0, at) + replaced + line.slice(at));
      }
    }
  });
});

describe('transformBatch with the fast path', () => {
  it('answers a record of canonical, non-canonical and refused events as the general path would', () => {
    const pick = random(5);
    // One day: a second one fails the whole record (the case below).
    const events = Array.from({ length: 300 }, () => generatedEvent('sales_order', pick, 0.1)).map((event) =>
      /^(2022-11-04|9999)/.test(event.commit_ts) ? { ...event, commit_ts: COMMIT_TS } : event,
    );
    const lines = events.map((event, index) =>
      index % 7 === 0 ? JSON.stringify(event, null, 1).replaceAll('\n', '') : JSON.stringify(event),
    );
    const general = lines.map(generalOutcome);
    const data = Buffer.from(lines.map((line) => `${line}\n`).join(''), 'utf8').toString('base64');
    const { response, rejected } = transformBatch(directPutEvent([data]), { rejectEventsApart: true });
    const [record] = response.records;
    const accepted = general.filter((outcome) => outcome !== 'refused');
    expect(accepted.length).toBeGreaterThan(100);
    expect(record?.result).toBe('Ok');
    expect(Buffer.from(record?.data ?? '', 'base64').toString('utf8')).toBe(
      accepted.map((outcome) => outcome.row).join(''),
    );
    expect(rejected.map((event) => Buffer.from(event.data).toString('utf8'))).toEqual(
      lines.filter((_, index) => general[index] === 'refused').map((line) => `${line}\n`),
    );
  });

  it('reads byte order marks, carriage returns and blank lines of a record as the general path does', () => {
    const pick = random(6);
    const lines = Array.from({ length: 5 }, () => JSON.stringify(generatedEvent('design', pick, 0)));
    // A leading mark is dropped by the UTF-8 decoder; later ones stay, and JSON.parse refuses them.
    const text = `\ufeff${lines[0]}\n${lines[1]}\r\n  \n\n\ufeff${lines[2]}\n${lines[3]}\n${lines[4]}`;
    const data = Buffer.from(text, 'utf8').toString('base64');
    const { response, rejected } = transformBatch(directPutEvent([data]), { rejectEventsApart: true });
    const rows = [lines[0], lines[1], lines[3], lines[4]].map((line) => generalOutcome(line as string));
    expect(Buffer.from(response.records[0]?.data ?? '', 'base64').toString('utf8')).toBe(
      rows.map((outcome) => (outcome === 'refused' ? '' : outcome.row)).join(''),
    );
    expect(rejected.map((refusal) => [refusal.reason, Buffer.from(refusal.data).toString('utf8')])).toEqual([
      ['Record data is not JSON (event 3 of the record).', `\ufeff${lines[2]}\n`],
    ]);
  });

  it('still refuses the record whose canonical events span two days or name two tables', () => {
    const event = (table: SourceTableName, commit: string) =>
      JSON.stringify({
        table,
        op: 'c',
        key: {
          [SOURCE_TABLES[table].primaryKey]: SOURCE_ROWS[table][SOURCE_TABLES[table].primaryKey] ?? null,
        },
        row: SOURCE_ROWS[table],
        lsn: LSN,
        seq: 0,
        xid: 901,
        commit_ts: commit,
      });
    const data = (...lines: string[]) =>
      Buffer.from(lines.map((line) => `${line}\n`).join('')).toString('base64');
    const days = data(event('staff', COMMIT_TS), event('staff', '2022-11-04T00:00:00.000Z'));
    const tables = data(event('staff', COMMIT_TS), event('design', COMMIT_TS));
    const { response, failures, rejected } = transformBatch(directPutEvent([days, tables]), {
      rejectEventsApart: true,
    });
    expect(response.records.map((record) => record.result)).toEqual(['ProcessingFailed', 'Ok']);
    expect(failures[0]?.reason).toMatch(/span two commit dates/);
    expect(rejected.map((refusal) => refusal.reason)).toEqual([
      "Packed events name two tables (staff first); a record must hold one table's events.",
    ]);
  });
});
