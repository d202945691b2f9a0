/**
 * @module
 * A loader run's figures as metric points: rows loaded, inferred members, warehouse lag, end-to-end latency,
 * and lake lag per table (dimension `Table`). The Lambda publishes them through Powertools Metrics.
 */
import { METRICS, TABLE_DIMENSION } from '../core/operations.ts';
import type { MetricPoint } from '../core/ports/metrics.ts';
import { changesAboveCut, warehouseLagSeconds } from '../core/warehouse-lag.ts';
import type { LoadOutcome } from './run-load.ts';

/**
 * The metric points of one run. Lake lag is published per table on every run that read watermarks, loaded
 * or not: a stalled stream holds the cut still, and its alarm must fire precisely then. Warehouse lag is 0
 * when the lake holds no change above the cut (an idle source is not late); a stalled stream hiding changes
 * is caught by its own lake lag.
 */
export function loaderMetricPoints(outcome: LoadOutcome, now = Date.now()): MetricPoint[] {
  const cut = outcome.status === 'loaded' ? outcome.toCut : outcome.fromCut;
  const metrics: MetricPoint[] = [];
  if (cut?.commitTs) {
    metrics.push({
      name: METRICS.warehouse.lagSeconds,
      unit: 'Seconds',
      value: warehouseLagSeconds(cut, changesAboveCut(outcome.watermarks, cut.lsn), now) ?? 0,
    });
  }
  if (outcome.status === 'loaded') {
    const rows = Object.values(outcome.rowsWritten).reduce((sum, n) => sum + (n ?? 0), 0);
    metrics.push({ name: METRICS.warehouse.rowsLoaded, unit: 'Count', value: rows });
    metrics.push({
      name: METRICS.warehouse.inferredMembers,
      unit: 'Count',
      value: outcome.inferredMembers.length,
    });
    if (outcome.latency) {
      metrics.push({ name: METRICS.endToEnd.p50Seconds, unit: 'Seconds', value: outcome.latency.p50 });
      metrics.push({ name: METRICS.endToEnd.p95Seconds, unit: 'Seconds', value: outcome.latency.p95 });
      metrics.push({ name: METRICS.endToEnd.maxSeconds, unit: 'Seconds', value: outcome.latency.max });
    }
  }
  for (const watermark of outcome.watermarks) {
    if (!watermark.emittedAt) continue;
    const emitted = Date.parse(`${watermark.emittedAt.replace(' ', 'T')}Z`);
    metrics.push({
      name: METRICS.lake.lagSeconds,
      unit: 'Seconds',
      value: Math.max(0, (now - emitted) / 1000),
      dimensions: { [TABLE_DIMENSION]: watermark.table },
    });
  }
  return metrics;
}
