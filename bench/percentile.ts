/**
 * @module
 * The nearest-rank percentile the benchmarks report (p50, p95 of latencies and commit times).
 */

/** The q-quantile (0 to 1) of ascending `sorted` by nearest rank; NaN when empty. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}
