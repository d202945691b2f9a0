/**
 * @module
 * A ChangeStream over Firehose `PutRecordBatch` (the AWS client or the local Firehose).
 *
 * Each event goes to its table's delivery stream. Events of the same table and commit date are packed into one
 * record as newline-terminated JSON (Firehose bills records in 5 KB steps). Records are batched within 500 per
 * call and 4 MiB per call. Only failed entries are retried, with exponential backoff and full jitter; a thrown
 * `ServiceUnavailableException` (throttling) retries the whole call. `put` resolves only when every record was
 * accepted, and waits while too many bytes are in flight, which is the backpressure that reaches the reader.
 *
 * An event larger than a Firehose record can never be shipped, however often it is retried (a deterministic
 * failure): with `setAside` it is handed there (the reader's dead letters, reader/unshippable-changes.ts) and
 * `put` resolves once both the records and the set-aside events are durable; without it `put` rejects with
 * {@link OversizedEventError}.
 */
import { type ChangeEvent, lakePartitionOf } from '../core/change-event.ts';
import type { FailureKind } from '../core/failure-kind.ts';
import { formatLsn } from '../core/lsn.ts';
import type { ChangeStream, PutReport } from '../core/ports/change-stream.ts';
import {
  DEFAULT_STREAM_PREFIX,
  deliveryStreamName,
  type FirehoseRecord,
  PUT_RECORD_BATCH_LIMITS,
  type RecordBatchPutter,
} from '../core/ports/record-batch-putter.ts';

/** Retry policy of failed records. */
export interface RetryPolicy {
  /** Attempts per record, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** Options of {@link FirehoseChangeStream}. */
export interface FirehoseChangeStreamOptions {
  readonly putter: RecordBatchPutter;
  /** @default 'totesys-' */
  readonly streamPrefix?: string;
  /** Pack events into records up to this size. @default 128 KiB */
  readonly recordTargetBytes?: number;
  /** Most record bytes in unresolved calls. @default 16 MiB */
  readonly maxInFlightBytes?: number;
  /** @default 8 attempts, 100 ms base, 5 s cap */
  readonly retry?: Partial<RetryPolicy>;
  /** Jitter source in [0, 1). */
  readonly random?: () => number;
  /** How to wait between attempts (tests pass one that resolves at once). */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Where events that can never be shipped go; resolves once they are durable there.
   * @default none: such an event makes `put` reject with {@link OversizedEventError}
   */
  readonly setAside?: (events: readonly UnshippableEvent[]) => Promise<void>;
}

/** An event that cannot be shipped, with its encoded size and why. */
export interface UnshippableEvent {
  readonly event: ChangeEvent;
  /** Bytes of its newline-terminated JSON line. */
  readonly bytes: number;
  /** Why, naming the table, LSN and seq (never a value). */
  readonly reason: string;
}

/** Records could not be delivered after every attempt, or the service rejected the call outright. */
export class ChangeStreamPutError extends Error {
  override readonly name = 'ChangeStreamPutError';
  /** Deterministic when the service refused the call itself (no such stream, not allowed, invalid). */
  readonly failureKind: FailureKind;

  constructor(message: string, options?: { cause?: unknown; failureKind?: FailureKind }) {
    super(message, { cause: options?.cause });
    this.failureKind = options?.failureKind ?? 'transient';
  }
}

/** An event larger than a Firehose record: sending it again fails the same way. */
export class OversizedEventError extends Error {
  override readonly name = 'OversizedEventError';
  readonly failureKind: FailureKind = 'deterministic';
}

/** Error names the service uses for throttling and transient failures. */
const RETRYABLE_ERRORS = new Set(['ServiceUnavailableException', 'ThrottlingException', 'InternalFailure']);

/** Error names of calls the service refused as such: the same call fails the same way. */
const DETERMINISTIC_ERRORS = new Set(['ResourceNotFoundException', 'InvalidArgumentException']);

const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 5000 };

interface Batch {
  readonly stream: string;
  readonly records: FirehoseRecord[];
  bytes: number;
  events: number;
}

/** {@link ChangeStream} over any {@link RecordBatchPutter}. */
export class FirehoseChangeStream implements ChangeStream {
  readonly #putter: RecordBatchPutter;
  readonly #prefix: string;
  readonly #recordTarget: number;
  readonly #maxInFlight: number;
  readonly #retry: RetryPolicy;
  readonly #random: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #setAside: ((events: readonly UnshippableEvent[]) => Promise<void>) | undefined;
  #inFlightBytes = 0;
  #waiters: (() => void)[] = [];
  #pending = new Set<Promise<unknown>>();

  constructor(options: FirehoseChangeStreamOptions) {
    this.#putter = options.putter;
    this.#prefix = options.streamPrefix ?? DEFAULT_STREAM_PREFIX;
    this.#recordTarget = Math.min(
      options.recordTargetBytes ?? 128 * 1024,
      PUT_RECORD_BATCH_LIMITS.maxRecordBytes,
    );
    this.#maxInFlight = options.maxInFlightBytes ?? 16 * 1024 * 1024;
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#setAside = options.setAside;
  }

  put(events: readonly ChangeEvent[]): Promise<PutReport> {
    // The whole put is tracked, not only its calls: a put still waiting for room is in flight too.
    const putting = this.#putBatches(events);
    this.#pending.add(putting);
    void putting.finally(() => this.#pending.delete(putting)).catch(() => undefined);
    return putting;
  }

  /** Waits until every put made so far has settled (and so every call it made). */
  async close(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  async #putBatches(events: readonly ChangeEvent[]): Promise<PutReport> {
    const unshippable: UnshippableEvent[] = [];
    const batches = this.#batches(events, unshippable);
    const report = { eventCount: events.length, recordCount: 0, byteCount: 0, retryCount: 0 };
    const sends: Promise<void>[] = [];
    if (unshippable.length > 0) {
      if (!this.#setAside) throw new OversizedEventError(unshippable[0]!.reason);
      sends.push(this.#setAside(unshippable));
    }
    for (const batch of batches) {
      await this.#acquire(batch.bytes);
      sends.push(this.#send(batch, report).finally(() => this.#release(batch.bytes)));
    }
    const results = await Promise.allSettled(sends);
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    return report;
  }

  /** Packs events into records per stream and commit date, then records into calls within the limits. */
  #batches(events: readonly ChangeEvent[], unshippable: UnshippableEvent[]): Batch[] {
    const groups = new Map<string, { stream: string; lines: string[]; events: ChangeEvent[] }>();
    for (const event of events) {
      const stream = deliveryStreamName(event.table, this.#prefix);
      const groupKey = `${stream}|${lakePartitionOf(event)}`;
      let group = groups.get(groupKey);
      if (!group) {
        group = { stream, lines: [], events: [] };
        groups.set(groupKey, group);
      }
      group.lines.push(`${JSON.stringify(event)}\n`);
      group.events.push(event);
    }
    const batches = new Map<string, Batch[]>();
    for (const { stream, lines, events: grouped } of groups.values()) {
      let record: string[] = [];
      let recordBytes = 0;
      const flush = () => {
        if (record.length === 0) return;
        this.#addRecord(batches, stream, Buffer.from(record.join(''), 'utf8'), record.length);
        record = [];
        recordBytes = 0;
      };
      for (const [index, line] of lines.entries()) {
        const bytes = Buffer.byteLength(line, 'utf8');
        if (bytes > PUT_RECORD_BATCH_LIMITS.maxRecordBytes) {
          const event = grouped[index]!;
          unshippable.push({ event, bytes, reason: oversizedReason(event, bytes) });
          continue;
        }
        if (record.length > 0 && recordBytes + bytes > this.#recordTarget) flush();
        record.push(line);
        recordBytes += bytes;
      }
      flush();
    }
    return [...batches.values()].flat();
  }

  #addRecord(batches: Map<string, Batch[]>, stream: string, data: Uint8Array, events: number): void {
    let list = batches.get(stream);
    if (!list) {
      list = [];
      batches.set(stream, list);
    }
    let batch = list[list.length - 1];
    if (
      !batch ||
      batch.records.length >= PUT_RECORD_BATCH_LIMITS.maxRecords ||
      batch.bytes + data.byteLength > PUT_RECORD_BATCH_LIMITS.maxBatchBytes
    ) {
      batch = { stream, records: [], bytes: 0, events: 0 };
      list.push(batch);
    }
    batch.records.push({ Data: data });
    batch.bytes += data.byteLength;
    batch.events += events;
  }

  async #send(
    batch: Batch,
    report: { recordCount: number; byteCount: number; retryCount: number },
  ): Promise<void> {
    let pending: readonly FirehoseRecord[] = batch.records;
    report.recordCount += batch.records.length;
    let lastProblem = '';
    for (let attempt = 1; attempt <= this.#retry.maxAttempts; attempt++) {
      if (attempt > 1) {
        report.retryCount += pending.length;
        await this.#sleep(this.#backoff(attempt - 1));
      }
      report.byteCount += pending.reduce((sum, record) => sum + record.Data.byteLength, 0);
      let output: Awaited<ReturnType<RecordBatchPutter['putRecordBatch']>>;
      try {
        output = await this.#putter.putRecordBatch({ DeliveryStreamName: batch.stream, Records: pending });
      } catch (error) {
        const name = (error as { name?: unknown } | null)?.name;
        if (typeof name === 'string' && RETRYABLE_ERRORS.has(name)) {
          lastProblem = name;
          continue;
        }
        throw new ChangeStreamPutError(
          `PutRecordBatch to delivery stream ${batch.stream} failed: ${(error as Error).message}. Check the stream ` +
            'exists and the reader may firehose:PutRecordBatch on it.',
          {
            cause: error,
            failureKind:
              typeof name === 'string' && DETERMINISTIC_ERRORS.has(name) ? 'deterministic' : 'transient',
          },
        );
      }
      if (output.RequestResponses.length !== pending.length) {
        throw new ChangeStreamPutError(
          `PutRecordBatch to ${batch.stream} answered ${output.RequestResponses.length} entries for ${pending.length} records.`,
        );
      }
      if (output.FailedPutCount === 0 && output.RequestResponses.every((entry) => !entry.ErrorCode)) return;
      const failed: FirehoseRecord[] = [];
      output.RequestResponses.forEach((entry, index) => {
        if (entry.ErrorCode) {
          failed.push(pending[index]!);
          lastProblem = entry.ErrorCode;
        }
      });
      pending = failed;
    }
    throw new ChangeStreamPutError(
      `${pending.length} record(s) to delivery stream ${batch.stream} were still rejected after ` +
        `${this.#retry.maxAttempts} attempts (last: ${lastProblem}). Nothing was acknowledged; the reader will send them again.`,
    );
  }

  /** Full jitter: a uniform delay between 0 and the capped exponential step. */
  #backoff(retry: number): number {
    const step = Math.min(this.#retry.maxDelayMs, this.#retry.baseDelayMs * 2 ** (retry - 1));
    return Math.floor(this.#random() * step);
  }

  async #acquire(bytes: number): Promise<void> {
    while (this.#inFlightBytes > 0 && this.#inFlightBytes + bytes > this.#maxInFlight) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    this.#inFlightBytes += bytes;
  }

  #release(bytes: number): void {
    this.#inFlightBytes -= bytes;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

function oversizedReason(event: ChangeEvent, bytes: number): string {
  return (
    `The ${event.op} event of table ${event.table} at LSN ${formatLsn(BigInt(event.lsn))} seq ${event.seq} is ` +
    `${bytes} bytes, over ` +
    `the Firehose record limit of ${PUT_RECORD_BATCH_LIMITS.maxRecordBytes}; it cannot be shipped.`
  );
}
