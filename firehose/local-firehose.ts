/**
 * @module
 * The local Firehose: a set of delivery streams behind the `PutRecordBatch` contract, honouring AWS's limits,
 * errors and per-entry failures, durable once a call resolves (spool + fsync), delivering Parquet through the
 * ObjectStore port as the real service would.
 *
 * @example
 * const firehose = await LocalFirehose.open({
 *   spoolDir: '.totesys-stream/firehose',
 *   streams: totesysDeliveryStreams({ store, bucket: 'lake', transform }),
 * });
 * await firehose.putRecordBatch({ DeliveryStreamName: 'totesys-sales_order', Records: [{ Data }] });
 * await firehose.close(); // delivers what is buffered, then stops
 */

import { join } from 'node:path';
import { describeErrorChain } from '../core/error-chain.ts';
import {
  checkPutRecordBatchLimits,
  type PutRecordBatchInput,
  type PutRecordBatchOutput,
  type PutRecordBatchResponseEntry,
  type RecordBatchPutter,
} from '../core/ports/record-batch-putter.ts';
import type { DeliveryOrder } from './delivery-order.ts';
import { DeliveryStream } from './delivery-stream.ts';
import {
  FirehoseClosedError,
  FirehoseConfigError,
  ResourceNotFoundError,
  ServiceUnavailableError,
} from './firehose-errors.ts';
import { compileS3Prefixes } from './prefix-expression.ts';
import { type QuarantinedBytes, Spool } from './spool.ts';
import type { DeliveryStreamConfig } from './stream-config.ts';
import type { DeliveryStreamMetrics } from './stream-metrics.ts';

/** Failures to inject, for tests of callers (the reader's retry logic). */
export interface FaultInjection {
  /** Return true to reject the whole call with `ServiceUnavailableException` (throttling). */
  throttleCall?(call: { readonly streamName: string; readonly callNumber: number }): boolean;
  /** Return true to fail one entry with `ErrorCode: 'ServiceUnavailableException'`; it is not accepted. */
  failEntry?(entry: {
    readonly streamName: string;
    readonly callNumber: number;
    readonly index: number;
    readonly data: Uint8Array;
  }): boolean;
}

/** Options of {@link LocalFirehose.open}. */
export interface LocalFirehoseOptions {
  /** Directory of the spools, one subdirectory per stream; reused after a crash. */
  readonly spoolDir: string;
  readonly streams: readonly DeliveryStreamConfig[];
  /** Region in ARNs and events (default `eu-west-2`). */
  readonly region?: string;
  /**
   * Bytes per stream (accepted records not yet resolved, plus their transformed data waiting for delivery)
   * above which `putRecordBatch` waits and the stream delivers early (default 16 MiB): bounds memory.
   */
  readonly maxBacklogBytesPerStream?: number;
  /**
   * Lambda invocations each stream keeps outstanding (default 2; AWS allows up to 5 per shard). More than 1
   * only helps when the handler runs off the main thread (see `LambdaWorkerPool`).
   */
  readonly invocationConcurrency?: number;
  /** Spool segment size before rotating to a new file (default 16 MiB). */
  readonly spoolSegmentBytes?: number;
  readonly faults?: FaultInjection;
  /** Told about failed object writes (retried after a second). Default: one line on stderr. */
  readonly onDeliveryError?: (streamName: string, error: unknown) => void;
  /**
   * Delays and failed deliveries per partition, to see the delivery orders AWS allows (e.g.
   * `anyOrderAwsAllows({ seed })` from `delivery-order.ts`). Default: every partition delivered when due.
   */
  readonly deliveryOrder?: DeliveryOrder;
  /**
   * Told, at open, of damaged bytes found in a stream's spool (records accepted before may be lost; every good
   * one after the damage is still delivered). Default: one line on stderr.
   */
  readonly onSpoolDamage?: (streamName: string, damage: QuarantinedBytes) => void;
  /**
   * Told after each Parquet object a stream writes to its bucket (the local pipeline wakes its loader: a
   * round's watermark may have landed). Default: nothing.
   */
  readonly onDelivered?: (streamName: string) => void;
}

const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,64}$/;

function defaultSpoolDamage(streamName: string, damage: QuarantinedBytes): void {
  console.error(`local Firehose ${streamName}: ${describeSpoolDamage(damage)}`);
}

/** The loud message for damaged spool bytes: where they were, where they are now, what it means. */
export function describeSpoolDamage(damage: QuarantinedBytes): string {
  return (
    `the spool segment ${damage.segmentPath} had ${damage.bytes} unreadable bytes at offset ${damage.offset}; ` +
    `they are copied to ${damage.path} and every readable record around them is delivered. Records in those ` +
    'bytes may be lost: run `totesys-stream reconcile`, and `resnapshot` the tables it reports.'
  );
}

function defaultDeliveryError(streamName: string, error: unknown): void {
  console.error(`local Firehose ${streamName}: delivery failed, will retry: ${describeErrorChain(error)}`);
}

/** Amazon Data Firehose, locally. Implements `PutRecordBatch`; see {@link LocalFirehoseOptions}. */
export class LocalFirehose implements RecordBatchPutter {
  readonly #streams = new Map<string, { stream: DeliveryStream; spool: Spool }>();
  #faults: FaultInjection | undefined;
  #callNumber = 0;
  #closed = false;

  private constructor(faults: FaultInjection | undefined) {
    this.#faults = faults;
  }

  /**
   * Validates every stream's configuration, opens the spools and resumes delivery of every record a previous
   * process accepted but did not deliver.
   *
   * @throws FirehoseConfigError on a configuration AWS would refuse; SpoolError when the spool is unusable.
   */
  static async open(options: LocalFirehoseOptions): Promise<LocalFirehose> {
    const firehose = new LocalFirehose(options.faults);
    const runtime = {
      region: options.region ?? 'eu-west-2',
      maxBacklogBytes: options.maxBacklogBytesPerStream ?? 16 * 1024 * 1024,
      invocationConcurrency: options.invocationConcurrency ?? 2,
      onDeliveryError: options.onDeliveryError ?? defaultDeliveryError,
      ...(options.deliveryOrder ? { deliveryOrder: options.deliveryOrder } : {}),
      ...(options.onDelivered ? { onDelivered: options.onDelivered } : {}),
    };
    for (const config of options.streams) {
      if (!STREAM_NAME.test(config.name))
        throw new FirehoseConfigError(
          `Delivery stream name "${config.name}" must be 1-64 letters, digits, "_", "." or "-".`,
        );
      if (firehose.#streams.has(config.name))
        throw new FirehoseConfigError(`Delivery stream "${config.name}" is configured twice.`);
      if (!(config.numberOfRetries >= 0))
        throw new FirehoseConfigError(`Delivery stream "${config.name}": NumberOfRetries must be 0 or more.`);
      for (const [name, hints] of [
        ['BufferingHints', config.bufferingHints],
        ['processor buffering', config.processorBuffering],
      ] as const)
        if (!(hints.sizeInMBs > 0 && hints.intervalInSeconds >= 0))
          throw new FirehoseConfigError(
            `Delivery stream "${config.name}": ${name} needs sizeInMBs > 0 and intervalInSeconds >= 0.`,
          );
      // Validated before the spool is touched, so a refused configuration leaves nothing behind.
      compileS3Prefixes(config);
      const { spool, recovered, quarantined } = await Spool.open(
        join(options.spoolDir, config.name),
        options.spoolSegmentBytes ?? 16 * 1024 * 1024,
      );
      for (const damage of quarantined) (options.onSpoolDamage ?? defaultSpoolDamage)(config.name, damage);
      const stream = new DeliveryStream(config, spool, runtime);
      firehose.#streams.set(config.name, { stream, spool });
      stream.adoptRecovered(recovered);
    }
    return firehose;
  }

  /** Replaces the injected faults (`undefined` for none). */
  setFaults(faults: FaultInjection | undefined): void {
    this.#faults = faults;
  }

  /** The configured stream names. */
  streamNames(): string[] {
    return [...this.#streams.keys()];
  }

  /** `PutRecordBatch`, with AWS's limits, errors and per-entry results. Resolves once accepted records are fsynced. */
  async putRecordBatch(input: PutRecordBatchInput): Promise<PutRecordBatchOutput> {
    if (this.#closed)
      throw new FirehoseClosedError('The local Firehose is closed; open a new one to put records.');
    const entry = this.#streams.get(input.DeliveryStreamName);
    if (!entry)
      throw new ResourceNotFoundError(
        `Firehose ${input.DeliveryStreamName} under account 000000000000 not found; configured streams: ${this.streamNames().join(', ')}.`,
      );
    checkPutRecordBatchLimits(input);
    const { stream, spool } = entry;
    const callNumber = ++this.#callNumber;
    const streamName = input.DeliveryStreamName;
    if (this.#faults?.throttleCall?.({ streamName, callNumber })) {
      stream.counters.throttledRecords += input.Records.length;
      throw new ServiceUnavailableError(`Slow down. Stream ${streamName} is throttled (injected fault).`);
    }
    await stream.waitForRoom();
    const accepted: Uint8Array[] = [];
    const failed = new Set<number>();
    input.Records.forEach((record, index) => {
      if (this.#faults?.failEntry?.({ streamName, callNumber, index, data: record.Data })) failed.add(index);
      else accepted.push(record.Data);
    });
    let ids: string[] = [];
    if (accepted.length > 0) {
      const arrivalMs = Date.now();
      const { segment, stored } = await spool.append(accepted, arrivalMs);
      ids = stream.accept(stored, arrivalMs, segment);
    }
    stream.counters.incomingPutRequests++;
    stream.counters.incomingRecords += accepted.length;
    stream.counters.throttledRecords += failed.size;
    for (const data of accepted) stream.counters.incomingBytes += data.length;
    let next = 0;
    const responses = input.Records.map(
      (_, index): PutRecordBatchResponseEntry =>
        failed.has(index)
          ? { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down. (injected fault)' }
          : { RecordId: ids[next++]! },
    );
    return { FailedPutCount: failed.size, Encrypted: false, RequestResponses: responses };
  }

  /** Delivers everything buffered in one stream, or in all. Rejects if a write failed (records stay spooled). */
  async flush(streamName?: string): Promise<void> {
    const targets = streamName === undefined ? [...this.#streams.values()] : [this.#streams.get(streamName)];
    await Promise.all(
      targets.map((entry) => {
        if (!entry)
          throw new ResourceNotFoundError(`Firehose ${streamName} under account 000000000000 not found.`);
        return entry.stream.flush();
      }),
    );
  }

  /** A metrics snapshot per stream. */
  metrics(): DeliveryStreamMetrics[] {
    const now = Date.now();
    return [...this.#streams.values()].map(({ stream }) => stream.metrics(now));
  }

  /**
   * Refuses new calls, delivers what is buffered (unless `deliver: false`), stops the timers and closes the
   * spools. Whatever could not be delivered stays in the spool and is delivered by the next `open`.
   */
  async close(options: { readonly deliver?: boolean } = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    let failure: unknown;
    if (options.deliver !== false) {
      try {
        await this.flush();
      } catch (error) {
        failure = error;
      }
    }
    for (const { stream, spool } of this.#streams.values()) {
      await stream.stop();
      await spool.close();
    }
    if (failure) throw failure;
  }
}
