import { describe, expect, it } from 'vitest';
import type { QueryResult } from '../../core/ports/query-engine.ts';
import type { CompleteRead } from '../../core/ports/round-log.ts';
import { withDeletesMissingFromReads } from '../../loader/complete-reads.ts';

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
/** The deletes added, as `[id, lsn, seq, commit ts]`. */
const added = (result: QueryResult, before: number) =>
  result.rows.slice(before).map((row) => [row[0], row[3], row[4], row[5], row[2]]);

describe('a complete read of a fact table', () => {
  it('deletes at its LSN a key the warehouse holds as current and the read lacks, after the read rows', () => {
    const rows = window(version(2, 'r', 500, 0));

    const { result, added: count } = withDeletesMissingFromReads(
      'fact_payment',
      rows,
      [read(500, 1)],
      ['1', '2'],
    );

    expect(count).toBe(1);
    expect(added(result, 1)).toEqual([['1', '500', '1', '2024-03-02 08:00:00.250', 'd']]);
  });

  it('deletes a key the batch inserted before the read, but not one deleted before it or changed after it', () => {
    const rows = window(
      version(3, 'c', 400),
      version(4, 'c', 410),
      version(4, 'd', 420),
      version(5, 'c', 600),
      version(2, 'r', 500, 0),
    );

    const { result } = withDeletesMissingFromReads('fact_payment', rows, [read(500, 1)], []);

    expect(added(result, 5)).toEqual([['3', '500', '1', '2024-03-02 08:00:00.250', 'd']]);
  });

  it('deletes every current key when the read found the table empty, and nothing without a read', () => {
    const empty = window();

    expect(
      added(withDeletesMissingFromReads('fact_payment', empty, [read(500, 0)], ['1']).result, 0),
    ).toEqual([['1', '500', '0', '2024-03-02 08:00:00.250', 'd']]);
    expect(withDeletesMissingFromReads('fact_payment', empty, [], ['1']).result.rows).toEqual([]);
  });

  it('applies two reads in LSN order, a key deleted by the first not deleted again by the second', () => {
    const rows = window(version(2, 'r', 500, 0), version(2, 'r', 700, 0));

    const { result } = withDeletesMissingFromReads('fact_payment', rows, [read(700, 1), read(500, 1)], ['1']);

    expect(added(result, 2)).toEqual([['1', '500', '1', '2024-03-02 08:00:00.250', 'd']]);
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

  it('keeps one row per key: a missing key’s older version becomes the delete, a key changed after the read stays', () => {
    // Design 1 was changed before the read and is missing from it; design 2 is in the read; design 3 is current
    // in the warehouse, missing from the read and changed after it (its latest version is newer than the read);
    // design 4 is current in the warehouse only and missing from the read.
    const rows: QueryResult = {
      columns: DESIGN,
      rows: [latest(1, 'u', 400), latest(2, 'r', 500), latest(3, 'c', 600)],
    };

    const { result, added: count } = withDeletesMissingFromReads(
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
