/**
 * @module
 * The warehouse's star tables by name, in load order: dimensions (dim_date first), then facts.
 */

/** Dimension tables, loaded first (upserted, latest version wins). */
export const DIMENSION_TABLE_NAMES = [
  'dim_date',
  'dim_currency',
  'dim_location',
  'dim_design',
  'dim_payment_type',
  'dim_staff',
  'dim_counterparty',
  'dim_transaction',
] as const;

/** Fact tables, loaded after dimensions (appended, one row per committed version). */
export const FACT_TABLE_NAMES = ['fact_sales_order', 'fact_purchase_order', 'fact_payment'] as const;

/** Every star table, in load order. */
export const WAREHOUSE_TABLE_NAMES = [...DIMENSION_TABLE_NAMES, ...FACT_TABLE_NAMES] as const;

/** The name of a star table. */
export type WarehouseTableName = (typeof WAREHOUSE_TABLE_NAMES)[number];

/** The schema that holds pipeline bookkeeping (cuts, load history, lag samples), never star data. */
export const PIPELINE_SCHEMA = 'pipeline';
