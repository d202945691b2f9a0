/**
 * @module
 * One local delivery stream: spool → processor buffer → transformation Lambda → per-partition destination
 * buffers → Parquet conversion → object store, with failed records under the error prefix.
 *
 * All work for a stream runs in one loop (`pump`) fed by size thresholds, a timer on the oldest record's age,
 * backpressure and `flush()`; inside a round, a few Lambda invocations overlap. `putRecordBatch` only
 * appends to the spool, so callers are not held up by conversion unless the stream's backlog is over its
 * bound. A record is released from the spool
 * only after the object holding it (or its error document) is written: at-least-once, never loss.
 */
import {
  ERROR_OUTPUT_TYPES,
  PROCESSING_FAILED_MESSAGE,
  RECORD_ERROR_CODES,
} from '../core/error-documents.ts';
import type { DeliveryOrder, PartitionDelivery } from './delivery-order.ts';
import { ErrorOutput } from './error-output.ts';
import { FirehoseClosedError, PrefixEvaluationError } from './firehose-errors.ts';
import { IncomingQueue } from './incoming-queue.ts';
import { INITIAL_STREAM_VERSION, objectKey } from './object-key.ts';
import {
  type PartitionBuffer,
  PartitionBuffers,
  type SpooledRecord,
  type TransformedRecord,
} from './partition-buffers.ts';
import { inProcessEncoder, type PartitionEncoder } from './partition-encoding.ts';
import {
  type CompiledPrefix,
  compileS3Prefixes,
  evaluatePrefix,
  partitionKeyNames,
} from './prefix-expression.ts';
import type { Spool, SpoolSegment } from './spool.ts';
import type { DeliveryStreamConfig } from './stream-config.ts';
import { DeliveryStreamCounters, type DeliveryStreamMetrics } from './stream-metrics.ts';
import { type Invoker, inProcessInvoker, invokeWithRetries } from './transformation-invocation.ts';

const MB = 1024 * 1024;

function stoppedError(streamName: string): FirehoseClosedError {
  return new FirehoseClosedError(
    `Delivery stream ${streamName} stopped before delivering everything; the rest stays in the spool for the next start.`,
  );
}

/** A chunk's invocation result, waiting to be applied in arrival order. */
interface ChunkInvocation {
  readonly result: Awaited<ReturnType<typeof invokeWithRetries>>['result'];
  readonly attempts: number;
  readonly freshness: { readonly oldestMs: number };
}

/** Runtime settings shared by every stream of one local Firehose. */
export interface StreamRuntime {
  readonly region: string;
  /** Raw bytes of unresolved records above which `putRecordBatch` waits and the stream delivers early. */
  readonly maxBacklogBytes: number;
  /** Lambda invocations a stream keeps outstanding at once (AWS allows up to 5 per shard). */
  readonly invocationConcurrency: number;
  /** Reports a delivery failure (the records stay buffered and are retried). Never gets row values. */
  readonly onDeliveryError: (streamName: string, error: unknown) => void;
  /** Delays and failures of partition deliveries (see `delivery-order.ts`); none by default. */
  readonly deliveryOrder?: DeliveryOrder;
  /** Told after each object written to the destination. */
  readonly onDelivered?: (streamName: string) => void;
}

/** One delivery stream of the local Firehose. */
export class DeliveryStream {
  readonly arn: string;
  readonly counters = new DeliveryStreamCounters();
  readonly #prefix: CompiledPrefix;
  readonly #encode: PartitionEncoder;
  readonly #invoke: Invoker;
  readonly #incoming = new IncomingQueue();
  readonly #partitions: PartitionBuffers;
  readonly #errors: ErrorOutput;
  /** Oldest arrival of each chunk the Lambda or a delivery is working on, for data freshness. */
  readonly #inFlight = new Set<{ readonly oldestMs: number }>();
  /** Raw bytes of accepted records not yet resolved. */
  #backlogBytes = 0;
  /** Bytes of transformed data waiting in partition buffers: bounded together with the backlog. */
  #transformedBytes = 0;
  #running = false;
  /** The work loop under way, if any (resolved when idle). */
  #pumping: Promise<void> = Promise.resolve();
  #rerun = false;
  #timer: NodeJS.Timeout | undefined;
  #timerDueMs = Number.POSITIVE_INFINITY;
  #flushWaiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  #drainWaiters: (() => void)[] = [];
  #stopped = false;
  /** After a failed write, no retry before this time: a broken store must not spin the loop. */
  #retryAfterMs = 0;
  /** Partition delivery failures deliverDue already reported and scheduled for retry. */
  readonly #reported = new WeakSet<object>();
  #nextRecordId: bigint;
  readonly #spool: Spool;
  readonly #runtime: StreamRuntime;

  constructor(
    readonly config: DeliveryStreamConfig,
    spool: Spool,
    runtime: StreamRuntime,
  ) {
    this.#spool = spool;
    this.#runtime = runtime;
    const prefixes = compileS3Prefixes(config);
    this.#prefix = prefixes.prefix;
    this.#partitions = new PartitionBuffers(partitionKeyNames(prefixes.prefix));
    this.#errors = new ErrorOutput({
      store: config.store,
      prefix: prefixes.errorOutputPrefix,
      streamName: config.name,
      table: config.table,
      region: runtime.region,
      lambdaArn: `arn:aws:lambda:${runtime.region}:000000000000:function:${config.lambdaName}`,
    });
    this.#encode = config.encoder ?? inProcessEncoder;
    this.#invoke = config.invoker ?? inProcessInvoker(config.transform);
    this.arn = `arn:aws:firehose:${runtime.region}:000000000000:deliverystream/${config.name}`;
    this.#nextRecordId = BigInt(Date.now()) * 10n ** 15n;
  }

  /** Takes records read back from the spool after a restart. */
  adoptRecovered(records: readonly { data: Uint8Array; arrivalMs: number; segment: SpoolSegment }[]): void {
    for (const record of records) this.#enqueue(record.data, record.arrivalMs, record.segment);
    this.#kick();
  }

  /** Waits while the backlog is over its bound (delivering early meanwhile). */
  async waitForRoom(): Promise<void> {
    while (this.#pressure() && !this.#stopped) {
      this.#kick();
      await new Promise<void>((resolve) => this.#drainWaiters.push(resolve));
    }
  }

  /** Records accepted by the spool; returns their record ids. */
  accept(records: readonly Uint8Array[], arrivalMs: number, segment: SpoolSegment): string[] {
    const ids = records.map((data) => this.#enqueue(data, arrivalMs, segment));
    this.#kick();
    return ids;
  }

  #enqueue(data: Uint8Array, arrivalMs: number, segment: SpoolSegment): string {
    const recordId = String(this.#nextRecordId++);
    this.#incoming.push({ recordId, data, arrivalMs, segment });
    this.#backlogBytes += data.length;
    return recordId;
  }

  /** Delivers everything buffered now; resolves once it is written (or rejects if a write failed). */
  flush(): Promise<void> {
    if (this.#stopped) return Promise.reject(stoppedError(this.config.name));
    return new Promise((resolve, reject) => {
      this.#flushWaiters.push({ resolve, reject });
      this.#kick();
    });
  }

  /**
   * Stops the timer and waits for the work under way to end (an invocation or a write finishes; nothing new
   * starts). Records not delivered stay in the spool for the next start.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const waiter of this.#drainWaiters.splice(0)) waiter();
    await this.#pumping;
  }

  /** A snapshot of this stream's metrics. */
  metrics(now = Date.now()): DeliveryStreamMetrics {
    let oldest = Number.POSITIVE_INFINITY;
    for (const chunk of this.#inFlight) oldest = Math.min(oldest, chunk.oldestMs);
    const head = this.#incoming.peek();
    if (head) oldest = Math.min(oldest, head.arrivalMs);
    oldest = Math.min(oldest, this.#partitions.oldestArrivalMs(), this.#errors.oldestArrivalMs());
    const freshness = Number.isFinite(oldest) ? Math.max(0, (now - oldest) / 1000) : 0;
    return this.counters.snapshot(this.config.name, freshness, this.#backlogBytes);
  }

  #kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#rerun = true;
      return;
    }
    this.#pumping = this.#pump();
  }

  async #pump(): Promise<void> {
    this.#running = true;
    try {
      do {
        this.#rerun = false;
        const waiters = this.#flushWaiters.splice(0);
        try {
          await this.#pass(waiters.length > 0);
          if (this.#stopped) throw stoppedError(this.config.name);
          for (const waiter of waiters) waiter.resolve();
        } catch (error) {
          // A partition that failed is retried on its own schedule (deliverDue); anything else pauses the stream.
          const partitionFailure =
            typeof error === 'object' && error !== null && this.#reported.delete(error);
          if (!this.#stopped && !partitionFailure) {
            this.#retryAfterMs = Date.now() + 1000;
            this.#runtime.onDeliveryError(this.config.name, error);
          }
          for (const waiter of waiters) waiter.reject(error);
        }
      } while ((this.#rerun || this.#flushWaiters.length > 0) && !this.#stopped);
    } finally {
      this.#running = false;
      if (this.#stopped)
        for (const waiter of this.#flushWaiters.splice(0)) waiter.reject(stoppedError(this.config.name));
      this.#schedule();
    }
  }

  #pressure(): boolean {
    return this.#backlogBytes + this.#transformedBytes > this.#runtime.maxBacklogBytes;
  }

  /** One round of work: transform what is due, deliver what is due, write error objects. */
  async #pass(force: boolean): Promise<void> {
    const processorBytes = this.config.processorBuffering.sizeInMBs * MB;
    const processorMs = this.config.processorBuffering.intervalInSeconds * 1000;
    // `force` drains only what was buffered when the flush was asked for, so a busy producer cannot starve it.
    let forcedRemaining = force ? this.#incoming.length : 0;
    const running = new Set<Promise<void>>();
    let failure: { error: unknown } | undefined;
    // Outputs enter the partition buffers in the order their records arrived, whichever invocation returns
    // first: a partition's objects then keep arrival order (see delivery-order.ts).
    let applied: Promise<void> = Promise.resolve();
    for (let head = this.#incoming.peek(); head && !this.#stopped; head = this.#incoming.peek()) {
      const due =
        forcedRemaining > 0 ||
        this.#pressure() ||
        this.#incoming.bytes >= processorBytes ||
        Date.now() - head.arrivalMs >= processorMs;
      if (!due) break;
      const chunk = this.#incoming.takeChunk(processorBytes);
      forcedRemaining -= chunk.length;
      // Invocations overlap (AWS keeps several outstanding per stream), so a handler in a worker thread runs
      // while this thread converts the previous chunk's output.
      const invoked = this.#invokeChunk(chunk);
      const previous = applied;
      const application = invoked.then(async (invocation) => {
        await previous;
        await this.#applyInvocation(chunk, invocation);
      });
      applied = application.catch(() => undefined);
      const job = application
        .then(() => this.#deliverDue(false))
        .catch((error: unknown) => {
          failure ??= { error };
        });
      running.add(job);
      void job.finally(() => running.delete(job));
      if (running.size >= this.#runtime.invocationConcurrency) await Promise.race(running);
    }
    await Promise.all(running);
    if (failure) throw failure.error;
    await this.#deliverDue(force);
    this.counters.errorObjects += await this.#errors.write((records) => this.#release(records));
  }

  /** Invokes the Lambda on one chunk (with retries); the chunk counts for data freshness until applied. */
  async #invokeChunk(chunk: SpooledRecord[]): Promise<ChunkInvocation> {
    const freshness = { oldestMs: chunk.reduce((min, record) => Math.min(min, record.arrivalMs), Infinity) };
    this.#inFlight.add(freshness);
    try {
      const { result, attempts } = await invokeWithRetries(
        this.#invoke,
        chunk,
        this.arn,
        this.#runtime.region,
        this.config.numberOfRetries,
      );
      return { result, attempts, freshness };
    } catch (error) {
      this.#inFlight.delete(freshness);
      throw error;
    }
  }

  /** Buffers a chunk's transformed records under their partitions; failures go to the error output. */
  async #applyInvocation(chunk: SpooledRecord[], invocation: ChunkInvocation): Promise<void> {
    const { result, attempts, freshness } = invocation;
    this.counters.invocations += attempts;
    this.counters.invocationFailures += result.ok ? attempts - 1 : attempts;
    this.#inFlight.delete(freshness);
    if (!result.ok) {
      for (const source of chunk)
        this.#errors.add(
          ERROR_OUTPUT_TYPES.processing,
          source,
          source.data,
          result.errorCode,
          result.errorMessage,
          attempts,
        );
      this.counters.processingFailedRecords += chunk.length;
      return;
    }
    const dropped: SpooledRecord[] = [];
    result.outcomes.forEach((outcome, index) => {
      const source = chunk[index]!;
      if (outcome.result === 'Dropped') dropped.push(source);
      else if (outcome.result === 'ProcessingFailed') {
        this.counters.processingFailedRecords++;
        this.#errors.add(
          ERROR_OUTPUT_TYPES.processing,
          source,
          source.data,
          RECORD_ERROR_CODES.processingFailed,
          this.config.failureReason?.(source.data) ?? PROCESSING_FAILED_MESSAGE,
          attempts,
        );
      } else this.#bufferTransformed(source, outcome.data, outcome.partitionKeys);
    });
    this.counters.droppedRecords += dropped.length;
    await this.#release(dropped);
  }

  #bufferTransformed(source: SpooledRecord, data: Uint8Array, keys: Readonly<Record<string, string>>): void {
    const missing = this.#partitions.add(source, data, keys);
    if (missing === undefined) {
      this.#transformedBytes += data.length;
      return;
    }
    this.counters.partitioningFailedRecords++;
    this.#errors.add(
      ERROR_OUTPUT_TYPES.partitioning,
      source,
      data,
      RECORD_ERROR_CODES.partitionKeyMissing,
      `The transformation returned no partition key "${missing}" in metadata.partitionKeys, which Prefix "${this.config.prefix}" needs.`,
      1,
    );
  }

  /**
   * Delivers the partition buffers that are due: by size, by age, under backpressure, or all of them when
   * forced. Each partition goes on its own: a failed write (or one the delivery order fails) puts that buffer
   * back until its retry time while the others are written, as Firehose retries a failed S3 delivery while
   * other partitions go on. A forced pass rejects with the first failure once every buffer was tried.
   */
  async #deliverDue(force: boolean): Promise<void> {
    const sizeBytes = this.config.bufferingHints.sizeInMBs * MB;
    const intervalMs = this.config.bufferingHints.intervalInSeconds * 1000;
    const order = this.#runtime.deliveryOrder;
    const now = Date.now();
    const pressure = this.#pressure();
    const due = this.#partitions.takeDue((buffer) => {
      if (force) return true;
      if (now < buffer.notBeforeMs) return false;
      const ready = pressure || buffer.bytes >= sizeBytes || now - buffer.oldestArrivalMs >= intervalMs;
      if (!ready || !order || buffer.delayChosen) return ready;
      // The delivery order may hold a due buffer back for a while (a slow partition).
      buffer.delayChosen = true;
      const delay = order.delayMs(this.#deliveryOf(buffer));
      if (delay <= 0) return true;
      buffer.notBeforeMs = now + delay;
      return false;
    });
    // Taken buffers still count for data freshness until they are written.
    const taken = { oldestMs: due.reduce((min, buffer) => Math.min(min, buffer.oldestArrivalMs), Infinity) };
    this.#inFlight.add(taken);
    let failure: { error: unknown } | undefined;
    try {
      for (const buffer of due) {
        if (this.#stopped) {
          this.#partitions.restore(buffer);
          continue;
        }
        buffer.attempts++;
        const delivery = this.#deliveryOf(buffer);
        try {
          if (order?.failDelivery(delivery))
            throw new Error(
              `Injected failure of the S3 delivery of ${this.config.name} partition ${buffer.key}.`,
            );
          await this.#deliverPartition(buffer);
          this.#partitions.delivered(buffer);
          this.#transformedBytes -= buffer.bytes;
          this.#wakeIfRoom();
        } catch (error) {
          this.counters.deliveryErrors++;
          this.#partitions.restore(buffer, Date.now() + (order?.retryDelayMs?.(delivery) ?? 1000));
          if (!this.#stopped) this.#runtime.onDeliveryError(this.config.name, error);
          failure ??= { error };
        }
      }
    } finally {
      this.#inFlight.delete(taken);
    }
    if (failure && force) {
      if (typeof failure.error === 'object' && failure.error !== null) this.#reported.add(failure.error);
      throw failure.error;
    }
  }

  #deliveryOf(buffer: PartitionBuffer): PartitionDelivery {
    return {
      streamName: this.config.name,
      partitionKeys: buffer.partitionKeys,
      attempt: buffer.attempts + 1,
      records: buffer.records.length,
    };
  }

  async #deliverPartition(partition: PartitionBuffer): Promise<void> {
    let prefix: string;
    try {
      prefix = evaluatePrefix(this.#prefix, {
        partitionKeys: partition.partitionKeys,
        arrivalMs: partition.oldestArrivalMs,
      });
    } catch (error) {
      if (!(error instanceof PrefixEvaluationError)) throw error;
      for (const record of partition.records)
        this.#errors.add(
          ERROR_OUTPUT_TYPES.partitioning,
          record.source,
          record.data,
          'S3.PrefixEvaluationFailed',
          error.message,
          1,
        );
      this.counters.partitioningFailedRecords += partition.records.length;
      return;
    }
    const { body, rows, failures } = await this.#encode(
      this.config.table.name,
      partition.records.map((record) => record.data),
    );
    const converted: SpooledRecord[] = [];
    const failed: { record: TransformedRecord; errorCode: string; errorMessage: string }[] = [];
    partition.records.forEach((record, index) => {
      const failure = failures[index];
      if (failure === undefined) converted.push(record.source);
      else failed.push({ record, ...failure });
    });
    if (body !== undefined && converted.length > 0) {
      const key = objectKey(
        prefix,
        this.config.name,
        INITIAL_STREAM_VERSION,
        partition.oldestArrivalMs,
        '.parquet',
      );
      // If this throws, the whole buffer is retried, so its failures are queued only after the write.
      await this.config.store.put(key, body);
      this.counters.deliveredObjects++;
      this.counters.deliveredRecords += converted.length;
      this.counters.deliveredRows += rows;
      this.counters.deliveredBytes += body.length;
      this.#runtime.onDelivered?.(this.config.name);
      await this.#release(converted);
    }
    for (const { record, errorCode, errorMessage } of failed) {
      this.counters.conversionFailedRecords++;
      this.#errors.add(ERROR_OUTPUT_TYPES.conversion, record.source, record.data, errorCode, errorMessage, 1);
    }
  }

  async #release(records: readonly SpooledRecord[]): Promise<void> {
    if (records.length === 0) return;
    const bySegment = new Map<SpoolSegment, number>();
    for (const record of records) {
      bySegment.set(record.segment, (bySegment.get(record.segment) ?? 0) + 1);
      this.#backlogBytes -= record.data.length;
    }
    for (const [segment, count] of bySegment) await this.#spool.release(segment, count);
    this.#wakeIfRoom();
  }

  #wakeIfRoom(): void {
    if (!this.#pressure()) for (const waiter of this.#drainWaiters.splice(0)) waiter();
  }

  #schedule(): void {
    if (this.#stopped) return;
    let due = Number.POSITIVE_INFINITY;
    const head = this.#incoming.peek();
    if (head) due = head.arrivalMs + this.config.processorBuffering.intervalInSeconds * 1000;
    const destinationMs = this.config.bufferingHints.intervalInSeconds * 1000;
    due = Math.min(due, this.#partitions.nextDueMs(destinationMs));
    if (this.#errors.count > 0) due = Math.min(due, Date.now());
    due = Math.max(due, this.#retryAfterMs);
    if (!Number.isFinite(due) || due >= this.#timerDueMs) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerDueMs = due;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#timerDueMs = Number.POSITIVE_INFINITY;
        this.#kick();
      },
      Math.max(0, due - Date.now()),
    );
    this.#timer.unref();
  }
}
