/**
 * @module
 * The warehouse DDL: the star tables generated from their typed definition (`core/schema/warehouse-tables.ts`)
 * in schema `public`, each fact row carrying the committed version it was loaded from, the `pipeline`
 * bookkeeping schema, and each fact's current-state view over both. Every statement is idempotent
 * (`IF NOT EXISTS`, `CREATE OR REPLACE`), so the migration can run on every start.
 */
import {
  FACT_TABLE_NAMES,
  type FactTableName,
  WAREHOUSE_TABLE_NAMES,
  WAREHOUSE_TABLES,
  type WarehouseColumn,
  type WarehouseTable,
} from '../core/schema/warehouse-tables.ts';

/**
 * The columns of a fact row naming the committed version it holds: the change's commit LSN and its position
 * in the transaction, `(lsn, seq)` as the lake carries them (`_lsn`, `_seq`). They are the exactly-once
 * record: {@link versionConstraint} makes a second row of the same version of an order impossible.
 */
export const VERSION_COLUMNS = [
  { name: 'version_lsn', type: 'numeric(20,0)' },
  { name: 'version_seq', type: 'integer' },
] as const;

/**
 * The unique constraint on `(order, version_lsn, version_seq)` of a fact: a version appended twice fails the
 * load's transaction, and its index serves every per-order read (the current views, the loader's anti-join
 * and its latest-version lookups).
 */
export function versionConstraint(table: FactTableName): { name: string; columns: string } {
  const { orderKey } = WAREHOUSE_TABLES[table];
  return { name: `${table}_version_key`, columns: `${orderKey}, version_lsn, version_seq` };
}

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

/**
 * The star tables, dimensions first so the facts' foreign keys find their targets; a fact also has its
 * version columns and their unique constraint (a warehouse created before them is upgraded by
 * warehouse/fact-version-upgrade.ts).
 */
export const STAR_DDL: readonly string[] = WAREHOUSE_TABLE_NAMES.map((name) => {
  const table: WarehouseTable = WAREHOUSE_TABLES[name];
  const columns = table.columns.map((column) => `    ${columnDdl(table, column)}`);
  if (table.kind === 'fact') {
    columns.push(...VERSION_COLUMNS.map((c) => `    ${c.name} ${c.type} NOT NULL`));
    const unique = versionConstraint(table.name);
    columns.push(`    CONSTRAINT ${unique.name} UNIQUE (${unique.columns})`);
  }
  return `CREATE TABLE IF NOT EXISTS public.${name} (\n${columns.join(',\n')}\n  )`;
});

/**
 * The `pipeline` schema: the loader's cut, load history, deletes of orders, inferred members, lag samples and
 * running totals (the fact versions are in the fact rows, and {@link FACT_VERSION_VIEW_DDL} lists them).
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
 * latest loaded version of each order or payment (by commit LSN and position), with the fact table's star
 * columns, left out while a delete newer than that version is recorded. A key inserted again after its delete
 * has a newer version, so it is current again. Reports and `reconcile` read these. The columns are listed (not
 * `f.*`): the version columns stay out, so the view keeps the columns it had before they existed.
 */
export const CURRENT_VIEW_DDL: readonly string[] = FACT_TABLE_NAMES.map((name) => {
  const { currentView, orderKey, columns } = WAREHOUSE_TABLES[name];
  return `CREATE OR REPLACE VIEW public.${currentView} AS
    SELECT ${columns.map((c) => `v.${c.name}`).join(', ')} FROM (
      SELECT DISTINCT ON (${orderKey}) * FROM public.${name}
      ORDER BY ${orderKey} DESC, version_lsn DESC, version_seq DESC
    ) AS v
    WHERE NOT EXISTS (
      SELECT 1 FROM pipeline.fact_deletion AS d
      WHERE d.fact_table = '${name}' AND d.order_id = v.${orderKey}
        AND (d.lsn, d.seq) > (v.version_lsn, v.version_seq)
    )`;
});

/**
 * `pipeline.fact_version`: every loaded version of every fact, one row per fact row, as the table of that name
 * held before the versions moved into the fact rows (README "The star schema"); `reconcile`'s history check and
 * operators read it.
 */
export const FACT_VERSION_VIEW_DDL = `CREATE OR REPLACE VIEW pipeline.fact_version AS
  ${FACT_TABLE_NAMES.map((name) => {
    const { orderKey, primaryKey } = WAREHOUSE_TABLES[name];
    return `SELECT '${name}'::text AS fact_table, ${orderKey} AS order_id, version_lsn AS lsn, version_seq AS seq,
    ${primaryKey}::bigint AS record_id FROM public.${name}`;
  }).join('\n  UNION ALL ')}`;
