/**
 * @module
 * MarketWarehouse: the warehouse's market tables (`market.*`, core/schema/market-warehouse-tables.ts) as the
 * loader sees them (README, "Market data").
 */
import type { MarketLakeTableName } from '../schema/market-lake-tables.ts';

/** Observations to merge into one market table: its column names and lossless text values. */
export interface ObservationRows {
  readonly table: MarketLakeTableName;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (string | null)[])[];
}

/**
 * The market tables of the warehouse.
 *
 * Contract:
 * - **Merge by key.** `mergeObservations` keeps one row per observation key (the table's primary key): a row
 *   whose key is new is inserted; one whose key is present replaces it only when its `fetched_at` is newer.
 *   So merging the same rows again, or older fetches of the same keys, in any order, writes nothing: the
 *   exactly-once effect of at-least-once delivery. It resolves with the rows it inserted or replaced.
 * - **Atomicity.** One call is one transaction: a failed merge changes nothing.
 * - **Horizon.** `newestFetch` is the largest `fetched_at` of the table (`YYYY-MM-DD HH:MM:SS.mmm`), or null
 *   while it is empty.
 */
export interface MarketWarehouse {
  mergeObservations(rows: ObservationRows): Promise<number>;
  newestFetch(table: MarketLakeTableName): Promise<string | null>;
}
