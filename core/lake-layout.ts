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
  /** State snapshots written by compaction, `snapshots/<lake table>/<20-digit LSN>/` (core/schema/lake-snapshots.ts). */
  snapshots: 'snapshots/',
  /** Athena's query results. */
  athenaResults: 'athena-results/',
  /** `pg_dump` files the source loader imports into an empty source (functions/source-loader/). */
  imports: 'imports/',
  /**
   * Lake objects that could not be read, moved aside whole: `quarantine/<original key>`. Nothing reads
   * under it (the lake tables' views and queries glob `<lake table>/`), and compaction must skip it.
   */
  quarantine: 'quarantine/',
  /**
   * Where the `files` collector Lambda reads dropped files, `drop/<market table>/<name>.json`, moving each to
   * `drop/processed/` once shipped (collect/dropped-file-batch.ts; locally, the directory of `--dir`).
   */
  drop: 'drop/',
} as const;

/** The partition key the transformation returns and the prefix is split on (`dt=YYYY-MM-DD`). */
export const PARTITION_KEY = PARTITION_COLUMN.name;

/** The Firehose `Prefix` of a lake table's stream: its Parquet lands by the transformation's `dt`. */
export function lakeDataPrefix(lakeTable: string): string {
  return `${lakeTable}/${PARTITION_KEY}=!{partitionKeyFromLambda:${PARTITION_KEY}}/`;
}

/** Where a lake object that could not be read is moved to. */
export function quarantineKey(key: string): string {
  return `${LAKE_PREFIXES.quarantine}${key}`;
}

/** The Firehose `ErrorOutputPrefix` of a lake table's stream: failed records by failure type and day. */
export function lakeErrorPrefix(lakeTable: string): string {
  return `${LAKE_PREFIXES.errors}${lakeTable}/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/`;
}

/** The prefix of a lake table's state snapshots, one folder per snapshot. */
export function snapshotPrefix(lakeTable: string): string {
  return `${LAKE_PREFIXES.snapshots}${lakeTable}/`;
}

/** The manifest naming a lake table's current snapshot (replaced whole when a new one is complete). */
export function snapshotManifestKey(lakeTable: string): string {
  return `${snapshotPrefix(lakeTable)}current.json`;
}
