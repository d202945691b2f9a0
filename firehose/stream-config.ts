/**
 * @module
 * How one local delivery stream is configured: the spec the CDK deployment reads too
 * (core/delivery-stream-spec.ts: names, prefixes, partitioning, processor, retries), with the local buffering
 * of about a second. AWS's minimums (64 MiB and 60 s with conversion and dynamic partitioning) are the
 * deployment's business, not enforced here.
 */

import {
  type BufferingHints,
  DESTINATION_BUFFERING,
  type DeliveryStreamSpec,
  deliveryStreamSpecs,
  type MarketDeliveryStreamSpec,
  marketDeliveryStreamSpecs,
  PROCESSOR_BUFFERING,
  PROCESSOR_RETRIES,
} from '../core/delivery-stream-spec.ts';
import type { ObjectStore } from '../core/ports/object-store.ts';
import type { AnyLakeTable } from '../core/schema/lake-tables.ts';
import type { PartitionEncoder } from './partition-encoding.ts';
import type { Invoker, TransformFunction } from './transformation-invocation.ts';

export type { BufferingHints };

/** One delivery stream. */
export interface DeliveryStreamConfig {
  /** Delivery stream name, e.g. `totesys-sales_order`. */
  readonly name: string;
  /** The destination bucket (the store writes into it; the name appears in ARNs and messages). */
  readonly bucket: string;
  readonly store: ObjectStore;
  /** The Glue table the records are converted to. */
  readonly table: AnyLakeTable;
  /** `Prefix`; with dynamic partitioning it must be non-empty. */
  readonly prefix: string;
  /** `ErrorOutputPrefix`. */
  readonly errorOutputPrefix?: string;
  readonly dynamicPartitioning: boolean;
  /** The transformation Lambda. */
  readonly transform: TransformFunction;
  /** Where invocations run; default: `transform` called on the main thread. */
  readonly invoker?: Invoker;
  /**
   * The reason of a record the Lambda returned `ProcessingFailed`, for its error document (local only: the
   * response AWS defines has no field for it, so there the document says only that it failed).
   */
  readonly failureReason?: (data: Uint8Array) => string | undefined;
  /** Where record format conversion and Parquet encoding run; default: on the main thread. */
  readonly encoder?: PartitionEncoder;
  /** The function's name, for the `lambdaArn` of error documents. */
  readonly lambdaName: string;
  /** Lambda processor buffering (`BufferSizeInMBs`, `BufferIntervalInSeconds`). */
  readonly processorBuffering: BufferingHints;
  /** Destination `BufferingHints`. */
  readonly bufferingHints: BufferingHints;
  /** Lambda `NumberOfRetries` after the first attempt. */
  readonly numberOfRetries: number;
}

/** Local defaults: small buffers, about a second end to end (core/delivery-stream-spec.ts). */
export const LOCAL_DEFAULTS = {
  processorBuffering: PROCESSOR_BUFFERING.local,
  bufferingHints: DESTINATION_BUFFERING.local,
  numberOfRetries: PROCESSOR_RETRIES,
  lambdaName: 'totesys-transformer',
} as const;

/** Options for {@link totesysDeliveryStreams}. */
export interface TotesysStreamsOptions {
  readonly store: ObjectStore;
  readonly bucket: string;
  readonly transform: TransformFunction;
  /** Where invocations run (e.g. `LambdaWorkerPool.invoker`); default: `transform` on the main thread. */
  readonly invoker?: Invoker;
  /** See {@link DeliveryStreamConfig.failureReason}; told the stream's name too. */
  readonly failureReason?: (data: Uint8Array, streamName: string) => string | undefined;
  /** Where conversion and Parquet encoding run (e.g. `LambdaWorkerPool.encoder`); default: main thread. */
  readonly encoder?: PartitionEncoder;
  /** Stream name prefix (default `totesys-`). */
  readonly streamPrefix?: string;
  readonly processorBuffering?: BufferingHints;
  readonly bufferingHints?: BufferingHints;
  readonly numberOfRetries?: number;
  readonly lambdaName?: string;
}

/** The 11 delivery streams of the pipeline, from the one spec the deployment reads too. */
export function totesysDeliveryStreams(options: TotesysStreamsOptions): DeliveryStreamConfig[] {
  return deliveryStreamSpecs(specOptions(options)).map((spec) => streamConfig(spec, options));
}

/**
 * The 3 market delivery streams (README, "Market data"), from the same spec; `transform` is the same
 * transformation handler, which tells market streams by name.
 */
export function marketDeliveryStreams(options: TotesysStreamsOptions): DeliveryStreamConfig[] {
  return marketDeliveryStreamSpecs(specOptions(options)).map((spec) => streamConfig(spec, options));
}

function failureReasonOf(
  reason: (data: Uint8Array, streamName: string) => string | undefined,
  streamName: string,
): (data: Uint8Array) => string | undefined {
  return (data) => reason(data, streamName);
}

function specOptions(options: TotesysStreamsOptions) {
  return {
    runtime: 'local',
    streamPrefix: options.streamPrefix,
    buffering: options.bufferingHints,
    processorBuffering: options.processorBuffering,
  } as const;
}

function streamConfig(
  spec: DeliveryStreamSpec | MarketDeliveryStreamSpec,
  options: TotesysStreamsOptions,
): DeliveryStreamConfig {
  return {
    name: spec.name,
    bucket: options.bucket,
    store: options.store,
    table: spec.table,
    prefix: spec.prefix,
    errorOutputPrefix: spec.errorOutputPrefix,
    dynamicPartitioning: spec.partitionKeys.length > 0,
    transform: options.transform,
    ...(options.invoker ? { invoker: options.invoker } : {}),
    ...(options.failureReason ? { failureReason: failureReasonOf(options.failureReason, spec.name) } : {}),
    ...(options.encoder ? { encoder: options.encoder } : {}),
    lambdaName: options.lambdaName ?? LOCAL_DEFAULTS.lambdaName,
    processorBuffering: spec.processorBuffering,
    bufferingHints: spec.buffering,
    numberOfRetries: options.numberOfRetries ?? spec.processorRetries,
  };
}
