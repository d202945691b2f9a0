/**
 * @module
 * The reader's figures (architecture section 8): slot lag in bytes, seconds behind the oldest unshipped commit,
 * events and bytes shipped, retries, plus its own buffered-bytes gauge. They are logged as structured JSON
 * lines (CloudWatch embedded metric format on Lambda) and persisted in the StateStore for `status`.
 */

import { METRIC_NAMESPACE, METRICS } from '../core/operations.ts';
import type { PutReport } from '../core/ports/change-stream.ts';

/** StateStore key of the latest metrics snapshot. */
export const METRICS_STATE_KEY = 'reader/metrics';

/** A point-in-time copy of the reader's figures, as persisted and logged. */
export interface ReaderMetricsSnapshot {
  /** When the figures were taken (ISO-8601 UTC). */
  readonly at: string;
  readonly slotLagBytes: number | null;
  readonly lagSeconds: number;
  readonly eventsShipped: number;
  readonly bytesShipped: number;
  readonly recordsShipped: number;
  readonly putRetries: number;
  readonly transactions: number;
  readonly reconnects: number;
  readonly bufferedBytes: number;
  readonly peakBufferedBytes: number;
  /** The last durable LSN (decimal). */
  readonly durableLsn: string;
}

/** Mutable counters of one reader run. */
export class ReaderMetrics {
  eventsShipped = 0;
  bytesShipped = 0;
  recordsShipped = 0;
  putRetries = 0;
  transactions = 0;
  reconnects = 0;
  bufferedBytes = 0;
  peakBufferedBytes = 0;
  slotLagBytes: number | null = null;
  lagSeconds = 0;
  #logged = { eventsShipped: 0, bytesShipped: 0, putRetries: 0 };

  /** Adds one resolved put. */
  addReport(report: PutReport): void {
    this.eventsShipped += report.eventCount;
    this.bytesShipped += report.byteCount;
    this.recordsShipped += report.recordCount;
    this.putRetries += report.retryCount;
  }

  /** Updates the buffered-bytes gauge and its peak. */
  setBuffered(bytes: number): void {
    this.bufferedBytes = bytes;
    if (bytes > this.peakBufferedBytes) this.peakBufferedBytes = bytes;
  }

  snapshot(durableLsn: string, now = new Date()): ReaderMetricsSnapshot {
    return {
      at: now.toISOString(),
      slotLagBytes: this.slotLagBytes,
      lagSeconds: this.lagSeconds,
      eventsShipped: this.eventsShipped,
      bytesShipped: this.bytesShipped,
      recordsShipped: this.recordsShipped,
      putRetries: this.putRetries,
      transactions: this.transactions,
      reconnects: this.reconnects,
      bufferedBytes: this.bufferedBytes,
      peakBufferedBytes: this.peakBufferedBytes,
      durableLsn,
    };
  }

  /**
   * One log line. `emf` writes CloudWatch embedded metric format: counters as deltas since the previous line
   * (CloudWatch sums them), gauges as they are.
   */
  logLine(format: 'json' | 'emf', durableLsn: string, now = new Date()): Record<string, unknown> {
    const snapshot = this.snapshot(durableLsn, now);
    if (format === 'json') return { level: 'info', msg: 'reader metrics', ...snapshot };
    const deltas = {
      eventsShipped: this.eventsShipped - this.#logged.eventsShipped,
      bytesShipped: this.bytesShipped - this.#logged.bytesShipped,
      putRetries: this.putRetries - this.#logged.putRetries,
    };
    this.#logged = {
      eventsShipped: this.eventsShipped,
      bytesShipped: this.bytesShipped,
      putRetries: this.putRetries,
    };
    const names = METRICS.reader;
    return {
      _aws: {
        Timestamp: now.getTime(),
        CloudWatchMetrics: [
          {
            Namespace: METRIC_NAMESPACE,
            Dimensions: [[]],
            Metrics: [
              { Name: names.slotLagBytes, Unit: 'Bytes' },
              { Name: names.lagSeconds, Unit: 'Seconds' },
              { Name: names.eventsShipped, Unit: 'Count' },
              { Name: names.bytesShipped, Unit: 'Bytes' },
              { Name: names.putRetries, Unit: 'Count' },
            ],
          },
        ],
      },
      [names.slotLagBytes]: snapshot.slotLagBytes ?? 0,
      [names.lagSeconds]: snapshot.lagSeconds,
      [names.eventsShipped]: deltas.eventsShipped,
      [names.bytesShipped]: deltas.bytesShipped,
      [names.putRetries]: deltas.putRetries,
      durableLsn,
    };
  }
}
