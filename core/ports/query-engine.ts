/**
 * @module
 * QueryEngine: runs the SQL in `queries/` over the lake (Athena on AWS, DuckDB offline).
 */
import type { LakeTableName } from '../schema/lake-tables.ts';
import type { StateSnapshotManifest } from './state-snapshots.ts';

/** A query parameter; bound positionally to `?` placeholders. */
export type QueryParameter = string | number | boolean | null;

/**
 * What a column's text values are, for callers that render them typed (`query --format json`): whole numbers,
 * exact decimals, binary floating point, booleans, or anything else (text, dates, timestamps).
 */
export type ValueKind = 'integer' | 'decimal' | 'float' | 'boolean' | 'text';

/** A result: column names and rows of lossless text values (`null` for SQL NULL). */
export interface QueryResult {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (string | null)[])[];
  /** Each column's {@link ValueKind}, when the engine reports types. */
  readonly kinds?: readonly ValueKind[];
}

/**
 * A result's rows each as one CSV record (core/csv-record.ts: every value quoted, NULL an empty unquoted field,
 * no line end), the form the warehouse's staging COPY reads: values the caller does not look at never become
 * strings of their own.
 */
export interface LineResult {
  readonly columns: readonly string[];
  readonly lines: readonly string[];
}

/**
 * How a lake table some query reads as of the cut is read: its state snapshot (core/ports/state-snapshots.ts)
 * plus its changes above the snapshot's LSN from the snapshot's `changesFrom` day on; without a snapshot
 * (`snapshot` undefined, `aboveLsn` -1, `dtFrom` 1970-01-01) every change of its whole history.
 */
export interface AsOfRead {
  readonly snapshot: StateSnapshotManifest | undefined;
  readonly aboveLsn: bigint;
  readonly dtFrom: string;
}

/**
 * What a reader of the lake no longer needs: rows below `belowLsn` (the loader reads only above its previous
 * cut). Files all of whose rows are below it may be left out, except files holding changes above `aboveLsn`
 * of an `asOf` table (one some query reads as of the cut, from its state snapshot plus the changes after it).
 * `dtFrom` is the first partition any query of the run reads; partitions before it (and, for an `asOf` table,
 * before its own `dtFrom`) may be left out. An engine that reads state snapshots reads the `asOf` table's
 * `snapshot` while the floor holds, the one the loader's parameters name.
 */
export interface FileFloor {
  readonly belowLsn: bigint;
  readonly dtFrom: string;
  readonly asOf: ReadonlyMap<LakeTableName, AsOfRead>;
}

/**
 * What an engine can do beyond the contract, declared by each implementation so callers never guess.
 */
export interface QueryEngineCapabilities {
  /**
   * Present when the engine can leave out of its tables the files entirely below a {@link FileFloor}, so a
   * run's cost does not grow with the files it already consumed (DuckDB over local files: the views list the
   * files they read). Absent on Athena, whose reads are bounded by partition pruning on `dt` and Parquet
   * statistics instead. `null` reads every file again.
   */
  readonly fileFloor?: { set(floor: FileFloor | null): void };
}

/**
 * A SQL engine over the lake tables.
 *
 * Contract:
 * - **Dialect.** Statements are written in the subset Trino (Athena engine 3) and DuckDB share.
 * - **Lossless values.** Decimals come back as their exact decimal text, timestamps with their milliseconds,
 *   dates as `YYYY-MM-DD`, booleans as `true`/`false`, NULL as `null`: never through a float or a `Date`.
 * - **Snapshot.** One call reads the files present when it started; files landing during it may or may not
 *   be seen, never half of one.
 * - **Errors.** A failed query rejects with the engine's own reason.
 * - **Capabilities.** A file floor, when the engine declares one, never hides a row at or above it, nor a
 *   change above the snapshot of a table it reads as of the cut.
 * - **Batches.** `queryBatches` yields the rows `query` would return, in order, in batches of at most
 *   `batchRows` rows (at least one batch, so an empty result still has its columns). The engine reads no
 *   further ahead than the batch being handed out, so a caller that lets go of each batch holds one whatever
 *   the result's size (core/memory-bounds.ts); stopping early releases the query.
 * - **Lines.** `queryLines` yields what `queryBatches` would, batch for batch, each row as the record
 *   `csvRecord` (core/csv-record.ts) writes of its lossless text values. An engine that receives values, not
 *   text (Athena's GetQueryResults, a test double), renders them with `linesOfBatches` (core/csv-record.ts).
 */
export interface QueryEngine {
  readonly capabilities: QueryEngineCapabilities;
  query(sql: string, parameters?: readonly QueryParameter[]): Promise<QueryResult>;
  queryBatches(
    sql: string,
    parameters: readonly QueryParameter[],
    batchRows: number,
  ): AsyncIterable<QueryResult>;
  queryLines(
    sql: string,
    parameters: readonly QueryParameter[],
    batchRows: number,
  ): AsyncIterable<LineResult>;
  close(): Promise<void>;
}
