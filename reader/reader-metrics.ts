/**
 * @module
 * The reader's figures (README, Watching lag): slot lag in bytes, seconds behind the oldest unshipped commit,
 * events and bytes shipped, retries, plus its own buffered-bytes gauge. They go to the MetricsPublisher
 * (CloudWatch on Lambda) and are persisted in the StateStore for `status`.
 */

import { METRICS } from '../core/operations.ts';
import type { PutReport } from '../core/ports/change-stream.ts';
import type { MetricPoint } from '../core/ports/metrics.ts';
import { stateKey } from '../core/ports/state-store.ts';

/** StateStore key of the latest metrics snapshot. */
export const METRICS_STATE_KEY = stateKey<ReaderMetricsSnapshot>('reader/metrics');

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
  #published = { eventsShipped: 0, bytesShipped: 0, putRetries: 0 };

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
   * The figures as metric points: counters as deltas since the previous call (CloudWatch sums them), gauges
   * as they are now.
   */
  points(): MetricPoint[] {
    const deltas = {
      eventsShipped: this.eventsShipped - this.#published.eventsShipped,
      bytesShipped: this.bytesShipped - this.#published.bytesShipped,
      putRetries: this.putRetries - this.#published.putRetries,
    };
    this.#published = {
      eventsShipped: this.eventsShipped,
      bytesShipped: this.bytesShipped,
      putRetries: this.putRetries,
    };
    const names = METRICS.reader;
    return [
      { name: names.slotLagBytes, unit: 'Bytes', value: this.slotLagBytes ?? 0 },
      { name: names.lagSeconds, unit: 'Seconds', value: this.lagSeconds },
      { name: names.eventsShipped, unit: 'Count', value: deltas.eventsShipped },
      { name: names.bytesShipped, unit: 'Bytes', value: deltas.bytesShipped },
      { name: names.putRetries, unit: 'Count', value: deltas.putRetries },
    ];
  }
}
