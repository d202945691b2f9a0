import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WAREHOUSE_TABLES } from '../../core/schema/warehouse-tables.ts';
import { runLoad } from '../../loader/run-load.ts';
import { PgWarehouse } from '../../warehouse/pg-warehouse.ts';
import { type LakeChange, ROWS, SMALL_WORLD, T0, watermarks, writeLake } from './lake-fixtures.ts';
import { type LoaderHarness, openLoaderHarness, warehouseRows } from './loader-harness.ts';

const T1 = '2022-11-04T10:00:00.000Z';
const T2 = '2022-11-05T08:30:00.250Z';

/** The three orders of the small world deleted at the source, each in its own transaction. */
const DELETES: LakeChange[] = [
  { table: 'fact_sales_order', op: 'd', lsn: 200n, commitTs: T1, row: { sales_order_id: 1 } },
  { table: 'fact_purchase_order', op: 'd', lsn: 210n, commitTs: T1, row: { purchase_order_id: 1 } },
  { table: 'fact_payment', op: 'd', lsn: 220n, commitTs: T2, row: { payment_id: 1 } },
];

const CURRENT = {
  fact_sales_order: 'SELECT sales_order_id AS id, units_sold AS measure FROM current_sales_order ORDER BY 1',
  fact_purchase_order:
    'SELECT purchase_order_id AS id, item_quantity AS measure FROM current_purchase_order ORDER BY 1',
  fact_payment: 'SELECT payment_id AS id, paid AS measure FROM current_payment ORDER BY 1',
} as const;

let harness: LoaderHarness;

beforeEach(async () => {
  harness = await openLoaderHarness();
  await writeLake(harness.lakeDir, [...SMALL_WORLD, ...watermarks(150n, T0)]);
  await harness.load();
});

afterEach(async () => {
  await harness.close();
});

const rows = (sql: string) => warehouseRows(harness.database.url, sql);
const deletions = () =>
  rows(
    `SELECT fact_table, order_id, lsn::text AS lsn, seq,
       to_char(commit_ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS commit_ts
     FROM pipeline.fact_deletion ORDER BY 1, 2, 3`,
  );

describe('deleted orders and payments', () => {
  it('keep their fact history, get a deletion record in the load transaction and leave the current views', async () => {
    // Prepare: a new order 2 alongside the deletes, so the views still hold something.
    await writeLake(harness.lakeDir, [
      ...DELETES,
      { table: 'fact_sales_order', op: 'c', lsn: 230n, commitTs: T2, row: ROWS.salesOrder(2) },
      ...watermarks(300n, T2),
    ]);

    // Act
    const outcome = await harness.load();

    // Assess
    expect(outcome).toMatchObject({ status: 'loaded', toCut: { lsn: '300' } });
    expect(await rows('SELECT sales_order_id FROM fact_sales_order ORDER BY 1')).toEqual([
      { sales_order_id: 1 },
      { sales_order_id: 2 },
    ]);
    expect(await rows('SELECT count(*)::int AS n FROM fact_payment')).toEqual([{ n: 1 }]);
    expect(await deletions()).toEqual([
      { fact_table: 'fact_payment', order_id: 1, lsn: '220', seq: 0, commit_ts: T2 },
      { fact_table: 'fact_purchase_order', order_id: 1, lsn: '210', seq: 0, commit_ts: T1 },
      { fact_table: 'fact_sales_order', order_id: 1, lsn: '200', seq: 0, commit_ts: T1 },
    ]);
    expect(await rows(CURRENT.fact_sales_order)).toEqual([{ id: 2, measure: 102 }]);
    expect(await rows(CURRENT.fact_purchase_order)).toEqual([]);
    expect(await rows(CURRENT.fact_payment)).toEqual([]);
  });

  it('are recorded once when the delete is delivered twice and its first load crashed', async () => {
    // Prepare: the same deletes in two lake files, and a warehouse whose load fails just before COMMIT.
    let crash = true;
    const crashing = new PgWarehouse({
      url: harness.database.url,
      beforeCommit: async () => {
        if (crash) throw new Error('simulated crash before commit');
      },
    });
    const load = () =>
      runLoad({
        engine: harness.engine,
        warehouse: crashing,
        queries: harness.queries,
        roundLog: harness.roundLog,
      });
    await writeLake(harness.lakeDir, DELETES);
    await writeLake(harness.lakeDir, [...DELETES, ...watermarks(300n, T2)]);
    try {
      // Act
      await expect(load()).rejects.toThrow(/simulated crash/);
      expect(await deletions()).toEqual([]);
      crash = false;
      await load();
      expect(await load()).toMatchObject({ status: 'unchanged' });
    } finally {
      await crashing.close();
    }

    // Assess
    expect((await deletions()).map((d) => `${d.fact_table}:${d.order_id}`)).toEqual([
      'fact_payment:1',
      'fact_purchase_order:1',
      'fact_sales_order:1',
    ]);
    expect(await rows(CURRENT.fact_sales_order)).toEqual([]);
  });

  it('leave the re-inserted version current when the key is deleted and inserted again in one batch', async () => {
    // Prepare
    await writeLake(harness.lakeDir, [
      DELETES[0]!,
      {
        table: 'fact_sales_order',
        op: 'c',
        lsn: 205n,
        commitTs: T1,
        row: ROWS.salesOrder(1, { units_sold: 5 }),
      },
      ...watermarks(300n, T2),
    ]);

    // Act
    await harness.load();

    // Assess: both versions are history, the deletion between them too; the later insert is current.
    expect(
      await rows('SELECT sales_order_id, units_sold FROM fact_sales_order ORDER BY sales_record_id'),
    ).toEqual([
      { sales_order_id: 1, units_sold: 101 },
      { sales_order_id: 1, units_sold: 5 },
    ]);
    expect((await deletions()).map((d) => d.lsn)).toEqual(['200']);
    expect(await rows(CURRENT.fact_sales_order)).toEqual([{ id: 1, measure: 5 }]);
  });

  it('make an order current again when a snapshot re-read after the delete finds it unchanged', async () => {
    // Prepare: purchase order 1 deleted in one load and re-read by a re-snapshot with its old values in the
    // next (inserted again with the same values in between); sales order 1 updated, deleted, inserted again
    // with the same values and re-read, all in one batch.
    await writeLake(harness.lakeDir, [DELETES[1]!, ...watermarks(300n, T1)]);
    await harness.load();
    await writeLake(harness.lakeDir, [
      { table: 'fact_purchase_order', op: 'r', lsn: 400n, commitTs: T2, row: ROWS.purchaseOrder(1) },
      {
        table: 'fact_sales_order',
        op: 'u',
        lsn: 405n,
        commitTs: T2,
        row: ROWS.salesOrder(1, { units_sold: 7 }),
      },
      { table: 'fact_sales_order', op: 'd', lsn: 410n, commitTs: T2, row: { sales_order_id: 1 } },
      {
        table: 'fact_sales_order',
        op: 'r',
        lsn: 420n,
        commitTs: T2,
        row: ROWS.salesOrder(1, { units_sold: 7 }),
      },
      ...watermarks(500n, T2),
    ]);

    // Act
    await harness.load();

    // Assess
    expect(await rows(CURRENT.fact_purchase_order)).toEqual([{ id: 1, measure: 371 }]);
    expect(await rows(CURRENT.fact_sales_order)).toEqual([{ id: 1, measure: 7 }]);
    expect(await rows('SELECT count(*)::int AS n FROM fact_purchase_order')).toEqual([{ n: 2 }]);
    expect(await rows('SELECT count(*)::int AS n FROM fact_sales_order')).toEqual([{ n: 3 }]);
  });

  it('record a delete of a key the warehouse never saw, and of one created and deleted in the same batch', async () => {
    // Prepare
    await writeLake(harness.lakeDir, [
      { table: 'fact_payment', op: 'd', lsn: 200n, commitTs: T1, row: { payment_id: 99 } },
      { table: 'fact_sales_order', op: 'c', lsn: 210n, commitTs: T1, row: ROWS.salesOrder(5) },
      { table: 'fact_sales_order', op: 'd', lsn: 220n, commitTs: T1, row: { sales_order_id: 5 } },
      ...watermarks(300n, T2),
    ]);

    // Act
    const outcome = await harness.load();

    // Assess
    expect(outcome).toMatchObject({
      status: 'loaded',
      rowsWritten: { fact_sales_order: 2, fact_payment: 1 },
    });
    expect((await deletions()).map((d) => `${d.fact_table}:${d.order_id}`)).toEqual([
      'fact_payment:99',
      'fact_sales_order:5',
    ]);
    expect(await rows('SELECT count(*)::int AS n FROM fact_payment WHERE payment_id = 99')).toEqual([
      { n: 0 },
    ]);
    expect(await rows(CURRENT.fact_sales_order)).toEqual([{ id: 1, measure: 101 }]);
    expect(await rows(CURRENT.fact_payment)).toEqual([{ id: 1, measure: false }]);
  });

  it('become current again when the key is inserted in a later load', async () => {
    // Prepare
    await writeLake(harness.lakeDir, [DELETES[2]!, ...watermarks(300n, T2)]);
    await harness.load();
    expect(await rows(CURRENT.fact_payment)).toEqual([]);
    await writeLake(harness.lakeDir, [
      { table: 'fact_payment', op: 'c', lsn: 310n, commitTs: T2, row: ROWS.payment(1, { paid: true }) },
      ...watermarks(400n, T2),
    ]);

    // Act
    await harness.load();

    // Assess
    expect(await rows(CURRENT.fact_payment)).toEqual([{ id: 1, measure: true }]);
  });

  it('have current views with exactly the star columns of their fact tables (not the versions they hold)', async () => {
    const columns = (table: string) =>
      rows(
        `SELECT column_name, data_type FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name = '${table}' ORDER BY ordinal_position`,
      );
    for (const [fact, view] of [
      ['fact_sales_order', 'current_sales_order'],
      ['fact_purchase_order', 'current_purchase_order'],
      ['fact_payment', 'current_payment'],
    ] as const) {
      const star = (await columns(fact)).filter(
        (c) => !['version_lsn', 'version_seq'].includes((c as { column_name: string }).column_name),
      );
      expect(star).toHaveLength(WAREHOUSE_TABLES[fact].columns.length);
      expect(await columns(view)).toEqual(star);
    }
  });
});

describe('deleted dimension members', () => {
  it('stay with their last values while a fact row references them, and go when none does', async () => {
    // Prepare: design 1 is referenced by sales order 1; design 2 is not.
    await writeLake(harness.lakeDir, [
      { table: 'dim_design', op: 'c', lsn: 160n, commitTs: T1, row: ROWS.design(2) },
      ...watermarks(170n, T1),
    ]);
    await harness.load();
    await writeLake(harness.lakeDir, [
      { table: 'dim_design', op: 'd', lsn: 200n, commitTs: T1, row: { design_id: 1 } },
      { table: 'dim_design', op: 'd', lsn: 200n, seq: 1, commitTs: T1, row: { design_id: 2 } },
      ...watermarks(300n, T2),
    ]);

    // Act
    await harness.load();

    // Assess
    expect(await rows('SELECT design_id, design_name FROM dim_design ORDER BY 1')).toEqual([
      { design_id: 1, design_name: 'design 1' },
    ]);
  });
});

describe('a completed re-read of a dimension', () => {
  it('removes the members it no longer holds like a delete: unreferenced ones go, referenced ones stay', async () => {
    // Prepare: designs 2 and 3 join design 1 (which sales order 1 references). Then design 1 and 2 are
    // deleted at the source, but the deletes never reach the lake (their object was lost), and a re-read
    // of the table at LSN 250 holds design 3 only.
    await writeLake(harness.lakeDir, [
      { table: 'dim_design', op: 'c', lsn: 160n, commitTs: T1, row: ROWS.design(2) },
      { table: 'dim_design', op: 'c', lsn: 160n, seq: 1, commitTs: T1, row: ROWS.design(3) },
      ...watermarks(170n, T1),
    ]);
    await harness.load();
    await writeLake(harness.lakeDir, [
      { table: 'dim_design', op: 'r', lsn: 250n, commitTs: T2, row: ROWS.design(3) },
      ...watermarks(300n, T2),
    ]);
    await harness.roundLog.recordCompleteRead({ table: 'dim_design', lsn: '250', commitTs: T2, rows: 1 });

    // Act
    const outcome = await harness.load();

    // Assess: design 2 is gone; design 1 stays with its last values for the order that references it.
    expect(outcome).toMatchObject({ status: 'loaded', toCut: { lsn: '300' } });
    expect(await rows('SELECT design_id, design_name FROM dim_design ORDER BY 1')).toEqual([
      { design_id: 1, design_name: 'design 1' },
      { design_id: 3, design_name: 'design 3' },
    ]);
  });
});
