/**
 * A warehouse created before the fact rows carried their versions (each version a row of the table
 * `pipeline.fact_version`) is upgraded by the migration (warehouse/fact-version-upgrade.ts): the versions move
 * into the fact rows, the readers (`current_*`, `pipeline.fact_version`) answer as before, a replay of a
 * version loaded before the upgrade still adds nothing, and a fact row without a version stops the upgrade
 * with the old layout left whole.
 */
import type pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Cut, TableRows } from '../../core/ports/warehouse.ts';
import { DIM_DATE_COLUMNS, dimDateRow } from '../../loader/dim-date.ts';
import { GBP_VIEW_DDL } from '../../warehouse/market-ddl.ts';
import { PgWarehouse } from '../../warehouse/pg-warehouse.ts';
import { migrateWarehouse } from '../../warehouse/warehouse-migration.ts';
import { createTestDatabase, type TestDatabase, withClient } from '../support/test-databases.ts';

const FACTS = [
  ['fact_sales_order', 'sales_order_id', 'sales_record_id', 'current_sales_order'],
  ['fact_purchase_order', 'purchase_order_id', 'purchase_record_id', 'current_purchase_order'],
  ['fact_payment', 'payment_id', 'payment_record_id', 'current_payment'],
] as const;

/**
 * Turns a freshly migrated warehouse into the layout of one created before the change: the version table, the
 * order-id indexes, fact tables without version columns and current views joining the two (their DDL as it
 * was, written out here).
 */
async function toLayoutBeforeVersionColumns(client: pg.ClientBase): Promise<void> {
  await client.query('DROP VIEW pipeline.fact_version');
  await client.query(`CREATE TABLE pipeline.fact_version (
    fact_table text NOT NULL, order_id integer NOT NULL, lsn numeric(20,0) NOT NULL, seq integer NOT NULL,
    record_id bigint NOT NULL, PRIMARY KEY (fact_table, order_id, lsn, seq))`);
  for (const [table, order, record, view] of FACTS) {
    await client.query(`DROP VIEW public.${view} CASCADE`);
    await client.query(
      `ALTER TABLE public.${table} DROP CONSTRAINT ${table}_version_key, DROP COLUMN version_lsn, DROP COLUMN version_seq`,
    );
    await client.query(`CREATE INDEX ${table}_${order}_idx ON public.${table} (${order})`);
    await client.query(`CREATE VIEW public.${view} AS
      SELECT f.* FROM public.${table} AS f
      JOIN (
        SELECT DISTINCT ON (order_id) order_id, lsn, seq, record_id FROM pipeline.fact_version
        WHERE fact_table = '${table}'
        ORDER BY order_id DESC, lsn DESC, seq DESC
      ) AS v ON v.record_id = f.${record}
      WHERE NOT EXISTS (
        SELECT 1 FROM pipeline.fact_deletion AS d
        WHERE d.fact_table = '${table}' AND d.order_id = v.order_id AND (d.lsn, d.seq) > (v.lsn, v.seq)
      )`);
  }
  for (const statement of GBP_VIEW_DDL) await client.query(statement);
}

const PAYMENT_COLUMNS = [
  'payment_id',
  'created_date',
  'created_time',
  'last_updated_date',
  'last_updated',
  'transaction_id',
  'counterparty_id',
  'payment_amount',
  'currency_id',
  'payment_type_id',
  'paid',
  'payment_date',
];

/** A payment version as the old loader wrote it: the fact row, then its version row. */
async function plantPayment(
  client: pg.ClientBase,
  payment: { record: number; id: number; amount: string; lsn: number; seq: number },
): Promise<void> {
  await client.query(
    `INSERT INTO public.fact_payment (payment_record_id, ${PAYMENT_COLUMNS.join(', ')})
     VALUES ($1, $2, '2022-11-03', '14:20:49.962', '2022-11-03', '14:20:49.962', 5, 6, $3, 1, 3, false, '2022-11-03')`,
    [payment.record, payment.id, payment.amount],
  );
  await client.query("INSERT INTO pipeline.fact_version VALUES ('fact_payment', $1, $2, $3, $4)", [
    payment.id,
    payment.lsn,
    payment.seq,
    payment.record,
  ]);
}

async function read(url: string, sql: string): Promise<unknown[]> {
  return withClient(url, async (client) => (await client.query(sql)).rows);
}

const cut = (lsn: number): Cut => ({ lsn: String(lsn), commitTs: '2022-11-03T14:20:49.962Z' });

/** Payment versions as a batch carries them (version columns last). */
const payments = (...rows: { id: number; amount: string; lsn: number; seq: number }[]): TableRows => ({
  table: 'fact_payment',
  columns: [...PAYMENT_COLUMNS, '_op', '_lsn', '_seq', '_commit_ts', '_unchanged'],
  rows: rows.map((r) => [
    String(r.id),
    '2022-11-03',
    '14:20:49.962',
    '2022-11-03',
    '14:20:49.962',
    '5',
    '6',
    r.amount,
    '1',
    '3',
    'false',
    '2022-11-03',
    'u',
    String(r.lsn),
    String(r.seq),
    '2022-11-03 14:20:49.962',
    null,
  ]),
});

describe('the upgrade of a warehouse whose fact versions are a table of their own', () => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await createTestDatabase('wh_upgrade');
    await withClient(database.url, async (client) => {
      await migrateWarehouse(client);
      await toLayoutBeforeVersionColumns(client);
    });
  });

  afterEach(async () => {
    await database.drop();
  });

  it('moves every version into its fact row, and the readers answer as before', async () => {
    // Arrange: payment 1 in two versions, payment 2 deleted after its one version, a sales order.
    await withClient(database.url, async (client) => {
      await client.query('SET session_replication_role = replica');
      await plantPayment(client, { record: 1, id: 1, amount: '10.00', lsn: 100, seq: 0 });
      await plantPayment(client, { record: 2, id: 2, amount: '20.00', lsn: 150, seq: 0 });
      await plantPayment(client, { record: 3, id: 1, amount: '11.00', lsn: 200, seq: 1 });
      await client.query(
        "INSERT INTO pipeline.fact_deletion VALUES ('fact_payment', 2, 300, 0, '2022-11-03 14:20:49.962Z')",
      );
      await client.query(
        `INSERT INTO public.fact_sales_order VALUES (1, 7, '2022-11-03', '10:00', '2022-11-03', '10:00', 1, 1, 3,
           '9.99', 1, 1, '2022-11-03', '2022-11-03', 1)`,
      );
      await client.query("INSERT INTO pipeline.fact_version VALUES ('fact_sales_order', 7, 50, 0, 1)");
    });
    const versions =
      'SELECT fact_table, order_id, lsn::text, seq, record_id FROM pipeline.fact_version ORDER BY 1, 2, 3, 4';
    const before = {
      versions: await read(database.url, versions),
      payments: await read(database.url, 'SELECT * FROM public.current_payment ORDER BY 1'),
      sales: await read(database.url, 'SELECT * FROM public.current_sales_order ORDER BY 1'),
      gbp: await read(database.url, 'SELECT payment_id, amount::text FROM public.payment_gbp ORDER BY 1'),
    };
    expect(before.payments).toHaveLength(1);

    // Act
    await withClient(database.url, (client) => migrateWarehouse(client));

    // Assess
    expect(await read(database.url, versions)).toEqual(before.versions);
    expect(await read(database.url, 'SELECT * FROM public.current_payment ORDER BY 1')).toEqual(
      before.payments,
    );
    expect(await read(database.url, 'SELECT * FROM public.current_sales_order ORDER BY 1')).toEqual(
      before.sales,
    );
    expect(
      await read(database.url, 'SELECT payment_id, amount::text FROM public.payment_gbp ORDER BY 1'),
    ).toEqual(before.gbp);
    expect(
      await read(
        database.url,
        'SELECT payment_record_id, version_lsn::text, version_seq FROM public.fact_payment ORDER BY 1',
      ),
    ).toEqual([
      { payment_record_id: 1, version_lsn: '100', version_seq: 0 },
      { payment_record_id: 2, version_lsn: '150', version_seq: 0 },
      { payment_record_id: 3, version_lsn: '200', version_seq: 1 },
    ]);
    expect(
      await read(
        database.url,
        "SELECT relkind::text AS kind FROM pg_class WHERE oid = 'pipeline.fact_version'::regclass",
      ),
    ).toEqual([{ kind: 'v' }]);
    expect(
      await read(
        database.url,
        "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname LIKE 'fact_%' ORDER BY 1",
      ),
    ).toEqual(
      FACTS.flatMap(([table]) => [
        { indexname: `${table}_pkey` },
        { indexname: `${table}_version_key` },
      ]).sort((a, b) => a.indexname.localeCompare(b.indexname)),
    );
  });

  it('keeps a version loaded before the upgrade from being appended again after it', async () => {
    // Arrange
    await withClient(database.url, async (client) => {
      await client.query('SET session_replication_role = replica');
      await plantPayment(client, { record: 1, id: 1, amount: '10.00', lsn: 100, seq: 0 });
      await client.query("INSERT INTO pipeline.cut VALUES (1, 100, '2022-11-03 14:20:49.962Z', now())");
      await migrateWarehouse(client);
    });
    const warehouse = new PgWarehouse({ url: database.url });

    // Act: the version loaded before the upgrade, delivered again beside a new one.
    try {
      await warehouse.load({
        fromCut: cut(100),
        toCut: cut(200),
        tables: [
          { table: 'dim_date', columns: DIM_DATE_COLUMNS, rows: [dimDateRow('2022-11-03')] },
          payments(
            { id: 1, amount: '10.00', lsn: 100, seq: 0 },
            { id: 2, amount: '30.00', lsn: 200, seq: 0 },
          ),
        ],
        watermarks: [],
      });
    } finally {
      await warehouse.close();
    }

    // Assess
    expect(
      await read(
        database.url,
        'SELECT payment_record_id, payment_id, version_lsn::text FROM public.fact_payment ORDER BY 1',
      ),
    ).toEqual([
      { payment_record_id: 1, payment_id: 1, version_lsn: '100' },
      { payment_record_id: 2, payment_id: 2, version_lsn: '200' },
    ]);
  });

  it('stops at a fact row without a version, naming its table, and leaves the old layout whole', async () => {
    // Arrange: a payment row nobody recorded a version of.
    await withClient(database.url, async (client) => {
      await client.query('SET session_replication_role = replica');
      await plantPayment(client, { record: 1, id: 1, amount: '10.00', lsn: 100, seq: 0 });
      await client.query(
        `INSERT INTO public.fact_payment (payment_record_id, ${PAYMENT_COLUMNS.join(', ')})
         VALUES (2, 2, '2022-11-03', '14:20:49.962', '2022-11-03', '14:20:49.962', 5, 6, 1, 1, 3, false, '2022-11-03')`,
      );
    });

    // Act
    const migration = withClient(database.url, (client) => migrateWarehouse(client));

    // Assess
    await expect(migration).rejects.toThrow(/1 fact_payment rows have no version in pipeline\.fact_version/);
    expect(
      await read(
        database.url,
        "SELECT relkind::text AS kind FROM pg_class WHERE oid = 'pipeline.fact_version'::regclass",
      ),
    ).toEqual([{ kind: 'r' }]);
    expect(await read(database.url, 'SELECT count(*)::int AS n FROM pipeline.fact_version')).toEqual([
      { n: 1 },
    ]);
    expect(
      await read(
        database.url,
        "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'fact_payment' AND column_name = 'version_lsn'",
      ),
    ).toEqual([{ n: 0 }]);
  });
});
