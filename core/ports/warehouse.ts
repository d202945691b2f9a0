/**
 * @module
 * Warehouse: the PostgreSQL star schema and the cut it holds.
 */
import type { WarehouseTableName } from '../../warehouse/warehouse-tables.ts';

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

/** The whole of one load: every table's new rows and the cut they bring the warehouse to. */
export interface LoadBatch {
  readonly fromCut: Cut | null;
  readonly toCut: Cut;
  /** Dimensions first, then facts; the warehouse applies them in this order. */
  readonly tables: readonly TableRows[];
}

/** What a load changed, per table. */
export interface LoadReport {
  readonly rowsWritten: Readonly<Partial<Record<WarehouseTableName, number>>>;
}

/**
 * The star-schema warehouse.
 *
 * Contract:
 * - **Atomicity.** `load` applies every table of the batch and records `toCut` in one transaction: a reader
 *   sees the warehouse at the previous cut or the new one, never between.
 * - **Exactly-once effect.** Loading a batch whose `fromCut` is not the current cut is refused (another run
 *   got there first). Dimensions are upserted (latest version wins); facts are appended once per committed
 *   version and a version already present is never added again.
 * - **Referential integrity.** Every key a fact references exists after the load (inferred members if needed).
 */
export interface Warehouse {
  currentCut(): Promise<Cut | null>;
  load(batch: LoadBatch): Promise<LoadReport>;
  rowCounts(): Promise<Readonly<Record<WarehouseTableName, number>>>;
  close(): Promise<void>;
}
