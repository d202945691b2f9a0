/**
 * @module
 * The warehouse DDL: the star tables generated from their typed definition (`core/schema/warehouse-tables.ts`)
 * in schema `public`, the `pipeline` bookkeeping schema, and each fact's current-state view over both. Every
 * statement is idempotent (`IF NOT EXISTS`, `CREATE OR REPLACE`), so the migration can run on every start.
 */
import {
  FACT_TABLE_NAMES,
  WAREHOUSE_TABLE_NAMES,
  WAREHOUSE_TABLES,
  type WarehouseColumn,
  type WarehouseTable,
} from '../core/schema/warehouse-tables.ts';

/** A column's DDL: type, nullability, primary key and foreign key, from the typed star schema. */
function columnDdl(table: WarehouseTable, column: WarehouseColumn): string {
  const parts = [column.name, column.type, column.nullable ? 'NULL' : 'NOT NULL'];
  if (column.name === table.primaryKey) parts.push('PRIMARY KEY');
  if (column.references) {
    const target = WAREHOUSE_TABLES[column.references];
    parts.push(`REFERENCES public.${target.name} (${target.primaryKey})`);
  }
  return parts.join(' ');
}

/** The star tables (dimensions first, so the facts' foreign keys find their targets), then the order-id indexes. */
export const STAR_DDL: readonly string[] = [
  ...WAREHOUSE_TABLE_NAMES.map((name) => {
    const table: WarehouseTable = WAREHOUSE_TABLES[name];
    const columns = table.columns.map((column) => `    ${columnDdl(table, column)}`);
    return `CREATE TABLE IF NOT EXISTS public.${name} (\n${columns.join(',\n')}\n  )`;
  }),
  ...FACT_TABLE_NAMES.map((name) => {
    const { orderKey } = WAREHOUSE_TABLES[name];
    return `CREATE INDEX IF NOT EXISTS ${name}_${orderKey}_idx ON public.${name} (${orderKey})`;
  }),
];

/**
 * The `pipeline` schema: the loader's cut, load history, fact versions, deletes of orders, inferred members,
 * lag samples and running totals.
 */
export const PIPELINE_DDL: readonly string[] = [
  'CREATE SCHEMA IF NOT EXISTS pipeline',
  // One row at most: the LSN the warehouse currently reflects (absent until the first load).
  `CREATE TABLE IF NOT EXISTS pipeline.cut (
    id integer NOT NULL PRIMARY KEY CHECK (id = 1),
    lsn numeric(20,0) NOT NULL,
    commit_ts timestamptz NULL,
    loaded_at timestamptz NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS pipeline.load_history (
    load_id bigserial NOT NULL PRIMARY KEY,
    from_lsn numeric(20,0) NULL,
    to_lsn numeric(20,0) NOT NULL,
    to_commit_ts timestamptz NULL,
    started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    rows_per_table jsonb NOT NULL,
    inferred_members jsonb NOT NULL,
    latency_p50_s double precision NULL,
    latency_p95_s double precision NULL,
    latency_max_s double precision NULL
  )`,
  // The dashboard reads the loads of the last minutes (http/pipeline-figures.ts).
  'CREATE INDEX IF NOT EXISTS load_history_finished_at_idx ON pipeline.load_history (finished_at)',
  // The primary key makes a second append of the same committed version fail inside the load transaction.
  `CREATE TABLE IF NOT EXISTS pipeline.fact_version (
    fact_table text NOT NULL,
    order_id integer NOT NULL,
    lsn numeric(20,0) NOT NULL,
    seq integer NOT NULL,
    record_id bigint NOT NULL,
    PRIMARY KEY (fact_table, order_id, lsn, seq)
  )`,
  // Every source delete of an order or payment the loader loaded (README "The star schema"): the fact rows stay
  // as history; the current views below leave the order out while this delete is newer than its latest
  // version. The key makes a delete delivered or loaded twice one record.
  `CREATE TABLE IF NOT EXISTS pipeline.fact_deletion (
    fact_table text NOT NULL,
    order_id integer NOT NULL,
    lsn numeric(20,0) NOT NULL,
    seq integer NOT NULL,
    commit_ts timestamptz NOT NULL,
    PRIMARY KEY (fact_table, order_id, lsn, seq)
  )`,
  `CREATE TABLE IF NOT EXISTS pipeline.inferred_member (
    dimension text NOT NULL,
    member_id text NOT NULL,
    inferred_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dimension, member_id)
  )`,
  `CREATE TABLE IF NOT EXISTS pipeline.lag_sample (
    sampled_at timestamptz NOT NULL DEFAULT now(),
    stage text NOT NULL,
    table_name text NULL,
    lag_seconds double precision NOT NULL,
    lag_bytes bigint NULL
  )`,
  'CREATE INDEX IF NOT EXISTS lag_sample_sampled_at_idx ON pipeline.lag_sample (sampled_at)',
  // One row at most: the source this warehouse's cut comes from (README "Where state lives"); a run with
  // another source is refused (local/data-dir-identity.ts).
  `CREATE TABLE IF NOT EXISTS pipeline.source_identity (
    id integer NOT NULL PRIMARY KEY CHECK (id = 1),
    system_identifier text NOT NULL,
    database_name text NOT NULL,
    slot_name text NOT NULL,
    publication_name text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
  )`,
  // Running totals over every load (warehouse/load-totals.ts): cumulative histogram buckets (`le` the upper
  // bound, 'Infinity' for +Inf), their sums, and rows written per table.
  `CREATE TABLE IF NOT EXISTS pipeline.histogram_bucket (
    histogram text NOT NULL,
    le double precision NOT NULL,
    observations bigint NOT NULL,
    PRIMARY KEY (histogram, le)
  )`,
  `CREATE TABLE IF NOT EXISTS pipeline.histogram_sum (
    histogram text NOT NULL PRIMARY KEY,
    sum double precision NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS pipeline.rows_loaded (
    table_name text NOT NULL PRIMARY KEY,
    rows bigint NOT NULL
  )`,
];

/**
 * `public.current_sales_order`, `current_purchase_order`, `current_payment` (each fact's `currentView`): the
 * latest loaded version of each order or payment (by commit LSN and position, from `pipeline.fact_version`),
 * with the fact table's columns, left out while a delete newer than that version is recorded. A key inserted
 * again after its delete has a newer version, so it is current again. Reports and `reconcile` read these.
 */
export const CURRENT_VIEW_DDL: readonly string[] = FACT_TABLE_NAMES.map((name) => {
  const { currentView, primaryKey } = WAREHOUSE_TABLES[name];
  return `CREATE OR REPLACE VIEW public.${currentView} AS
    SELECT f.* FROM public.${name} AS f
    JOIN (
      SELECT DISTINCT ON (order_id) order_id, lsn, seq, record_id FROM pipeline.fact_version
      WHERE fact_table = '${name}'
      ORDER BY order_id DESC, lsn DESC, seq DESC
    ) AS v ON v.record_id = f.${primaryKey}
    WHERE NOT EXISTS (
      SELECT 1 FROM pipeline.fact_deletion AS d
      WHERE d.fact_table = '${name}' AND d.order_id = v.order_id AND (d.lsn, d.seq) > (v.lsn, v.seq)
    )`;
});
