/**
 * @module
 * How one local delivery stream is configured: the same settings the CDK deployment gives the real stream
 * (destination, Glue table, prefixes, processor, buffering, retries), with local defaults of about a second
 * so a demo feels live. AWS's minimums (64 MiB and 60 s with conversion and dynamic partitioning) are the
 * deployment's business, not enforced here.
 */
import type { ObjectStore } from '../core/ports/object-store.ts';
import { DEFAULT_STREAM_PREFIX, deliveryStreamName } from '../core/ports/record-batch-putter.ts';
import { LAKE_TABLES, type LakeTable } from '../core/schema/lake-tables.ts';
import type { PartitionEncoder } from './partition-encoding.ts';
import type { Invoker, TransformFunction } from './transformation-invocation.ts';

/** A buffering hint pair, in AWS's units (fractions allowed locally). */
export interface BufferingHints {
  readonly sizeInMBs: number;
  readonly intervalInSeconds: number;
}

/** One delivery stream. */
export interface DeliveryStreamConfig {
  /** Delivery stream name, e.g. `totesys-sales_order`. */
  readonly name: string;
  /** The destination bucket (the store writes into it; the name appears in ARNs and messages). */
  readonly bucket: string;
  readonly store: ObjectStore;
  /** The Glue table the records are converted to. */
  readonly table: LakeTable;
  /** `Prefix`; with dynamic partitioning it must be non-empty. */
  readonly prefix: string;
  /** `ErrorOutputPrefix`. */
  readonly errorOutputPrefix?: string;
  readonly dynamicPartitioning: boolean;
  /** The transformation Lambda. */
  readonly transform: TransformFunction;
  /** Where invocations run; default: `transform` called on the main thread. */
  readonly invoker?: Invoker;
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

/** Local defaults: small buffers, about a second end to end. */
export const LOCAL_DEFAULTS = {
  processorBuffering: { sizeInMBs: 1, intervalInSeconds: 0.5 },
  bufferingHints: { sizeInMBs: 8, intervalInSeconds: 1 },
  numberOfRetries: 3,
  lambdaName: 'totesys-transformer',
} as const;

/** The prefix the deployment gives a lake table's stream. */
export function lakePrefix(table: LakeTable): string {
  return `${table.name}/dt=!{partitionKeyFromLambda:dt}/`;
}

/** The error prefix the deployment gives a lake table's stream. */
export function lakeErrorOutputPrefix(table: LakeTable): string {
  return `errors/${table.name}/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/`;
}

/** Options for {@link totesysDeliveryStreams}. */
export interface TotesysStreamsOptions {
  readonly store: ObjectStore;
  readonly bucket: string;
  readonly transform: TransformFunction;
  /** Where invocations run (e.g. `LambdaWorkerPool.invoker`); default: `transform` on the main thread. */
  readonly invoker?: Invoker;
  /** Where conversion and Parquet encoding run (e.g. `LambdaWorkerPool.encoder`); default: main thread. */
  readonly encoder?: PartitionEncoder;
  /** Stream name prefix (default `totesys-`). */
  readonly streamPrefix?: string;
  readonly processorBuffering?: BufferingHints;
  readonly bufferingHints?: BufferingHints;
  readonly numberOfRetries?: number;
  readonly lambdaName?: string;
}

/** The 11 delivery streams of the pipeline, one per source table, configured as the deployment does. */
export function totesysDeliveryStreams(options: TotesysStreamsOptions): DeliveryStreamConfig[] {
  return Object.values(LAKE_TABLES).map((table) => ({
    name: deliveryStreamName(table.source, options.streamPrefix ?? DEFAULT_STREAM_PREFIX),
    bucket: options.bucket,
    store: options.store,
    table,
    prefix: lakePrefix(table),
    errorOutputPrefix: lakeErrorOutputPrefix(table),
    dynamicPartitioning: true,
    transform: options.transform,
    ...(options.invoker ? { invoker: options.invoker } : {}),
    ...(options.encoder ? { encoder: options.encoder } : {}),
    lambdaName: options.lambdaName ?? LOCAL_DEFAULTS.lambdaName,
    processorBuffering: options.processorBuffering ?? LOCAL_DEFAULTS.processorBuffering,
    bufferingHints: options.bufferingHints ?? LOCAL_DEFAULTS.bufferingHints,
    numberOfRetries: options.numberOfRetries ?? LOCAL_DEFAULTS.numberOfRetries,
  }));
}
