/**
 * @module
 * The shape of a lake table definition. Everything that touches the lake derives from these: the CDK Glue
 * tables and Firehose conversion, the local Parquet writer, DuckDB's views and the transform's validation.
 */
import type { SourceTableName } from './source-tables.ts';

/** The exact decimal types of the lake: money to the cent (totesys), rates and prices to 10^-8 (market data). */
export type LakeDecimalType = 'decimal(10,2)' | 'decimal(18,8)';

/** The Glue (Hive) column types the lake uses. */
export type LakeColumnType = 'int' | 'bigint' | 'string' | 'boolean' | 'date' | 'timestamp' | LakeDecimalType;

/**
 * Digits in all and fraction digits of each decimal type. Both fit a signed 64-bit unscaled integer (at most
 * 18 digits), which is how lake values (`bigint` of the scaled value) and Parquet files (INT64) hold them.
 */
export const DECIMAL_SHAPES: {
  readonly [T in LakeDecimalType]: { readonly precision: number; readonly scale: number };
} = {
  'decimal(10,2)': { precision: 10, scale: 2 },
  'decimal(18,8)': { precision: 18, scale: 8 },
};

/** Narrows a column type to a decimal type. */
export function isDecimalType(type: LakeColumnType): type is LakeDecimalType {
  return Object.hasOwn(DECIMAL_SHAPES, type);
}

/** One column of a lake table. */
export interface LakeColumn {
  readonly name: string;
  readonly type: LakeColumnType;
  /** What the column holds; becomes the Glue column comment. */
  readonly comment: string;
}

/** The names of the 11 lake tables, each named after the warehouse table it feeds. */
export const LAKE_TABLE_NAMES = [
  'fact_sales_order',
  'fact_purchase_order',
  'fact_payment',
  'dim_transaction',
  'dim_location',
  'dim_design',
  'dim_payment_type',
  'dim_currency',
  'dim_staff',
  'dim_counterparty',
  'department',
] as const;

/** Where a lake table's data lives and how it is partitioned (from Glue on AWS, the lake directory offline). */
export interface LakeTableLocation {
  readonly table: LakeTableName;
  /** `s3://bucket/prefix/` on AWS, an absolute directory offline. */
  readonly location: string;
  readonly partitionColumn: 'dt';
}

/** The name of a lake table. */
export type LakeTableName = (typeof LAKE_TABLE_NAMES)[number];

/**
 * A lake table: the rows one source table's delivery stream lands, one row per change event.
 *
 * `columns` are the business columns in warehouse order; the metadata columns and the `dt` partition are the
 * same for every table and live in `core/schema/lake-metadata-columns.ts`.
 */
export interface LakeTable {
  readonly name: LakeTableName;
  /** The source table whose changes fill it (one delivery stream each). */
  readonly source: SourceTableName;
  /** `fact` keeps every version, `dimension` the latest; `reference` feeds another table's join. */
  readonly kind: 'fact' | 'dimension' | 'reference';
  /** The column holding the source primary key (renamed where the warehouse renames it). */
  readonly keyColumn: string;
  readonly description: string;
  readonly columns: readonly LakeColumn[];
}
