/**
 * @module
 * The warehouse's star schema as typed data: the Sales, Purchases and Payments stars in schema `public`, their
 * columns in table order, types, nullability, keys and foreign keys.
 *
 * The one definition of the star tables: the migration generates its DDL from it
 * (`warehouse/warehouse-ddl.ts`), the PostgreSQL warehouse stages, upserts, infers members and checks
 * references from it, and `reconcile` keys its comparison by it. Identifiers come only from here, so they are
 * safe to quote into SQL.
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

/** The name of a dimension table. */
export type DimensionTableName = (typeof DIMENSION_TABLE_NAMES)[number];

/** The name of a fact table. */
export type FactTableName = (typeof FACT_TABLE_NAMES)[number];

/** The schema that holds pipeline bookkeeping (cuts, load history, lag samples), never star data. */
export const PIPELINE_SCHEMA = 'pipeline';

/**
 * The channel every load notifies (`pg_notify`) inside its transaction, so a listener hears of a load exactly
 * when it becomes visible; the dashboard's live updates listen on it. The payload is the new cut's LSN.
 */
export const LOAD_NOTIFICATION_CHANNEL = 'totesys_stream_load';

/**
 * The histograms the loader keeps in `pipeline.histogram_bucket` (warehouse/load-totals.ts), by the name
 * stored there; `/metrics` exposes them as `totesys_<name>`.
 */
export const PIPELINE_HISTOGRAMS = {
  /** Commit-to-warehouse latency of every change a load made visible, seconds. */
  endToEnd: 'end_to_end_seconds',
  /** Duration of every load, seconds. */
  loadDuration: 'loader_run_duration_seconds',
} as const;
/** The stored name of a pipeline histogram. */
export type PipelineHistogramName = (typeof PIPELINE_HISTOGRAMS)[keyof typeof PIPELINE_HISTOGRAMS];

/** The PostgreSQL type of a star column, as the DDL declares it (`serial` only for a fact's record id). */
export type WarehouseColumnType =
  | 'integer'
  | 'serial'
  | 'varchar'
  | 'date'
  | 'time'
  | 'numeric(10,2)'
  | 'boolean';

/** One column of a star table. */
export interface WarehouseColumn {
  readonly name: string;
  readonly type: WarehouseColumnType;
  readonly nullable: boolean;
  /** A foreign key to a dimension, referencing that dimension's primary key. */
  readonly references?: DimensionTableName;
}

/** A dimension: keyed by the source's natural id, one row per member (upserted). */
export interface DimensionTable {
  readonly name: DimensionTableName;
  readonly kind: 'dimension';
  /** The natural key, also the primary key. */
  readonly primaryKey: string;
  readonly columns: readonly WarehouseColumn[];
}

/** A fact: one row per committed version of an order or payment, keyed by a serial surrogate. */
export interface FactTable {
  readonly name: FactTableName;
  readonly kind: 'fact';
  /** The serial surrogate record id, the primary key. */
  readonly primaryKey: string;
  /** The source's order (or payment) id every version of one order shares; indexed. */
  readonly orderKey: string;
  /** The view in `public` of each order's current state: its latest version, deleted orders left out. */
  readonly currentView: string;
  readonly columns: readonly WarehouseColumn[];
}

/** A star table. */
export type WarehouseTable = DimensionTable | FactTable;

/** A foreign key between star tables: a fact (or dimension) column referencing a dimension's primary key. */
export interface WarehouseForeignKey {
  readonly table: WarehouseTableName;
  readonly column: string;
  readonly target: DimensionTableName;
  readonly targetColumn: string;
}

const int = (name: string, nullable = false): WarehouseColumn => ({ name, type: 'integer', nullable });
const text = (name: string, nullable = false): WarehouseColumn => ({ name, type: 'varchar', nullable });
const day = (name: string): WarehouseColumn => ({
  name,
  type: 'date',
  nullable: false,
  references: 'dim_date',
});
const time = (name: string): WarehouseColumn => ({ name, type: 'time', nullable: false });
const money = (name: string): WarehouseColumn => ({ name, type: 'numeric(10,2)', nullable: false });
const ref = (name: string, target: DimensionTableName): WarehouseColumn => ({
  name,
  type: 'integer',
  nullable: false,
  references: target,
});
const recordId = (name: string): WarehouseColumn => ({ name, type: 'serial', nullable: false });

/** Every star table, keyed by name. Column order is the table's. */
export const WAREHOUSE_TABLES: {
  readonly [T in DimensionTableName]: DimensionTable & { readonly name: T };
} & { readonly [T in FactTableName]: FactTable & { readonly name: T } } = {
  dim_date: {
    name: 'dim_date',
    kind: 'dimension',
    primaryKey: 'date_id',
    columns: [
      { name: 'date_id', type: 'date', nullable: false },
      int('year'),
      int('month'),
      int('day'),
      int('day_of_week'),
      text('day_name'),
      text('month_name'),
      int('quarter'),
    ],
  },
  dim_currency: {
    name: 'dim_currency',
    kind: 'dimension',
    primaryKey: 'currency_id',
    columns: [int('currency_id'), text('currency_code'), text('currency_name')],
  },
  dim_location: {
    name: 'dim_location',
    kind: 'dimension',
    primaryKey: 'location_id',
    columns: [
      int('location_id'),
      text('address_line_1'),
      text('address_line_2', true),
      text('district', true),
      text('city'),
      text('postal_code'),
      text('country'),
      text('phone'),
    ],
  },
  dim_design: {
    name: 'dim_design',
    kind: 'dimension',
    primaryKey: 'design_id',
    columns: [int('design_id'), text('design_name'), text('file_location'), text('file_name')],
  },
  dim_payment_type: {
    name: 'dim_payment_type',
    kind: 'dimension',
    primaryKey: 'payment_type_id',
    columns: [int('payment_type_id'), text('payment_type_name')],
  },
  dim_staff: {
    name: 'dim_staff',
    kind: 'dimension',
    primaryKey: 'staff_id',
    columns: [
      int('staff_id'),
      text('first_name'),
      text('last_name'),
      text('department_name'),
      text('location', true),
      text('email_address'),
    ],
  },
  dim_counterparty: {
    name: 'dim_counterparty',
    kind: 'dimension',
    primaryKey: 'counterparty_id',
    columns: [
      int('counterparty_id'),
      text('counterparty_legal_name'),
      text('counterparty_legal_address_line_1'),
      text('counterparty_legal_address_line_2', true),
      text('counterparty_legal_district', true),
      text('counterparty_legal_city'),
      text('counterparty_legal_postal_code'),
      text('counterparty_legal_country'),
      text('counterparty_legal_phone_number'),
    ],
  },
  dim_transaction: {
    name: 'dim_transaction',
    kind: 'dimension',
    primaryKey: 'transaction_id',
    columns: [
      int('transaction_id'),
      text('transaction_type'),
      int('sales_order_id', true),
      int('purchase_order_id', true),
    ],
  },
  fact_sales_order: {
    name: 'fact_sales_order',
    kind: 'fact',
    primaryKey: 'sales_record_id',
    orderKey: 'sales_order_id',
    currentView: 'current_sales_order',
    columns: [
      recordId('sales_record_id'),
      int('sales_order_id'),
      day('created_date'),
      time('created_time'),
      day('last_updated_date'),
      time('last_updated_time'),
      ref('sales_staff_id', 'dim_staff'),
      ref('counterparty_id', 'dim_counterparty'),
      int('units_sold'),
      money('unit_price'),
      ref('currency_id', 'dim_currency'),
      ref('design_id', 'dim_design'),
      day('agreed_payment_date'),
      day('agreed_delivery_date'),
      ref('agreed_delivery_location_id', 'dim_location'),
    ],
  },
  fact_purchase_order: {
    name: 'fact_purchase_order',
    kind: 'fact',
    primaryKey: 'purchase_record_id',
    orderKey: 'purchase_order_id',
    currentView: 'current_purchase_order',
    columns: [
      recordId('purchase_record_id'),
      int('purchase_order_id'),
      day('created_date'),
      time('created_time'),
      day('last_updated_date'),
      time('last_updated_time'),
      ref('staff_id', 'dim_staff'),
      ref('counterparty_id', 'dim_counterparty'),
      text('item_code'),
      int('item_quantity'),
      money('item_unit_price'),
      ref('currency_id', 'dim_currency'),
      day('agreed_delivery_date'),
      day('agreed_payment_date'),
      ref('agreed_delivery_location_id', 'dim_location'),
    ],
  },
  fact_payment: {
    name: 'fact_payment',
    kind: 'fact',
    primaryKey: 'payment_record_id',
    orderKey: 'payment_id',
    currentView: 'current_payment',
    columns: [
      recordId('payment_record_id'),
      int('payment_id'),
      day('created_date'),
      time('created_time'),
      day('last_updated_date'),
      // `last_updated` (not last_updated_time) is the Payments star's published column name.
      time('last_updated'),
      ref('transaction_id', 'dim_transaction'),
      ref('counterparty_id', 'dim_counterparty'),
      money('payment_amount'),
      ref('currency_id', 'dim_currency'),
      ref('payment_type_id', 'dim_payment_type'),
      { name: 'paid', type: 'boolean', nullable: false },
      day('payment_date'),
    ],
  },
};

/** Narrows a star table name to a fact table. */
export function isFactTable(table: WarehouseTableName): table is FactTableName {
  return WAREHOUSE_TABLES[table].kind === 'fact';
}

/**
 * The key a star table's rows are identified by across loads: a dimension's primary key, a fact's order id
 * (each version of an order is its own row, under its own record id).
 */
export function businessKey(table: WarehouseTableName): string {
  const definition: WarehouseTable = WAREHOUSE_TABLES[table];
  return definition.kind === 'fact' ? definition.orderKey : definition.primaryKey;
}

/** The columns the loader writes: every column but a fact's surrogate record id. */
export function loadedColumns(table: WarehouseTableName): readonly WarehouseColumn[] {
  const definition: WarehouseTable = WAREHOUSE_TABLES[table];
  return definition.kind === 'fact'
    ? definition.columns.filter((c) => c.name !== definition.primaryKey)
    : definition.columns;
}

/** Every foreign key of the star schema, in table and column order. */
export const WAREHOUSE_FOREIGN_KEYS: readonly WarehouseForeignKey[] = WAREHOUSE_TABLE_NAMES.flatMap((table) =>
  WAREHOUSE_TABLES[table].columns.flatMap((column) =>
    column.references
      ? [
          {
            table,
            column: column.name,
            target: column.references,
            targetColumn: WAREHOUSE_TABLES[column.references].primaryKey,
          },
        ]
      : [],
  ),
);

/** Narrows an untrusted string to a star table name. */
export function isWarehouseTableName(name: string): name is WarehouseTableName {
  return (WAREHOUSE_TABLE_NAMES as readonly string[]).includes(name);
}
