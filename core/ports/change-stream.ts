/**
 * @module
 * ChangeStream: where the reader puts change events (Firehose on AWS, the local Firehose offline).
 */
import type { ChangeEvent } from '../change-event.ts';

/** What a successful put reports. */
export interface PutReport {
  /** Events accepted (each exactly once in this count, however many times it was sent). */
  readonly eventCount: number;
  /** Service records used (several events may share one record). */
  readonly recordCount: number;
  /** Bytes sent, including retries. */
  readonly byteCount: number;
  /** Records sent again after a partial failure or throttling. */
  readonly retryCount: number;
}

/**
 * A sink for change events, one delivery stream per source table.
 *
 * Contract:
 * - **Durability.** `put` resolves only once every given event has been accepted by a durable store (Firehose
 *   accepted it, or the local Firehose wrote it to its spool and fsynced). Only then may the reader acknowledge
 *   the source transaction. If `put` rejects, nothing of the batch may be treated as accepted, though some
 *   events may have been; they will be sent again.
 * - **Delivery.** At least once: retries and restarts can deliver an event twice. Consumers dedupe on
 *   `(table, key, lsn, seq)`.
 * - **Ordering.** None across calls or inside one; order is restored from `lsn` and `seq` at load time.
 * - **Routing.** Each event goes to the stream of its `table`; a watermark is put once per stream.
 * - **Backpressure.** `put` may wait while too many bytes are in flight; callers await it before reading more.
 *
 * @example
 * const report = await stream.put(events);
 * await source.acknowledge(commitEndLsn); // safe only now
 */
export interface ChangeStream {
  put(events: readonly ChangeEvent[]): Promise<PutReport>;
  /** Waits for everything in flight, then releases connections. */
  close(): Promise<void>;
}
