/**
 * @module
 * A completed re-read is authoritative (README, "What it guarantees"): a table read whole from the source at
 * one exact point (core/ports/round-log.ts, `CompleteRead`) holds every row the table had there, so a key the
 * warehouse still holds as current, or a key the batch brings in before that point, that is absent from the
 * read was deleted at the source before it. Such a delete can be missing from the lake (it was in an object
 * that was quarantined or lost); the loader then adds it as a `d` version at the read's LSN, and the
 * warehouse applies it like any delete: a fact's is recorded (`pipeline.fact_deletion`, the `current_*` views
 * leave the order out), a dimension member goes unless a fact row references it (warehouse/dimension-writes.ts).
 * Changes after the read are untouched: a key inserted again later has a newer version, so it is current.
 */
import type { QueryResult } from '../core/ports/query-engine.ts';
import type { CompleteRead } from '../core/ports/round-log.ts';
import { LAKE_TABLES } from '../core/schema/lake-tables.ts';
import { isFactTable } from '../core/schema/warehouse-tables.ts';
import type { QueriedTable } from './load-batch.ts';

type Row = (string | null)[];

/**
 * `result` (one star table's window rows) with a delete at each complete read of the table for every key
 * current just before the read and absent from it. `currentKeys` are the keys the warehouse holds as current
 * at the previous cut; `reads` are the table's complete reads inside the window, in any order.
 *
 * A fact's window holds every version, so the delete is added beside them. A dimension's holds the latest
 * version of each key only (`queries/loader/dim_*.sql`) and stays so: a key whose latest version is at or
 * after the read is current by that version (the read's own row, or a change after it), and a missing key's
 * older version is replaced by the delete.
 */
export function withDeletesMissingFromReads(
  table: QueriedTable,
  result: QueryResult,
  reads: readonly CompleteRead[],
  currentKeys: readonly string[],
): { result: QueryResult; added: number } {
  if (reads.length === 0) return { result, added: 0 };
  const latestOnly = !isFactTable(table);
  const at = (name: string) => result.columns.indexOf(name);
  const [keyAt, opAt, lsnAt, seqAt, tsAt] = [
    at(LAKE_TABLES[table].keyColumn),
    at('_op'),
    at('_lsn'),
    at('_seq'),
    at('_commit_ts'),
  ];
  const rows: Row[] = result.rows.map((row) => [...row]);
  let added = 0;
  for (const read of [...reads].sort((a, b) => compareLsn(a.lsn, b.lsn))) {
    const lsn = BigInt(read.lsn);
    const inRead = new Set<string>();
    // Per key, the op of its newest version before the read (the warehouse's current keys count as live).
    const before = new Map<string, { lsn: bigint; seq: number; op: string | null; index: number }>();
    rows.forEach((row, index) => {
      const key = String(row[keyAt]);
      const rowLsn = BigInt(row[lsnAt] ?? '0');
      if (latestOnly ? rowLsn >= lsn : rowLsn === lsn && row[opAt] === 'r') inRead.add(key);
      if (rowLsn >= lsn) return;
      const seq = Number(row[seqAt] ?? 0);
      const newest = before.get(key);
      if (!newest || rowLsn > newest.lsn || (rowLsn === newest.lsn && seq > newest.seq))
        before.set(key, { lsn: rowLsn, seq, op: row[opAt] ?? null, index });
    });
    const live = new Set(currentKeys);
    for (const [key, newest] of before) {
      if (newest.op === 'd') live.delete(key);
      else live.add(key);
    }
    for (const key of live) {
      if (inRead.has(key)) continue;
      const row: Row = result.columns.map(() => null);
      row[keyAt] = key;
      row[opAt] = 'd';
      row[lsnAt] = read.lsn;
      // After every row of the read (they are numbered from 0), so it never shares one's position.
      row[seqAt] = String(read.rows);
      row[tsAt] = lakeTimestamp(read.commitTs);
      const older = before.get(key);
      if (latestOnly && older !== undefined) rows[older.index] = row;
      else rows.push(row);
      added++;
    }
  }
  return { result: { columns: result.columns, rows }, added };
}

function compareLsn(a: string, b: string): number {
  const [x, y] = [BigInt(a), BigInt(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** ISO-8601 UTC as the lake's `YYYY-MM-DD HH:MM:SS.mmm` (loader/load-batch.ts `isoUtc` is the inverse). */
function lakeTimestamp(iso: string): string {
  return new Date(iso).toISOString().replace('T', ' ').slice(0, 23);
}
