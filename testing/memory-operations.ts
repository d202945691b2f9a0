/**
 * @module
 * Test doubles of the operations ports: a Log and a MetricsPublisher that keep what they are given.
 */
import { type Log, type LogEntry, type LogLevel, logWriting } from '../core/ports/log.ts';
import type { MetricPoint, MetricsPublisher } from '../core/ports/metrics.ts';

/** A log that keeps every entry at or above `minimum`, in order. */
export function memoryLog(minimum: LogLevel = 'DEBUG'): { readonly entries: LogEntry[]; readonly log: Log } {
  const entries: LogEntry[] = [];
  return { entries, log: logWriting((entry) => entries.push(entry), minimum) };
}

/** A metrics publisher that keeps every point, in order. */
export function memoryMetrics(): { readonly points: MetricPoint[]; readonly metrics: MetricsPublisher } {
  const points: MetricPoint[] = [];
  return { points, metrics: { publish: (published) => points.push(...published) } };
}
