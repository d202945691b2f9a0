/**
 * @module
 * A fact window read in key ranges. Each fact query (`queries/loader/fact_*.sql`) sorts its window by key, then
 * `_lsn`, `_seq`, after ranking the copies at-least-once delivery left: DuckDB sorts a whole window of millions
 * of versions past its `memory_limit` (core/memory-bounds.ts), where it spills or fails for want of memory, and
 * its time grows faster than the window. Read one key range after another instead, each of about
 * `rangeRows` versions, every range's sort fits in memory, the ranges together return the same rows in the same
 * order (an order's versions all share its key), and the time grows with the rows. Each range's query skips the
 * Parquet row groups whose key statistics lie outside it.
 */
import type { QueryEngine, QueryParameter } from '../core/ports/query-engine.ts';

/** Keys `from` to `to`, both included. */
export interface KeyRange {
  readonly from: bigint;
  readonly to: bigint;
}

/** A window's lowest and highest key and its versions (copies included), or null when it is empty. */
export interface KeySpan {
  readonly min: bigint;
  readonly max: bigint;
  readonly versions: number;
}

/** Every key a window query may return (the lake's keys are integers): the window read whole. */
export const EVERY_KEY: KeyRange = { from: -(2n ** 63n), to: 2n ** 63n - 1n };

/**
 * Ranges of equal width covering `span`, as many as it takes for each to hold about `rangeRows` versions if the
 * keys are spread evenly (sequences are: a source numbers its orders in turn). One range, {@link EVERY_KEY},
 * for an empty window, one that fits, or when `rangeRows` is undefined (an engine that sorts a window in one
 * piece at no extra cost, such as Athena, which bills each query for the data it scans).
 */
export function keyRanges(span: KeySpan | null, rangeRows: number | undefined): KeyRange[] {
  if (span === null || rangeRows === undefined || span.versions <= rangeRows) return [EVERY_KEY];
  const count = BigInt(Math.ceil(span.versions / rangeRows));
  const keys = span.max - span.min + 1n;
  const width = (keys + count - 1n) / count;
  const ranges: KeyRange[] = [];
  for (let from = span.min; from <= span.max; from += width) {
    const to = from + width - 1n;
    ranges.push({ from, to: to < span.max ? to : span.max });
  }
  return ranges;
}

/**
 * A key span query's one row (`key_min`, `key_max`, `versions`) as a {@link KeySpan}; null when the window is
 * empty (no minimum).
 */
export async function readKeySpan(
  engine: QueryEngine,
  sql: string,
  parameters: readonly QueryParameter[],
): Promise<KeySpan | null> {
  const result = await engine.query(sql, parameters);
  const at = (name: string) => result.columns.indexOf(name);
  const row = result.rows[0];
  const [min, max, versions] = [row?.[at('key_min')], row?.[at('key_max')], row?.[at('versions')]];
  if (min == null || max == null) return null;
  return { min: BigInt(min), max: BigInt(max), versions: Number(versions ?? 0) };
}

/**
 * The batches of `ranges` read one after another, the next range's query started only once the previous one is
 * read to its end (so one range is sorted, and one batch held, at a time).
 */
export async function* batchesByKeyRange<T>(
  ranges: readonly KeyRange[],
  readRange: (range: KeyRange) => AsyncIterable<T>,
): AsyncGenerator<T> {
  for (const range of ranges) yield* readRange(range);
}
