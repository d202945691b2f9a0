/**
 * @module
 * The latency step's changes by when they became visible: p50, p95 and max per window of the step (10 s by
 * default), so that a latency that grows with the run's age, or a spike while compaction runs, shows instead of
 * being averaged into the step's one figure (bench/README.md, "The latency over a longer step").
 */
import type { QueryEngine } from '../core/ports/query-engine.ts';
import { LAKE_TABLE_NAMES } from '../core/schema/lake-tables.ts';
import { percentile } from './percentile.ts';

/** One change's latency and when the load that made it visible finished (epoch ms). */
export interface VisibleChange {
  readonly latencySeconds: number;
  readonly visibleAtMs: number;
}

/** A row of `pipeline.load_history`: the LSNs it loaded, `(from_lsn, to_lsn]`, and when it finished (epoch ms). */
export interface LoadSpan {
  readonly from_lsn: string | null;
  readonly to_lsn: string;
  readonly finished: string;
}

/**
 * Every change the lake holds in the span of `loads` (in load order, so their spans follow one another), each
 * once, with the latency of the load that made it visible: its finish minus the change's commit time. Once:
 * until a compaction's grace period ends, its merged objects and the objects they replace are both in the lake
 * (a change is one row of one lake table, named by its LSN and position).
 */
export async function visibleChanges(
  engine: QueryEngine,
  loads: readonly LoadSpan[],
): Promise<VisibleChange[]> {
  if (loads.length === 0) return [];
  const low = loads[0]?.from_lsn ?? '0';
  const union = LAKE_TABLE_NAMES.map(
    (t) =>
      `SELECT DISTINCT _lsn, _seq, epoch_ms(_commit_ts) AS ms FROM ${t} WHERE _op IN ('c','u','d') AND _lsn > CAST(? AS bigint)`,
  ).join(' UNION ALL ');
  const result = await engine.query(
    `SELECT * FROM (${union}) AS c`,
    LAKE_TABLE_NAMES.map(() => low),
  );
  const ends = loads.map((load) => BigInt(load.to_lsn));
  const changes: VisibleChange[] = [];
  for (const [lsnText, , msText] of result.rows) {
    const lsn = BigInt(lsnText ?? '0');
    // The first load whose span ends at or after the change's LSN (the spans are contiguous and ascending).
    let lo = 0;
    let hi = ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((ends[mid] as bigint) < lsn) lo = mid + 1;
      else hi = mid;
    }
    const load = loads[lo];
    if (!load) continue;
    const visibleAtMs = Number(load.finished);
    changes.push({ latencySeconds: (visibleAtMs - Number(msText)) / 1000, visibleAtMs });
  }
  return changes;
}

/**
 * One line per window from `startMs`: the window's changes and their p50, p95 and max latency, and the
 * compaction runs that finished in it (`compactionsAtMs`).
 */
export function latencyWindowLines(
  changes: readonly VisibleChange[],
  startMs: number,
  compactionsAtMs: readonly number[] = [],
  windowSeconds = 10,
): string[] {
  const windowMs = windowSeconds * 1000;
  const windows = new Map<number, number[]>();
  for (const change of changes) {
    const index = Math.max(0, Math.floor((change.visibleAtMs - startMs) / windowMs));
    const latencies = windows.get(index) ?? [];
    latencies.push(change.latencySeconds);
    windows.set(index, latencies);
  }
  return [...windows.keys()]
    .sort((a, b) => a - b)
    .map((index) => {
      const latencies = (windows.get(index) ?? []).sort((a, b) => a - b);
      const from = index * windowSeconds;
      const compactions = compactionsAtMs.filter(
        (at) => at >= startMs + index * windowMs && at < startMs + (index + 1) * windowMs,
      ).length;
      return (
        `  ${String(from).padStart(4)}–${String(from + windowSeconds).padEnd(4)} s  ${String(latencies.length).padStart(6)} changes  ` +
        `p50 ${percentile(latencies, 0.5).toFixed(2)} s  p95 ${percentile(latencies, 0.95).toFixed(2)} s  ` +
        `max ${(latencies.at(-1) ?? Number.NaN).toFixed(2)} s${compactions > 0 ? `  (a compaction run finished)` : ''}`
      );
    });
}
