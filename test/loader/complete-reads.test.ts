import { describe, expect, it } from 'vitest';
import { csvRecord, csvValues } from '../../core/csv-record.ts';
import type { QueryResult } from '../../core/ports/query-engine.ts';
import type { CompleteRead } from '../../core/ports/round-log.ts';
import { LAKE_TABLES } from '../../core/schema/lake-tables.ts';
import { withDeletesMissingFromReads } from '../../loader/complete-reads.ts';
import type { QueriedTable } from '../../loader/load-batch.ts';

const COLUMNS = ['payment_id', 'paid', '_op', '_lsn', '_seq', '_commit_ts', '_unchanged'];
const TS = '2024-03-01 10:00:00.000';

/** A payment version: `[id, op, lsn, seq]`. */
const version = (id: number, op: string, lsn: number, seq = 0) => [
  String(id),
  op === 'd' ? null : 'true',
  op,
  String(lsn),
  String(seq),
  TS,
  null,
];
const window = (...rows: (string | null)[][]): QueryResult => ({ columns: COLUMNS, rows });
const read = (lsn: number, rows: number): CompleteRead => ({
  table: 'fact_payment',
  lsn: String(lsn),
  commitTs: '2024-03-02T08:00:00.250Z',
  rows,
});
/** The deletes added, as `[id, lsn, seq, commit ts, op]`: the rows the window did not hold. */
const added = (result: QueryResult, input: QueryResult) => {
  const held = new Set(input.rows.map((row) => JSON.stringify(row)));
  return result.rows
    .filter((row) => !held.has(JSON.stringify(row)))
    .map((row) => [row[0], row[3], row[4], row[5], row[2]]);
};

/**
 * The window (ordered by key as its query orders it) and the warehouse's current keys merged through
 * withDeletesMissingFromReads, `batchRows` at a time, every batch it handed out collected.
 */
async function resolved(
  table: QueriedTable,
  window: QueryResult,
  reads: readonly CompleteRead[],
  currentKeys: readonly string[],
  batchRows = 1_000,
): Promise<{ result: QueryResult; added: number; batches: number[] }> {
  const keyAt = window.columns.indexOf(LAKE_TABLES[table].keyColumn);
  const rows = [...window.rows].sort((a, b) => Number(a[keyAt]) - Number(b[keyAt]));
  async function* windowBatches() {
    for (let i = 0; i === 0 || i < rows.length; i += batchRows)
      yield { columns: window.columns, lines: rows.slice(i, i + batchRows).map(csvRecord) };
  }
  async function* keyBatches() {
    for (let i = 0; i < currentKeys.length; i += batchRows) yield currentKeys.slice(i, i + batchRows);
  }
  const counted = { added: 0 };
  const out: (string | null)[][] = [];
  const batches: number[] = [];
  for await (const batch of withDeletesMissingFromReads(table, windowBatches(), reads, keyBatches(), {
    counted,
    batchRows,
  })) {
    batches.push(batch.lines.length);
    out.push(...batch.lines.map((line) => csvValues(line, batch.columns.length)));
  }
  return { result: { columns: window.columns, rows: out }, added: counted.added, batches };
}

describe('a complete read of a fact table', () => {
  it('deletes at its LSN a key the warehouse holds as current and the read lacks, after the read rows', async () => {
    const rows = window(version(2, 'r', 500, 0));

    const { result, added: count } = await resolved('fact_payment', rows, [read(500, 1)], ['1', '2']);

    expect(count).toBe(1);
    expect(added(result, rows)).toEqual([['1', '500', '1', '2024-03-02 08:00:00.250', 'd']]);
  });

  it('deletes a key the batch inserted before the read, but not one deleted before it or changed after it', async () => {
    const rows = window(
      version(3, 'c', 400),
      version(4, 'c', 410),
      version(4, 'd', 420),
      version(5, 'c', 600),
      version(2, 'r', 500, 0),
    );

    const { result } = await resolved('fact_payment', rows, [read(500, 1)], []);

    expect(added(result, rows)).toEqual([['3', '500', '1', '2024-03-02 08:00:00.250', 'd']]);
  });

  it('deletes every current key when the read found the table empty, and nothing without a read', async () => {
    const empty = window();

    expect(added((await resolved('fact_payment', empty, [read(500, 0)], ['1'])).result, empty)).toEqual([
      ['1', '500', '0', '2024-03-02 08:00:00.250', 'd'],
    ]);
    expect((await resolved('fact_payment', empty, [], ['1'])).result.rows).toEqual([]);
  });

  it('applies two reads in LSN order, a key deleted by the first not deleted again by the second', async () => {
    const rows = window(version(2, 'r', 500, 0), version(2, 'r', 700, 0));

    const { result } = await resolved('fact_payment', rows, [read(700, 1), read(500, 1)], ['1']);

    expect(added(result, rows)).toEqual([['1', '500', '1', '2024-03-02 08:00:00.250', 'd']]);
  });
});

describe('a complete read of a dimension', () => {
  const DESIGN = ['design_id', 'design_name', '_op', '_lsn', '_seq', '_commit_ts', '_unchanged'];
  /** A dimension window holds each key's latest version only: `[id, op, lsn]`. */
  const latest = (id: number, op: string, lsn: number) => [String(id), 'd', op, String(lsn), '0', TS, null];
  const designRead = (lsn: number, rows: number): CompleteRead => ({
    table: 'dim_design',
    lsn: String(lsn),
    commitTs: '2024-03-02T08:00:00.250Z',
    rows,
  });

  it('keeps one row per key: a missing key’s older version becomes the delete, a key changed after the read stays', async () => {
    // Design 1 was changed before the read and is missing from it; design 2 is in the read; design 3 is current
    // in the warehouse, missing from the read and changed after it (its latest version is newer than the read);
    // design 4 is current in the warehouse only and missing from the read.
    const rows: QueryResult = {
      columns: DESIGN,
      rows: [latest(1, 'u', 400), latest(2, 'r', 500), latest(3, 'c', 600)],
    };

    const { result, added: count } = await resolved(
      'dim_design',
      rows,
      [designRead(500, 1)],
      ['1', '3', '4'],
    );

    expect(count).toBe(2);
    expect(result.rows.map((row) => [row[0], row[2], row[3], row[4]])).toEqual([
      ['1', 'd', '500', '1'],
      ['2', 'r', '500', '0'],
      ['3', 'c', '600', '0'],
      ['4', 'd', '500', '1'],
    ]);
  });
});

describe('a complete read of a large table', () => {
  it('merges the window and the current keys a batch at a time, each key’s versions in commit order', async () => {
    // 1,000 payments: the even ones in the read, the odd ones current in the warehouse only (so deleted), every
    // tenth with a change after the read; merged 7 rows at a time.
    const versions: (string | null)[][] = [];
    const current: string[] = [];
    for (let id = 1; id <= 1_000; id++) {
      if (id % 2 === 0) versions.push(version(id, 'r', 500, id));
      else current.push(String(id));
      if (id % 10 === 0) versions.push(version(id, 'u', 600));
    }
    const rows = window(...versions);

    const {
      result,
      added: count,
      batches,
    } = await resolved('fact_payment', rows, [read(500, 1_000)], current, 7);

    expect(count).toBe(500);
    // A window batch, and the deletes of the keys between its rows (at most a batch of them before one is handed out).
    expect(Math.max(...batches)).toBeLessThanOrEqual(2 * 7);
    expect(result.rows).toHaveLength(rows.rows.length + 500);
    const order = result.rows.map((row) => [Number(row[0]), Number(row[3]), Number(row[4])]);
    expect(order).toEqual(
      [...order].sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number)),
    );
    expect(result.rows.filter((row) => row[2] === 'd').map((row) => row[0])).toEqual(current);
  });
});
