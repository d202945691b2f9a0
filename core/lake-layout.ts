/**
 * @module
 * The layout of the lake bucket, one definition for the AWS deployment (cdk/: Firehose prefixes, IAM scopes,
 * lifecycle rules), the local Firehose and lake directory, and the Lambdas: where each lake table's Parquet
 * lands, where failed records go, where the pipeline keeps its state and leases, where Athena writes.
 */
import { PARTITION_COLUMN } from './schema/lake-tables.ts';

/** Key prefixes of the lake bucket besides the lake tables' own `<lake table>/`. */
export const LAKE_PREFIXES = {
  /** Firehose's failed records, `errors/<lake table>/<error type>/yyyy/MM/dd/`. */
  errors: 'errors/',
  /** Error objects `errors replay` resolved (`local/error-objects.ts`), kept under their old key's tail. */
  replayedErrors: 'errors-replayed/',
  /** The reader's state documents and every job's lease (`state/leases/<name>.json`). */
  state: 'state/',
  /** The reader's watermark rounds, which the loader reads (core/ports/round-log.ts). */
  rounds: 'rounds/',
  /** Athena's query results. */
  athenaResults: 'athena-results/',
  /** `pg_dump` files the source loader imports into an empty source (functions/source-loader/). */
  imports: 'imports/',
} as const;

/** The partition key the transformation returns and the prefix is split on (`dt=YYYY-MM-DD`). */
export const PARTITION_KEY = PARTITION_COLUMN.name;

/** The Firehose `Prefix` of a lake table's stream: its Parquet lands by the transformation's `dt`. */
export function lakeDataPrefix(lakeTable: string): string {
  return `${lakeTable}/${PARTITION_KEY}=!{partitionKeyFromLambda:${PARTITION_KEY}}/`;
}

/** The Firehose `ErrorOutputPrefix` of a lake table's stream: failed records by failure type and day. */
export function lakeErrorPrefix(lakeTable: string): string {
  return `${LAKE_PREFIXES.errors}${lakeTable}/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/`;
}
