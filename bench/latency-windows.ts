/**
 * @module
 * The latency step's changes by when they became visible: p50, p95 and max per window of the step (10 s by
 * default), so that a latency that grows with the run's age, or a spike while compaction runs, shows instead of
 * being averaged into the step's one figure (bench/README.md, "The latency over a longer step").
 */
import { percentile } from './percentile.ts';

/** One change's latency and when the load that made it visible finished (epoch ms). */
export interface VisibleChange {
  readonly latencySeconds: number;
  readonly visibleAtMs: number;
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
