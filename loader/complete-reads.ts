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
 *
 * The window and the warehouse's current keys are both read in ascending key order, so they are merged a key at
 * a time, as a merge join: what is held is one batch of each and one key's versions, whatever the table's size.
 */
import { csvRecord, lineFields } from '../core/csv-record.ts';
import type { LineResult } from '../core/ports/query-engine.ts';
import type { CompleteRead } from '../core/ports/round-log.ts';
import { LAKE_TABLES } from '../core/schema/lake-tables.ts';
import { isFactTable } from '../core/schema/warehouse-tables.ts';
import type { QueriedTable } from './load-batch.ts';

/** One window row: its record and the version fields the merge orders and resolves it by. */
interface Row {
  readonly line: string;
  readonly op: string | null;
  readonly lsn: bigint;
  readonly seq: number;
}

/** How many deletes the reads added (complete once the window was read to its end). */
export interface AddedDeletes {
  added: number;
}

/**
 * `window` (one star table's window, in ascending key order, each key's rows together, as its query returns
 * them) with a delete at each complete read of the table for every key current just before the read and absent
 * from it, in key order, each key's rows by `_lsn` and `_seq`. `currentKeys` are the keys the warehouse holds as
 * current at the previous cut, in ascending order, a batch at a time; `reads` are the table's complete reads
 * inside the window, in any order. The deletes added are counted in `options.counted`; the rows come out in
 * batches of about the window's, a batch of `options.batchRows` at most where only deletes come out.
 *
 * A fact's window holds every version, so the delete is added beside them. A dimension's holds the latest
 * version of each key only (`queries/loader/dim_*.sql`) and stays so: a key whose latest version is at or
 * after the read is current by that version (the read's own row, or a change after it), and a missing key's
 * older version is replaced by the delete.
 */
export async function* withDeletesMissingFromReads(
  table: QueriedTable,
  window: AsyncIterable<LineResult>,
  reads: readonly CompleteRead[],
  currentKeys: AsyncIterable<readonly string[]>,
  options: { readonly counted: AddedDeletes; readonly batchRows: number },
): AsyncGenerator<LineResult> {
  const ordered = [...reads].sort((a, b) => compareKeys(a.lsn, b.lsn));
  const keys = keyCursor(currentKeys);
  let columns: readonly string[] = [];
  let fields: ReturnType<typeof lineFields> | undefined;
  let resolve = (_key: string, rows: Row[], _current: boolean) => rows;
  let group: { key: bigint; rows: Row[] } | undefined;
  let out: string[] = [];
  const emit = (rows: readonly Row[]) => {
    for (const row of rows) out.push(row.line);
  };
  // Moves the warehouse's current keys below `key` (all of them without one), absent from the window, to `out`
  // as far as a batch; true when it stopped for the batch to be handed out.
  const keysBelow = async (key: bigint | undefined): Promise<boolean> => {
    for (let next = await keys.peek(); next !== undefined; next = await keys.peek()) {
      if (key !== undefined && next >= key) return false;
      if (out.length >= options.batchRows) return true;
      emit(resolve(String(next), [], true));
      keys.take();
    }
    return false;
  };
  const handOut = (): LineResult => {
    const lines = out;
    out = [];
    return { columns, lines };
  };
  // One key's window rows done: the warehouse's keys below it first, then its own, resolved.
  async function* closeGroup(done: { key: bigint; rows: Row[] }) {
    while (await keysBelow(done.key)) yield handOut();
    const current = (await keys.peek()) === done.key;
    if (current) keys.take();
    emit(resolve(String(done.key), done.rows, current));
  }
  const keyColumn = LAKE_TABLES[table].keyColumn;
  for await (const batch of window) {
    if (fields === undefined) {
      columns = batch.columns;
      fields = lineFields(columns, [keyColumn, '_op', '_lsn', '_seq']);
      resolve = keyResolver(table, columns, ordered, options.counted);
    }
    for (const line of batch.lines) {
      const [keyText, op, lsn, seq] = fields.read(line);
      const key = BigInt(keyText ?? '0');
      if (group !== undefined && key !== group.key) {
        // Without a current key of the warehouse's below it (the usual case), a key closes without waiting.
        const next = keys.peekNow();
        if (next === undefined || (next !== WAIT && next >= group.key)) {
          const current = next === group.key;
          if (current) keys.take();
          emit(resolve(String(group.key), group.rows, current));
        } else yield* closeGroup(group);
        group = undefined;
      }
      group ??= { key, rows: [] };
      group.rows.push({
        line,
        op: op ?? null,
        lsn: BigInt(lsn ?? '0'),
        seq: Number(seq ?? 0),
      });
    }
    if (out.length > 0) yield handOut();
  }
  if (group !== undefined) yield* closeGroup(group);
  while (await keysBelow(undefined)) yield handOut();
  yield handOut();
}

/** One key's rows with the deletes its reads imply, by `_lsn` and `_seq`. */
function keyResolver(
  table: QueriedTable,
  columns: readonly string[],
  reads: readonly CompleteRead[],
  counted: AddedDeletes,
): (key: string, rows: Row[], current: boolean) => Row[] {
  const latestOnly = !isFactTable(table);
  const at = (name: string) => columns.indexOf(name);
  const [keyAt, opAt, lsnAt, seqAt, tsAt] = [
    at(LAKE_TABLES[table].keyColumn),
    at('_op'),
    at('_lsn'),
    at('_seq'),
    at('_commit_ts'),
  ];
  return (key, source, current) => {
    if (reads.length === 0) return source;
    const rows = [...source];
    for (const read of reads) {
      const lsn = BigInt(read.lsn);
      let inRead = false;
      // The key's newest version before the read (without one, the warehouse's current keys count as live).
      let newest: number | undefined;
      rows.forEach((row, index) => {
        if (latestOnly ? row.lsn >= lsn : row.lsn === lsn && row.op === 'r') inRead = true;
        if (row.lsn >= lsn) return;
        const before = newest === undefined ? undefined : rows[newest];
        if (!before || row.lsn > before.lsn || (row.lsn === before.lsn && row.seq > before.seq))
          newest = index;
      });
      const live = newest === undefined ? current : rows[newest]?.op !== 'd';
      if (!live || inRead) continue;
      const values: (string | null)[] = columns.map(() => null);
      values[keyAt] = key;
      values[opAt] = 'd';
      values[lsnAt] = read.lsn;
      // After every row of the read (they are numbered from 0), so it never shares one's position.
      values[seqAt] = String(read.rows);
      values[tsAt] = lakeTimestamp(read.commitTs);
      const row: Row = { line: csvRecord(values), op: 'd', lsn, seq: read.rows };
      if (latestOnly && newest !== undefined) rows[newest] = row;
      else rows.push(row);
      counted.added++;
    }
    return rows.length > 1 ? rows.sort((x, y) => compareKeys(x.lsn, y.lsn) || x.seq - y.seq) : rows;
  };
}

/** {@link keyCursor}'s `peekNow` when the next key is in a batch not yet fetched. */
const WAIT = Symbol('wait');

/** Ascending keys from batches, looked at one at a time. */
function keyCursor(batches: AsyncIterable<readonly string[]>) {
  const iterator = batches[Symbol.asyncIterator]();
  let batch: readonly string[] = [];
  let index = 0;
  let done = false;
  let parsed: { readonly index: number; readonly key: bigint } | undefined;
  const keyAt = (): bigint | undefined => {
    if (parsed?.index === index) return parsed.key;
    const text = batch[index];
    if (text === undefined) return undefined;
    parsed = { index, key: BigInt(text) };
    return parsed.key;
  };
  return {
    async peek(): Promise<bigint | undefined> {
      while (!done && index >= batch.length) {
        const next = await iterator.next();
        if (next.done) done = true;
        else [batch, index, parsed] = [next.value, 0, undefined];
      }
      return done ? undefined : keyAt();
    },
    /** The next key if it can be known without fetching a batch, else {@link WAIT}. */
    peekNow(): bigint | undefined | typeof WAIT {
      if (done) return undefined;
      return index < batch.length ? keyAt() : WAIT;
    },
    take(): void {
      index++;
    },
  };
}

function compareKeys(a: string | bigint, b: string | bigint): number {
  const [x, y] = [BigInt(a), BigInt(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** ISO-8601 UTC as the lake's `YYYY-MM-DD HH:MM:SS.mmm` (loader/load-batch.ts `isoUtc` is the inverse). */
function lakeTimestamp(iso: string): string {
  return new Date(iso).toISOString().replace('T', ' ').slice(0, 23);
}
