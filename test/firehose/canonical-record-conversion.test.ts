import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../core/change-event.ts';
import { LAKE_TABLES, type LakeTable, lakeColumns } from '../../core/schema/lake-tables.ts';
import {
  canonicalPlan,
  readCanonicalBytes,
  readCanonicalLines,
} from '../../firehose/canonical-record-conversion.ts';
import { columnReader } from '../../firehose/column-readers.ts';
import { type ConversionResult, recordConverter } from '../../firehose/format-conversion.ts';
import { type ParquetCell, writeLakeParquetColumns } from '../../lake/parquet-writer.ts';
import { lakeRowJson } from '../../transform/lake-row-json.ts';
import { readParquet, salesOrderEvent } from './firehose-fixtures.ts';

/** A staff change as the reader emits it, with the names given (they become dim_staff's strings). */
function staffEvent(id: number, firstName: string, lastName: string, op: 'c' | 'u' | 'd' = 'c'): ChangeEvent {
  const row = {
    staff_id: id,
    first_name: firstName,
    last_name: lastName,
    department_id: 3,
    email_address: `${firstName.toLowerCase()}@terrifictotes.com`,
    created_at: '2022-11-03 14:20:51.563',
    last_updated: '2022-11-03 14:20:51.563',
  };
  const meta = { lsn: String(7000 + id), seq: id, xid: 12, commit_ts: '2022-11-03T14:20:51.563Z' };
  if (op === 'd') return { table: 'staff', op, key: { staff_id: id }, row: null, ...meta };
  if (op === 'u')
    return { table: 'staff', op, key: { staff_id: id }, row, unchanged: ['email_address'], ...meta };
  return { table: 'staff', op, key: { staff_id: id }, row, ...meta };
}

/** Lines as the transformation writes them (the fast path's input). */
function lines(events: readonly ChangeEvent[]): string {
  return events.map((event) => `${lakeRowJson(event)}\n`).join('');
}

/** The same objects, JSON-equivalent but spaced, so that only the general path reads them. */
function spaced(text: string): string {
  return text.replaceAll('{"', '{ "');
}

function convert(table: LakeTable, text: string): { result: ConversionResult; columns: ParquetCell[][] } {
  const converter = recordConverter(table);
  const columns = converter.emptyColumns();
  const result = converter.convertInto(Buffer.from(text), columns);
  return { result, columns };
}

/** What one scanner did with a record: its row count and cells, or the error it threw. */
type ScanOutcome = { rows: number | undefined; cells: ParquetCell[][] } | { error: string };

function scan(table: LakeTable, text: string, scanner: 'text' | 'bytes'): ScanOutcome {
  const columns = lakeColumns(table);
  const plan = canonicalPlan(
    columns.map((column) => column.name),
    columns.map(columnReader),
  );
  const cells: ParquetCell[][] = columns.map(() => []);
  try {
    const rows =
      scanner === 'text'
        ? readCanonicalLines(text, plan, cells)
        : readCanonicalBytes(Buffer.from(text), text, plan, cells);
    return { rows, cells };
  } catch (error) {
    return { error: String(error) };
  }
}

/** The text scanner's row count, after checking that the byte scanner does the same with an ASCII record. */
function fastPath(table: LakeTable, text: string): number | undefined {
  const outcome = scan(table, text, 'text');
  if (Buffer.byteLength(text) === text.length) expect(scan(table, text, 'bytes')).toEqual(outcome);
  if ('error' in outcome) throw new Error(outcome.error);
  return outcome.rows;
}

const STAFF = LAKE_TABLES.dim_staff;
const NAMES: readonly [string, string][] = [
  ['Jeremie', 'Franey'],
  ['Zoë', 'Ångström'],
  ['Chloé 🦊', 'N\u00e1n'],
  ['O"Brien', 'back\\slash'],
  ['tab\there', 'line\u2028sep'],
  ['\u0001', '}{"x":1}'],
];

describe('the conversion of the transformation output lines', () => {
  it('reads what the transformation writes on the fast path, with the cells the general path gives', () => {
    const sales = lines([1, 2, 3].map((id) => salesOrderEvent(id, '2022-11-03T14:20:52.186Z', `${id}.05`)));
    expect(fastPath(LAKE_TABLES.fact_sales_order, sales)).toBe(3);
    expect(convert(LAKE_TABLES.fact_sales_order, sales)).toEqual(
      convert(LAKE_TABLES.fact_sales_order, spaced(sales)),
    );
    const staff = lines([staffEvent(1, 'Jeremie', 'Franey'), staffEvent(2, 'Zoë', 'Ångström', 'u')]);
    expect(fastPath(STAFF, staff)).toBe(2);
    const deleted = lines([staffEvent(3, 'Axel', 'Fahey', 'd')]);
    expect(fastPath(STAFF, deleted)).toBe(1);
  });

  it('reads any string exactly as JSON.parse does, escaped ones through the general path', () => {
    const text = lines(NAMES.map(([first, last], index) => staffEvent(index + 1, first, last)));
    const { result, columns } = convert(STAFF, text);
    expect(result).toEqual({ ok: true, rows: NAMES.length });
    expect(columns[1]).toEqual(NAMES.map(([first]) => first));
    expect(columns[2]).toEqual(NAMES.map(([, last]) => last));
    expect(convert(STAFF, text)).toEqual(convert(STAFF, spaced(text)));
  });

  it('writes the cells it reads to Parquet that hyparquet reads back as the names and metadata sent', async () => {
    const events = NAMES.map(([first, last], index) => staffEvent(index + 1, first, last));
    const { columns } = convert(STAFF, lines(events));
    const rows = await readParquet(writeLakeParquetColumns(STAFF, columns));
    expect(rows.map((row) => [row['first_name'], row['last_name'], row['_lsn'], row['_seq']])).toEqual(
      NAMES.map(([first, last], index) => [first, last, BigInt(7001 + index), index + 1]),
    );
  });

  const canonical = lines([staffEvent(1, 'Jeremie', 'Franey'), staffEvent(2, 'Bobbie', 'Sons')]);
  it.each([
    ['a space after a colon', canonical.replace('"staff_id":1', '"staff_id": 1')],
    ['a blank line', canonical.replace('\n', '\n\n')],
    ['CRLF line ends', canonical.replaceAll('\n', '\r\n')],
    ['a fraction', canonical.replace('"staff_id":1', '"staff_id":1.0')],
    ['an exponent', canonical.replace('"staff_id":1', '"staff_id":1e0')],
    [
      'a key out of lake order',
      canonical.replace(
        '"first_name":"Jeremie","last_name":"Franey"',
        '"last_name":"Franey","first_name":"Jeremie"',
      ),
    ],
    ['a missing key', canonical.replace('"last_name":"Franey",', '')],
    ['an extra key', canonical.replace('{"staff_id":1', '{"staff_id":1,"extra":2')],
    ['a key in another case', canonical.replace('"staff_id":1', '"Staff_ID":1')],
    ['two objects on one line', canonical.replace('}\n{', '}{')],
    ['an escape', canonical.replace('Jeremie', 'Jer\\u0065mie')],
    ['a leading zero', canonical.replace('"staff_id":1', '"staff_id":01')],
  ])('leaves %s to the general path, which reads it as before', (_, text) => {
    expect(fastPath(STAFF, text)).toBeUndefined();
    expect(convert(STAFF, text)).toEqual(convert(STAFF, spaced(text)));
  });

  it.each([
    ['a trailing comma', canonical.replace('}\n', ',}\n')],
    ['an unclosed string', canonical.replace('"Franey"', '"Franey')],
    ['a raw newline in a string', canonical.replace('Jeremie', 'Jere\nmie')],
    ['a raw control character in a string', canonical.replace('Jeremie', 'Jere\u0001mie')],
    ['a bare minus', canonical.replace('"staff_id":1', '"staff_id":-')],
    ['a truncated literal', canonical.replace('"_unchanged":null', '"_unchanged":nul')],
    ['trailing text', `${canonical}x`],
    ['an empty record', ''],
  ])('refuses %s as the general path does', (_, text) => {
    expect(fastPath(STAFF, text)).toBeUndefined();
    const { result, columns } = convert(STAFF, text);
    expect(result).toMatchObject({ ok: false, errorCode: 'DataFormatConversion.ParseError' });
    expect(columns.every((column) => column.length === 0)).toBe(true);
  });

  it('reports a record that does not parse as unparseable even when an earlier line holds a refused value', () => {
    // Line 1 is canonical but its _seq is not a 32-bit integer; line 2 is not JSON at all. The record has
    // always failed as a parse error (it is parsed whole before any value is read), never as malformed data.
    const refused = canonical.replace('"_seq":1', '"_seq":4294967296');
    const broken = refused.replace('"Bobbie"', 'Bobbie');
    expect(convert(STAFF, broken).result).toMatchObject({
      ok: false,
      errorCode: 'DataFormatConversion.ParseError',
    });
    const malformed = convert(STAFF, refused);
    expect(malformed.result).toMatchObject({ ok: false, errorCode: 'DataFormatConversion.MalformedData' });
    expect(malformed).toEqual(convert(STAFF, spaced(refused)));
  });

  it('keeps the rows of earlier records when a record falls back or fails', () => {
    const converter = recordConverter(STAFF);
    const columns = converter.emptyColumns();
    expect(converter.convertInto(Buffer.from(canonical), columns)).toEqual({ ok: true, rows: 2 });
    const halfCanonical = lines([staffEvent(3, 'Axel', 'Fahey'), staffEvent(4, 'O"Brien', 'Haskell')]);
    expect(converter.convertInto(Buffer.from(halfCanonical), columns)).toEqual({ ok: true, rows: 2 });
    const failing = lines([staffEvent(5, 'Grove', 'Sons')]).replace('"_seq":5', '"_seq":"five"');
    expect(converter.convertInto(Buffer.from(failing), columns)).toMatchObject({ ok: false });
    expect(columns[0]).toEqual([1, 2, 3, 4]);
    expect(columns[1]).toEqual(['Jeremie', 'Bobbie', 'Axel', 'O"Brien']);
  });

  it('reads integers of any length as JSON.parse does', () => {
    for (const digits of [
      '0',
      '-0',
      '7',
      '-2147483648',
      '123456789012345',
      '9007199254740993',
      '-12345678901234567890',
    ]) {
      const text = canonical.replace('"staff_id":1', `"staff_id":${digits}`);
      expect(convert(STAFF, text), digits).toEqual(convert(STAFF, spaced(text)));
    }
  });

  it('scans an ASCII record on its bytes exactly as on its text, for every record a byte away from a canonical one', () => {
    const record = lines([
      staffEvent(1, 'Jeremie', 'Franey'),
      staffEvent(2, 'Bobbie', 'Sons', 'u'),
      staffEvent(3, 'Axel', 'Fahey', 'd'),
    ]);
    const sales = lines([1, 2].map((id) => salesOrderEvent(id, '2022-11-03T14:20:52.186Z', `${id}.05`)));
    const replacements = [
      '',
      '"',
      '\\',
      ',',
      ':',
      '{',
      '}',
      '\n',
      ' ',
      '0',
      '1',
      '-',
      '.',
      'e',
      'n',
      't',
      'x',
      '\u0001',
    ];
    let compared = 0;
    for (const [table, text] of [
      [STAFF, record],
      [LAKE_TABLES.fact_sales_order, sales],
    ] as const) {
      expect(scan(table, text, 'bytes')).toEqual(scan(table, text, 'text'));
      for (let at = 0; at < text.length; at++) {
        for (const replacement of replacements) {
          const mutated = text.slice(0, at) + replacement + text.slice(at + 1);
          expect(scan(table, mutated, 'bytes'), mutated).toEqual(scan(table, mutated, 'text'));
          compared++;
        }
        const inserted = `${text.slice(0, at)}7${text.slice(at)}`;
        expect(scan(table, inserted, 'bytes'), inserted).toEqual(scan(table, inserted, 'text'));
      }
    }
    expect(compared).toBeGreaterThan(10_000);
  });

  it('scans a record with a non-ASCII character on its text (the byte scanner declines it)', () => {
    const text = lines([staffEvent(1, 'Zoë', 'Ångström')]);
    expect(scan(STAFF, text, 'bytes')).toEqual({ rows: undefined, cells: lakeColumns(STAFF).map(() => []) });
    expect(convert(STAFF, text).columns[1]).toEqual(['Zoë']);
  });
});
