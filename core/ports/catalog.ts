/**
 * @module
 * Catalog: which lake tables exist and where their files are (Glue on AWS, DuckDB views offline).
 */
import type { LakeTableName } from '../schema/lake-table.ts';

/** Where a lake table's data lives and how it is partitioned. */
export interface LakeTableLocation {
  readonly table: LakeTableName;
  /** `s3://bucket/prefix/` on AWS, an absolute directory offline. */
  readonly location: string;
  readonly partitionColumn: 'dt';
}

/**
 * The lake's table catalog.
 *
 * Contract:
 * - **Source of truth.** Table and column definitions come from `core/schema/lake-tables.ts`; a catalog only publishes them.
 * - **Idempotency.** `ensureTables` creates what is missing and leaves what exists; calling it twice is safe.
 * - **Empty tables.** A table with no files yet is queryable and returns no rows, with its declared types.
 */
export interface Catalog {
  ensureTables(): Promise<void>;
  locate(table: LakeTableName): LakeTableLocation;
}
