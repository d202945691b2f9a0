/**
 * @module
 * Test doubles of the operations ports: a Log and a MetricsPublisher that keep what they are given.
 */

import { METRIC_NAMESPACE } from '../core/operations.ts';
import { type Log, type LogEntry, type LogLevel, logWriting } from '../core/ports/log.ts';
import type { MetricPoint, MetricsPublisher } from '../core/ports/metrics.ts';

/** A log that keeps every entry at or above `minimum`, in order. */
export function memoryLog(minimum: LogLevel = 'DEBUG'): { readonly entries: LogEntry[]; readonly log: Log } {
  const entries: LogEntry[] = [];
  return { entries, log: logWriting((entry) => entries.push(entry), minimum) };
}

/** A point as a {@link memoryMetrics} publisher published it: under the namespace, with the service dimension. */
export interface MemoryPublishedPoint extends MetricPoint {
  readonly namespace: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly timestampMs: number;
}

/**
 * A metrics publisher for `service` that keeps every point in order: `points` as given, `published` as the
 * port's contract says they go out (namespace, `service` dimension plus the point's own, timestamp of the call).
 */
export function memoryMetrics(service = 'totesys-test'): {
  readonly points: MetricPoint[];
  readonly published: MemoryPublishedPoint[];
  readonly metrics: MetricsPublisher;
} {
  const points: MetricPoint[] = [];
  const published: MemoryPublishedPoint[] = [];
  const publish = (given: readonly MetricPoint[]): void => {
    const timestampMs = Date.now();
    points.push(...given);
    for (const point of given)
      published.push({
        ...point,
        namespace: METRIC_NAMESPACE,
        dimensions: { service, ...point.dimensions },
        timestampMs,
      });
  };
  return { points, published, metrics: { publish } };
}
