import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WAREHOUSE_TABLE_NAMES } from '../../core/schema/warehouse-tables.ts';
import { PgWarehouse } from '../../warehouse/pg-warehouse.ts';
import { migrateWarehouse } from '../../warehouse/warehouse-migration.ts';
import { createTestDatabase, type TestDatabase, withClient } from '../support/test-databases.ts';

type Column = [name: string, type: string, nullable: boolean];
const v = (name: string, nullable = false): Column => [name, 'character varying', nullable];
const i = (name: string, nullable = false): Column => [name, 'integer', nullable];
const d = (name: string): Column => [name, 'date', false];
const t = (name: string): Column => [name, 'time without time zone', false];
const money = (name: string): Column => [name, 'numeric(10,2)', false];
/** The committed version a fact row holds (warehouse/warehouse-ddl.ts, VERSION_COLUMNS). */
const version: Column[] = [
  ['version_lsn', 'numeric(20,0)', false],
  ['version_seq', 'integer', false],
];

/** The contract, written out independently of the DDL module. */
const EXPECTED: Record<string, Column[]> = {
  dim_date: [
    d('date_id'),
    i('year'),
    i('month'),
    i('day'),
    i('day_of_week'),
    v('day_name'),
    v('month_name'),
    i('quarter'),
  ],
  dim_staff: [
    i('staff_id'),
    v('first_name'),
    v('last_name'),
    v('department_name'),
    v('location', true),
    v('email_address'),
  ],
  dim_location: [
    i('location_id'),
    v('address_line_1'),
    v('address_line_2', true),
    v('district', true),
    v('city'),
    v('postal_code'),
    v('country'),
    v('phone'),
  ],
  dim_currency: [i('currency_id'), v('currency_code'), v('currency_name')],
  dim_design: [i('design_id'), v('design_name'), v('file_location'), v('file_name')],
  dim_counterparty: [
    i('counterparty_id'),
    v('counterparty_legal_name'),
    v('counterparty_legal_address_line_1'),
    v('counterparty_legal_address_line_2', true),
    v('counterparty_legal_district', true),
    v('counterparty_legal_city'),
    v('counterparty_legal_postal_code'),
    v('counterparty_legal_country'),
    v('counterparty_legal_phone_number'),
  ],
  dim_payment_type: [i('payment_type_id'), v('payment_type_name')],
  dim_transaction: [
    i('transaction_id'),
    v('transaction_type'),
    i('sales_order_id', true),
    i('purchase_order_id', true),
  ],
  fact_sales_order: [
    i('sales_record_id'),
    i('sales_order_id'),
    d('created_date'),
    t('created_time'),
    d('last_updated_date'),
    t('last_updated_time'),
    i('sales_staff_id'),
    i('counterparty_id'),
    i('units_sold'),
    money('unit_price'),
    i('currency_id'),
    i('design_id'),
    d('agreed_payment_date'),
    d('agreed_delivery_date'),
    i('agreed_delivery_location_id'),
    ...version,
  ],
  fact_purchase_order: [
    i('purchase_record_id'),
    i('purchase_order_id'),
    d('created_date'),
    t('created_time'),
    d('last_updated_date'),
    t('last_updated_time'),
    i('staff_id'),
    i('counterparty_id'),
    v('item_code'),
    i('item_quantity'),
    money('item_unit_price'),
    i('currency_id'),
    d('agreed_delivery_date'),
    d('agreed_payment_date'),
    i('agreed_delivery_location_id'),
    ...version,
  ],
  fact_payment: [
    i('payment_record_id'),
    i('payment_id'),
    d('created_date'),
    t('created_time'),
    d('last_updated_date'),
    t('last_updated'),
    i('transaction_id'),
    i('counterparty_id'),
    money('payment_amount'),
    i('currency_id'),
    i('payment_type_id'),
    ['paid', 'boolean', false],
    d('payment_date'),
    ...version,
  ],
};

const EXPECTED_FOREIGN_KEYS = [
  'fact_payment.counterparty_id -> dim_counterparty.counterparty_id',
  'fact_payment.created_date -> dim_date.date_id',
  'fact_payment.currency_id -> dim_currency.currency_id',
  'fact_payment.last_updated_date -> dim_date.date_id',
  'fact_payment.payment_date -> dim_date.date_id',
  'fact_payment.payment_type_id -> dim_payment_type.payment_type_id',
  'fact_payment.transaction_id -> dim_transaction.transaction_id',
  'fact_purchase_order.agreed_delivery_date -> dim_date.date_id',
  'fact_purchase_order.agreed_delivery_location_id -> dim_location.location_id',
  'fact_purchase_order.agreed_payment_date -> dim_date.date_id',
  'fact_purchase_order.counterparty_id -> dim_counterparty.counterparty_id',
  'fact_purchase_order.created_date -> dim_date.date_id',
  'fact_purchase_order.currency_id -> dim_currency.currency_id',
  'fact_purchase_order.last_updated_date -> dim_date.date_id',
  'fact_purchase_order.staff_id -> dim_staff.staff_id',
  'fact_sales_order.agreed_delivery_date -> dim_date.date_id',
  'fact_sales_order.agreed_delivery_location_id -> dim_location.location_id',
  'fact_sales_order.agreed_payment_date -> dim_date.date_id',
  'fact_sales_order.counterparty_id -> dim_counterparty.counterparty_id',
  'fact_sales_order.created_date -> dim_date.date_id',
  'fact_sales_order.currency_id -> dim_currency.currency_id',
  'fact_sales_order.design_id -> dim_design.design_id',
  'fact_sales_order.last_updated_date -> dim_date.date_id',
  'fact_sales_order.sales_staff_id -> dim_staff.staff_id',
];

interface ColumnRow {
  schema: string;
  table_name: string;
  column_name: string;
  type: string;
  nullable: boolean;
}

async function columns(url: string, schema: string): Promise<ColumnRow[]> {
  return withClient(url, async (client) => {
    const result = await client.query<ColumnRow>(
      `SELECT n.nspname AS schema, c.relname AS table_name, a.attname AS column_name,
              format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY c.relname, a.attnum`,
      [schema],
    );
    return result.rows;
  });
}

/** A view's columns and types, in order. */
async function viewColumns(url: string, view: string): Promise<[string, string][]> {
  return withClient(url, async (client) => {
    const result = await client.query<{ name: string; type: string }>(
      `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
        WHERE attrelid = $1::regclass AND attnum > 0 ORDER BY attnum`,
      [view],
    );
    return result.rows.map((row) => [row.name, row.type]);
  });
}

async function constraints(
  url: string,
  schema: string,
): Promise<{ table: string; type: string; def: string }[]> {
  return withClient(url, async (client) => {
    const result = await client.query<{ table: string; type: string; def: string }>(
      `SELECT conrelid::regclass::text AS table, contype AS type, pg_get_constraintdef(oid) AS def
         FROM pg_constraint WHERE connamespace = $1::regnamespace ORDER BY 1, 3`,
      [schema],
    );
    return result.rows;
  });
}

describe('warehouse schema migration', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('wh');
    await withClient(database.url, (client) => migrateWarehouse(client));
  });
  afterAll(async () => {
    await database.drop();
  });

  it('creates the 11 star tables with the contract columns, in order, with their types and nullability', async () => {
    const rows = await columns(database.url, 'public');

    const actual: Record<string, Column[]> = {};
    for (const row of rows) {
      actual[row.table_name] = [...(actual[row.table_name] ?? []), [row.column_name, row.type, row.nullable]];
    }
    expect(actual).toEqual(EXPECTED);
    expect(Object.keys(actual).sort()).toEqual([...WAREHOUSE_TABLE_NAMES].sort());
  });

  it('keys every dimension by its natural id and every fact by a serial surrogate', async () => {
    const found = await constraints(database.url, 'public');
    const defaults = await withClient(database.url, async (client) => {
      const result = await client.query<{ table_name: string; column_default: string }>(
        `SELECT table_name, column_default FROM information_schema.columns
          WHERE table_schema = 'public' AND column_default IS NOT NULL ORDER BY table_name`,
      );
      return result.rows;
    });

    const primaryKeys = Object.fromEntries(found.filter((c) => c.type === 'p').map((c) => [c.table, c.def]));
    expect(primaryKeys).toEqual(
      Object.fromEntries(
        Object.entries(EXPECTED).map(([table, cols]) => [table, `PRIMARY KEY (${cols[0]?.[0]})`]),
      ),
    );
    expect(defaults.map((row) => [row.table_name, row.column_default])).toEqual([
      ['fact_payment', "nextval('fact_payment_payment_record_id_seq'::regclass)"],
      ['fact_purchase_order', "nextval('fact_purchase_order_purchase_record_id_seq'::regclass)"],
      ['fact_sales_order', "nextval('fact_sales_order_sales_record_id_seq'::regclass)"],
    ]);
  });

  it('links every fact column to its dimension with a foreign key, and keys each order id by its versions', async () => {
    const found = await constraints(database.url, 'public');
    const indexes = await withClient(database.url, async (client) => {
      const result = await client.query<{ def: string }>(
        `SELECT indexdef AS def FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT LIKE '%pkey' ORDER BY 1`,
      );
      return result.rows.map((row) => row.def);
    });

    const foreignKeys = found
      .filter((c) => c.type === 'f')
      .map((c) => {
        const match = /^FOREIGN KEY \((\w+)\) REFERENCES (\w+)\((\w+)\)$/.exec(c.def);
        return `${c.table}.${match?.[1]} -> ${match?.[2]}.${match?.[3]}`;
      })
      .sort();
    expect(foreignKeys).toEqual(EXPECTED_FOREIGN_KEYS);
    const unique = found.filter((c) => c.type === 'u').map((c) => `${c.table} ${c.def}`);
    expect(unique).toEqual([
      'fact_payment UNIQUE (payment_id, version_lsn, version_seq)',
      'fact_purchase_order UNIQUE (purchase_order_id, version_lsn, version_seq)',
      'fact_sales_order UNIQUE (sales_order_id, version_lsn, version_seq)',
    ]);
    // The constraints' indexes are the only ones besides the primary keys: they serve the per-order reads.
    expect(indexes).toEqual([
      'CREATE UNIQUE INDEX fact_payment_version_key ON public.fact_payment USING btree (payment_id, version_lsn, version_seq)',
      'CREATE UNIQUE INDEX fact_purchase_order_version_key ON public.fact_purchase_order USING btree (purchase_order_id, version_lsn, version_seq)',
      'CREATE UNIQUE INDEX fact_sales_order_version_key ON public.fact_sales_order USING btree (sales_order_id, version_lsn, version_seq)',
    ]);
  });

  it('creates the pipeline bookkeeping tables with their keys and a single-row cut', async () => {
    const rows = await columns(database.url, 'pipeline');
    const found = await constraints(database.url, 'pipeline');

    const shape = (table: string) =>
      rows.filter((row) => row.table_name === table).map((row) => [row.column_name, row.type, row.nullable]);
    expect(shape('cut')).toEqual([
      ['id', 'integer', false],
      ['lsn', 'numeric(20,0)', false],
      ['commit_ts', 'timestamp with time zone', true],
      ['loaded_at', 'timestamp with time zone', false],
    ]);
    // Now a view over the fact rows (their versions), with the columns the table of that name had.
    expect(shape('fact_version')).toEqual([]);
    expect(await viewColumns(database.url, 'pipeline.fact_version')).toEqual([
      ['fact_table', 'text'],
      ['order_id', 'integer'],
      ['lsn', 'numeric(20,0)'],
      ['seq', 'integer'],
      ['record_id', 'bigint'],
    ]);
    expect(shape('load_history').map((column) => column[0])).toEqual([
      'load_id',
      'from_lsn',
      'to_lsn',
      'to_commit_ts',
      'started_at',
      'finished_at',
      'rows_per_table',
      'inferred_members',
      'latency_p50_s',
      'latency_p95_s',
      'latency_max_s',
    ]);
    expect(shape('fact_deletion')).toEqual([
      ['fact_table', 'text', false],
      ['order_id', 'integer', false],
      ['lsn', 'numeric(20,0)', false],
      ['seq', 'integer', false],
      ['commit_ts', 'timestamp with time zone', false],
    ]);
    expect(shape('inferred_member').map((column) => column[0])).toEqual([
      'dimension',
      'member_id',
      'inferred_at',
    ]);
    expect(shape('lag_sample')).toEqual([
      ['sampled_at', 'timestamp with time zone', false],
      ['stage', 'text', false],
      ['table_name', 'text', true],
      ['lag_seconds', 'double precision', false],
      ['lag_bytes', 'bigint', true],
    ]);
    // The running totals /metrics exposes (warehouse/load-totals.ts).
    expect(shape('histogram_bucket')).toEqual([
      ['histogram', 'text', false],
      ['le', 'double precision', false],
      ['observations', 'bigint', false],
    ]);
    expect(shape('histogram_sum')).toEqual([
      ['histogram', 'text', false],
      ['sum', 'double precision', false],
    ]);
    expect(shape('rows_loaded')).toEqual([
      ['table_name', 'text', false],
      ['rows', 'bigint', false],
    ]);
    const primaryKeys = found.filter((c) => c.type === 'p').map((c) => `${c.table} ${c.def}`);
    expect(primaryKeys.sort()).toEqual([
      'pipeline.cut PRIMARY KEY (id)',
      'pipeline.fact_deletion PRIMARY KEY (fact_table, order_id, lsn, seq)',
      'pipeline.histogram_bucket PRIMARY KEY (histogram, le)',
      'pipeline.histogram_sum PRIMARY KEY (histogram)',
      'pipeline.inferred_member PRIMARY KEY (dimension, member_id)',
      'pipeline.load_history PRIMARY KEY (load_id)',
      'pipeline.rows_loaded PRIMARY KEY (table_name)',
      'pipeline.source_identity PRIMARY KEY (id)',
    ]);
    expect(shape('source_identity')).toEqual([
      ['id', 'integer', false],
      ['system_identifier', 'text', false],
      ['database_name', 'text', false],
      ['slot_name', 'text', false],
      ['publication_name', 'text', false],
      ['recorded_at', 'timestamp with time zone', false],
    ]);
    await expect(
      withClient(database.url, (client) =>
        client.query('INSERT INTO pipeline.cut (id, lsn, loaded_at) VALUES (2, 1, now())'),
      ),
    ).rejects.toThrow(/check constraint/);
  });

  it('is idempotent: a second run keeps the schema and the rows already loaded', async () => {
    const before = await columns(database.url, 'public');
    await withClient(database.url, (client) =>
      client.query("INSERT INTO dim_currency VALUES (1, 'GBP', 'Pound Sterling')"),
    );

    await withClient(database.url, (client) => migrateWarehouse(client));

    expect(await columns(database.url, 'public')).toEqual(before);
    const count = await withClient(database.url, (client) =>
      client.query('SELECT count(*)::int AS n FROM dim_currency'),
    );
    expect(count.rows[0].n).toBe(1);
  });

  it('refuses a load into a warehouse that was never migrated, saying to run the migration', async () => {
    const bare = await createTestDatabase('wh_bare');
    const warehouse = new PgWarehouse({ url: bare.url });
    try {
      const batch = { fromCut: null, toCut: { lsn: '10', commitTs: null }, tables: [], watermarks: [] };

      await expect(warehouse.load(batch)).rejects.toThrow(
        /lacks a table the load needs.*run the warehouse migration/,
      );
    } finally {
      await warehouse.close();
      await bare.drop();
    }
  });
});
