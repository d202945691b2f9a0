/**
 * @module
 * The one specification of the 11 delivery streams, read by the AWS deployment (cdk/lib/constructs/
 * table-delivery-stream.ts) and by the local Firehose (firehose/stream-config.ts): names, prefixes, dynamic
 * partitioning, the transformation processor's buffering and retries, the destination buffering. Local and
 * AWS differ only where this file says so (buffering: AWS's minimums with Parquet conversion and dynamic
 * partitioning are 64 MiB and 60 s; locally about a second, so a demo feels live).
 */
import { lakeDataPrefix, lakeErrorPrefix, PARTITION_KEY } from './lake-layout.ts';
import { DEFAULTS } from './operations.ts';
import { LAKE_TABLES, type LakeTable, type LakeTableName } from './schema/lake-tables.ts';
import {
  MARKET_LAKE_TABLE_NAMES,
  MARKET_LAKE_TABLES,
  type MarketLakeTable,
  type MarketLakeTableName,
} from './schema/market-lake-tables.ts';

/** A size/interval buffering pair in AWS's units (fractions allowed locally). */
export interface BufferingHints {
  readonly sizeInMBs: number;
  readonly intervalInSeconds: number;
}

/** Where a stream runs; only buffering differs between the two. */
export type StreamRuntime = 'aws' | 'local';

/** AWS's limits for a destination with Parquet conversion and dynamic partitioning (checked by CDK too). */
export const AWS_BUFFERING_LIMITS = {
  sizeInMBs: { min: 64, max: 128 },
  intervalInSeconds: { min: 60, max: 900 },
} as const;

/** Destination buffering by runtime (the deployment's are the defaults of `bufferingSizeMiB`/`...Seconds`). */
export const DESTINATION_BUFFERING: Readonly<Record<StreamRuntime, BufferingHints>> = {
  aws: {
    sizeInMBs: AWS_BUFFERING_LIMITS.sizeInMBs.min,
    intervalInSeconds: AWS_BUFFERING_LIMITS.intervalInSeconds.min,
  },
  local: { sizeInMBs: 8, intervalInSeconds: 1 },
};

/**
 * The transformation processor's buffering by runtime. On AWS small batches keep the synchronous invoke's
 * base64-encoded response well under Lambda's 6 MB even when rows grow in the transformation.
 */
export const PROCESSOR_BUFFERING: Readonly<Record<StreamRuntime, BufferingHints>> = {
  aws: { sizeInMBs: 1, intervalInSeconds: 60 },
  local: { sizeInMBs: 1, intervalInSeconds: 0.5 },
};

/** Invocation retries after the first attempt (then the batch goes to the error prefix). */
export const PROCESSOR_RETRIES = 3;

/** How long Firehose retries delivering a partition before it goes to the error prefix. */
export const DYNAMIC_PARTITIONING_RETRY_SECONDS = 300;

/**
 * How long after a round a watermark it waits for may still arrive on AWS: a Direct PUT stream retries a
 * failed S3 delivery for up to 24 hours and then drops the data; the buffer interval (at most 900 s) and the
 * processor's retries come on top, rounded up to an hour. Past it the watermark is gone, not late.
 */
export const AWS_DELIVERY_DEADLINE_MS = 25 * 60 * 60 * 1000;

/** One delivery stream. */
export interface DeliveryStreamSpec {
  readonly name: string;
  readonly lakeTable: LakeTableName;
  readonly table: LakeTable;
  readonly prefix: string;
  readonly errorOutputPrefix: string;
  /** Dynamic partitioning on the transformation's keys. */
  readonly partitionKeys: readonly string[];
  readonly dynamicPartitioningRetrySeconds: number;
  readonly processorBuffering: BufferingHints;
  readonly processorRetries: number;
  readonly buffering: BufferingHints;
}

/** The delivery stream that carries one source table's changes: `<prefix><source table>`. */
export function deliveryStreamName(sourceTable: string, prefix: string = DEFAULTS.streamPrefix): string {
  return `${prefix}${sourceTable}`;
}

/** Options of {@link deliveryStreamSpecs}. */
export interface DeliveryStreamSpecOptions {
  readonly runtime: StreamRuntime;
  /** @default DEFAULTS.streamPrefix (`totesys-`) */
  readonly streamPrefix?: string;
  /** The destination buffering; @default DESTINATION_BUFFERING[runtime] */
  readonly buffering?: BufferingHints;
  /** The processor buffering; @default PROCESSOR_BUFFERING[runtime] */
  readonly processorBuffering?: BufferingHints;
}

/** The 11 streams, one per source table, in lake-table order. */
export function deliveryStreamSpecs(options: DeliveryStreamSpecOptions): DeliveryStreamSpec[] {
  return Object.values(LAKE_TABLES).map((table) => ({
    name: deliveryStreamName(table.source, options.streamPrefix),
    lakeTable: table.name,
    table,
    ...streamSettings(table.name, options),
  }));
}

/** What every delivery stream of a lake table has in common, totesys or market. */
function streamSettings(lakeTable: string, options: DeliveryStreamSpecOptions) {
  return {
    prefix: lakeDataPrefix(lakeTable),
    errorOutputPrefix: lakeErrorPrefix(lakeTable),
    partitionKeys: [PARTITION_KEY],
    dynamicPartitioningRetrySeconds: DYNAMIC_PARTITIONING_RETRY_SECONDS,
    processorBuffering: options.processorBuffering ?? PROCESSOR_BUFFERING[options.runtime],
    processorRetries: PROCESSOR_RETRIES,
    buffering: options.buffering ?? DESTINATION_BUFFERING[options.runtime],
  };
}

/** The delivery stream of one market lake table (README, "Market data"). */
export interface MarketDeliveryStreamSpec extends Omit<DeliveryStreamSpec, 'lakeTable' | 'table'> {
  readonly lakeTable: MarketLakeTableName;
  readonly table: MarketLakeTable;
}

/** The delivery stream that carries one market lake table's observations: `<prefix><market lake table>`. */
export function marketDeliveryStreamName(
  table: MarketLakeTableName,
  prefix: string = DEFAULTS.streamPrefix,
): string {
  return `${prefix}${table}`;
}

/**
 * The market lake table a delivery stream (its name or ARN) carries, or undefined for a totesys stream. No
 * source table is named like a market lake table, so the name's end is enough, whatever the prefix.
 */
export function marketTableOfStream(streamNameOrArn: string): MarketLakeTableName | undefined {
  const name = streamNameOrArn.slice(streamNameOrArn.lastIndexOf('/') + 1);
  return MARKET_LAKE_TABLE_NAMES.find((table) => name.endsWith(table));
}

/**
 * The totesys lake table a delivery stream (its name or ARN) carries, or undefined for any other stream. The
 * name is `<prefix><source table>`; the longest source table it ends with is the one (`payment_type` is not
 * `payment`), whatever the prefix.
 */
export function lakeTableOfStream(streamNameOrArn: string): LakeTableName | undefined {
  const name = streamNameOrArn.slice(streamNameOrArn.lastIndexOf('/') + 1);
  let found: LakeTable | undefined;
  for (const table of Object.values(LAKE_TABLES))
    if (name.endsWith(table.source) && table.source.length > (found?.source.length ?? 0)) found = table;
  return found?.name;
}

/**
 * The 3 market streams, one per market lake table: the same prefixes, partitioning, processor and buffering
 * as the totesys streams; the `dt` partition is the UTC day the observations were fetched.
 */
export function marketDeliveryStreamSpecs(options: DeliveryStreamSpecOptions): MarketDeliveryStreamSpec[] {
  return Object.values(MARKET_LAKE_TABLES).map((table) => ({
    name: marketDeliveryStreamName(table.name, options.streamPrefix),
    lakeTable: table.name,
    table,
    ...streamSettings(table.name, options),
  }));
}
