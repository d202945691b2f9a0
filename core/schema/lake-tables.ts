/**
 * @module
 * The lake's schema: the Glue database and its 11 tables. The single source for CDK, the local Parquet
 * writer, DuckDB's views and the transformation's validation.
 */

import { department } from './lake/department.ts';
import { dimCounterparty } from './lake/dim-counterparty.ts';
import { dimCurrency } from './lake/dim-currency.ts';
import { dimDesign } from './lake/dim-design.ts';
import { dimLocation } from './lake/dim-location.ts';
import { dimPaymentType } from './lake/dim-payment-type.ts';
import { dimStaff } from './lake/dim-staff.ts';
import { dimTransaction } from './lake/dim-transaction.ts';
import { factPayment } from './lake/fact-payment.ts';
import { factPurchaseOrder } from './lake/fact-purchase-order.ts';
import { factSalesOrder } from './lake/fact-sales-order.ts';
import { METADATA_COLUMNS } from './lake-metadata-columns.ts';
import type { LakeColumn, LakeTable, LakeTableName } from './lake-table.ts';
import type { MarketLakeTable, MarketLakeTableName } from './market-lake-table.ts';
import { MARKET_LAKE_TABLES } from './market-lake-tables.ts';
import type { SourceTableName } from './source-tables.ts';

export { DT_PROJECTION, METADATA_COLUMNS, PARTITION_COLUMN } from './lake-metadata-columns.ts';
export type {
  LakeColumn,
  LakeColumnType,
  LakeDecimalType,
  LakeTable,
  LakeTableLocation,
  LakeTableName,
} from './lake-table.ts';
export { DECIMAL_SHAPES, isDecimalType, LAKE_TABLE_NAMES } from './lake-table.ts';

/** The Glue database that holds the lake tables. */
export const GLUE_DATABASE = 'totesys_lake';

/** Every lake table, keyed by name. */
export const LAKE_TABLES: { readonly [T in LakeTableName]: LakeTable } = {
  fact_sales_order: factSalesOrder,
  fact_purchase_order: factPurchaseOrder,
  fact_payment: factPayment,
  dim_transaction: dimTransaction,
  dim_location: dimLocation,
  dim_design: dimDesign,
  dim_payment_type: dimPaymentType,
  dim_currency: dimCurrency,
  dim_staff: dimStaff,
  dim_counterparty: dimCounterparty,
  department,
};

const BY_SOURCE = new Map<SourceTableName, LakeTable>(Object.values(LAKE_TABLES).map((t) => [t.source, t]));

/** The lake table a source table's changes land in (one delivery stream per pair). */
export function lakeTableForSource(source: SourceTableName): LakeTable {
  const table = BY_SOURCE.get(source);
  if (!table)
    throw new Error(
      `No lake table is defined for source table "${source}"; add one under core/schema/lake/.`,
    );
  return table;
}

/**
 * A table of the lake of either kind: a CDC table (one source table's changes) or a market table (collected
 * observations, core/schema/market-lake-tables.ts). The Firehose conversion, the Parquet writer and reader
 * take either.
 */
export type AnyLakeTable = LakeTable | MarketLakeTable;

/** The name of a lake table of either kind. */
export type AnyLakeTableName = LakeTableName | MarketLakeTableName;

/** The definition of a lake table of either kind, by name. */
export function anyLakeTable(name: AnyLakeTableName): AnyLakeTable {
  return Object.hasOwn(LAKE_TABLES, name)
    ? LAKE_TABLES[name as LakeTableName]
    : MARKET_LAKE_TABLES[name as MarketLakeTableName];
}

/**
 * The full column list of a lake table's Parquet files: a CDC table's business columns followed by the
 * metadata columns; a market table's columns as they are (its provenance columns are its own).
 */
export function lakeColumns(table: AnyLakeTable): readonly LakeColumn[] {
  return table.kind === 'observation' ? table.columns : [...table.columns, ...METADATA_COLUMNS];
}
