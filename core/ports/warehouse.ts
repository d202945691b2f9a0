/**
 * @module
 * Warehouse: the star schema the loader loads into (PostgreSQL), and the cut it holds.
 */
import type { LakeTableName } from '../schema/lake-tables.ts';
import type { DimensionTableName, FactTableName, WarehouseTableName } from '../schema/warehouse-tables.ts';

/** The consistent point the warehouse reflects: every source change with commit LSN at or below it. */
export interface Cut {
  /** Decimal 64-bit LSN. */
  readonly lsn: string;
  /** Commit time of the newest change at or below the cut, UTC ISO-8601 with milliseconds, if known. */
  readonly commitTs: string | null;
}

/** Rows to load for one table: column names and lossless text values, already deduped by the loader. */
export interface TableRows {
  readonly table: WarehouseTableName;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (string | null)[])[];
}

/**
 * Some rows of one table: its columns and lossless text values, or each row as one CSV record of them
 * (core/csv-record.ts), the form the query engine can hand out (core/ports/query-engine.ts `queryLines`) and
 * the staging COPY reads.
 */
export type RowBatch =
  | { readonly columns: readonly string[]; readonly rows: readonly (readonly (string | null)[])[] }
  | { readonly columns: readonly string[]; readonly lines: readonly string[] };

/**
 * One table's rows a batch at a time, read by the warehouse while it stages them (so a load holds one batch,
 * not the table); every batch has the same columns. A table whose batches hold no row is not loaded (but
 * `dim_date`, whose rows are generated from the facts').
 */
export interface StreamedTableRows {
  readonly table: WarehouseTableName;
  readonly batches: AsyncIterable<RowBatch>;
}

/** The newest watermark of one lake table: its LSN and emit time (UTC `YYYY-MM-DD HH:MM:SS.mmm`). */
export interface LakeWatermark {
  readonly table: LakeTableName;
  readonly lsn: string;
  readonly emittedAt: string | null;
  /** LSN of the newest change (not watermark) in the scanned partitions, if any. */
  readonly newestChangeLsn?: string | null;
}

/** The whole of one load: every table's new rows and the cut they bring the warehouse to. */
export interface LoadBatch {
  readonly fromCut: Cut | null;
  /** Read once every table was staged: a streamed batch knows its newest commit only then. */
  readonly toCut: Cut;
  /**
   * Dimensions first, then facts; the warehouse applies them in this order. It reads streamed tables one after
   * another in this order, so a table's rows may be made from those of the tables before it (dim_date's).
   */
  readonly tables: readonly (TableRows | StreamedTableRows)[];
  /** The lake watermarks the cut was computed from; the warehouse samples lake lag from their emit times. */
  readonly watermarks: readonly LakeWatermark[];
}

/** A dimension row the warehouse invented because a fact referenced a key neither lake nor warehouse had. */
export interface InferredMember {
  readonly dimension: string;
  readonly memberId: string;
}

/** Commit-to-visible latency of the changes one load made visible, in seconds. */
export interface LoadLatency {
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
  readonly changes: number;
}

/** What a load changed: rows per table, the members it had to infer and the latency of what it made visible. */
export interface LoadReport {
  readonly rowsWritten: Readonly<Partial<Record<WarehouseTableName, number>>>;
  readonly inferredMembers: readonly InferredMember[];
  /** Null when the batch made no change newer than the previous cut visible. */
  readonly latency: LoadLatency | null;
}

/**
 * The star-schema warehouse.
 *
 * Contract:
 * - **Atomicity.** `load` applies every table of the batch and records `toCut` in one transaction: a reader
 *   sees the warehouse at the previous cut or the new one, never between. A failed load changes nothing.
 * - **Exactly-once effect.** Loading a batch whose `fromCut` is not the current cut is refused with
 *   {@link CutMovedError} and writes nothing (another run got there first). Dimensions are upserted (latest
 *   version wins; a delete removes a member no fact references); facts are appended once per committed version
 *   and a version already present is never added again, so replaying a batch adds nothing. A delete of an order
 *   adds no fact row: it is recorded once (its `(key, lsn, seq)`), and the order's current state (its latest
 *   version) is hidden while a delete newer than that version is recorded.
 * - **Referential integrity.** Every key a fact references exists after the load: a missing dimension member
 *   is inferred (and reported) until its real row arrives and replaces it.
 * - **Unchanged values.** A column named in a row's `_unchanged` keeps the value the warehouse already holds.
 */
export interface Warehouse {
  /** The cut the warehouse holds, or null before the first load. */
  currentCut(): Promise<Cut | null>;
  load(batch: LoadBatch): Promise<LoadReport>;
  /**
   * The keys (as text, in ascending order, `batchRows` at a time, from one consistent snapshot) whose current
   * state the warehouse holds: of a fact, the orders or payments with a loaded version and no delete recorded
   * after it (the keys of its `current_*` view); of a dimension, the members it holds (inferred ones included).
   * Read beside a load in progress, it shows the state before that load; stopping early releases the read.
   */
  currentKeys(table: FactTableName | DimensionTableName, batchRows: number): AsyncIterable<readonly string[]>;
  close(): Promise<void>;
}

/** The warehouse's cut moved between reading it and loading: another run got there first. */
export class CutMovedError extends Error {
  override readonly name = 'CutMovedError';
}
