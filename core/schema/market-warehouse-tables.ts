/**
 * @module
 * The warehouse's market tables (README, "Market data"): one per market lake table, in schema `market` beside
 * the star schema in `public` (whose 11 tables stay as the brief publishes them), generated from the market
 * lake tables (`market-lake-tables.ts`) so the two never disagree. Keyed by the observation's key: the loader
 * merges each key's newest fetch into them, so a re-fetch or a re-delivered object changes nothing.
 *
 * Identifiers come only from here and from the lake schema, so they are safe to quote into SQL.
 */
import type { LakeColumnType } from './lake-table.ts';
import { MARKET_LAKE_TABLES, type MarketLakeTableName } from './market-lake-tables.ts';

/** The schema of the market tables. */
export const MARKET_SCHEMA = 'market';

/** The PostgreSQL type of a market column. */
export type MarketWarehouseColumnType = 'date' | 'varchar' | 'numeric(18,8)' | 'bigint' | 'timestamp(3)';

/** One column of a market table. */
export interface MarketWarehouseColumn {
  readonly name: string;
  readonly type: MarketWarehouseColumnType;
  readonly nullable: boolean;
}

/** A market table of the warehouse, `market.<name>`. */
export interface MarketWarehouseTable {
  readonly name: MarketLakeTableName;
  /** The observation key (source, series, date): the primary key, and the merge's conflict target. */
  readonly primaryKey: readonly string[];
  /** The newest fetch of a key wins the merge. */
  readonly versionColumn: 'fetched_at';
  readonly columns: readonly MarketWarehouseColumn[];
}

const WAREHOUSE_TYPES: { readonly [T in LakeColumnType]?: MarketWarehouseColumnType } = {
  date: 'date',
  string: 'varchar',
  'decimal(18,8)': 'numeric(18,8)',
  bigint: 'bigint',
  timestamp: 'timestamp(3)',
};

function warehouseTable(name: MarketLakeTableName): MarketWarehouseTable {
  const lake = MARKET_LAKE_TABLES[name];
  return {
    name,
    primaryKey: lake.keyColumns,
    versionColumn: lake.versionColumn,
    columns: lake.columns.map((column) => {
      const type = WAREHOUSE_TYPES[column.type];
      if (!type) throw new Error(`Market lake column ${name}.${column.name} has no warehouse type.`);
      return { name: column.name, type, nullable: lake.nullableColumns.includes(column.name) };
    }),
  };
}

/** Every market table of the warehouse, keyed by name. */
export const MARKET_WAREHOUSE_TABLES: { readonly [T in MarketLakeTableName]: MarketWarehouseTable } = {
  fx_rate: warehouseTable('fx_rate'),
  market_price: warehouseTable('market_price'),
  economic_observation: warehouseTable('economic_observation'),
};

/**
 * The views giving every current sales order and payment its value in GBP (README, "Sales in GBP"), in schema
 * `public` beside the facts' current views they read.
 */
export const GBP_VIEWS = {
  salesOrder: 'sales_order_gbp',
  payment: 'payment_gbp',
} as const;

/** The currency every GBP view converts to; `market.fx_rate` rows with this base price the others. */
export const REPORTING_CURRENCY = 'GBP';
