import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CutMovedError } from '../../core/ports/warehouse.ts';
import {
  type LakeChange,
  ROWS,
  SMALL_WORLD as SNAPSHOT,
  T0,
  watermarks,
  writeLake,
} from './lake-fixtures.ts';
import { type LoaderHarness, openLoaderHarness, warehouseRows } from './loader-harness.ts';

const T1 = '2022-11-04T10:00:00.000Z';
const T2 = '2022-11-05T23:59:59.999Z';

/** What happens next: a rename, an order updated twice in one transaction window, a payment turning paid. */
const CHANGES: LakeChange[] = [
  { table: 'department', op: 'u', lsn: 200n, commitTs: T1, row: ROWS.department(1, 'Sales EMEA', 'Leeds') },
  {
    table: 'fact_sales_order',
    op: 'u',
    lsn: 210n,
    commitTs: T1,
    row: ROWS.salesOrder(1, { units_sold: 7, unit_price: '0.10', last_updated_date: '2022-11-04' }),
  },
  {
    table: 'fact_sales_order',
    op: 'c',
    lsn: 220n,
    commitTs: T1,
    row: ROWS.salesOrder(2, { agreed_delivery_date: '2023-12-31', created_time: '00:00:00.001' }),
  },
  { table: 'fact_payment', op: 'u', lsn: 230n, commitTs: T2, row: ROWS.payment(1, { paid: true }) },
  {
    table: 'fact_purchase_order',
    op: 'u',
    lsn: 240n,
    commitTs: T2,
    row: ROWS.purchaseOrder(1, { item_quantity: 1, item_code: null }),
    unchanged: ['item_code'],
  },
  { table: 'dim_staff', op: 'd', lsn: 250n, commitTs: T2, row: { staff_id: 2 } },
];

let harness: LoaderHarness;

beforeEach(async () => {
  harness = await openLoaderHarness();
});

afterEach(async () => {
  await harness.close();
});

describe('runLoad', () => {
  it('waits while a lake table has no watermark yet, naming it', async () => {
    await writeLake(harness.lakeDir, [
      ...SNAPSHOT,
      ...watermarks(150n, T0).filter((w) => w.table !== 'department'),
    ]);
    expect(await harness.load()).toMatchObject({
      status: 'blocked',
      fromCut: null,
      missingWatermarks: ['department'],
    });
    expect(await harness.warehouse.currentCut()).toBeNull();
  });

  it('loads the snapshot with exact decimals and times, generated dim_date and the cut', async () => {
    await writeLake(harness.lakeDir, [...SNAPSHOT, ...watermarks(150n, T0)]);
    const outcome = await harness.load();
    expect(outcome).toMatchObject({
      status: 'loaded',
      toCut: { lsn: '150', commitTs: '2022-11-03T14:20:52.186Z' },
    });
    const url = harness.database.url;
    expect(
      await warehouseRows(
        url,
        'SELECT sales_order_id, unit_price::text, created_time::text FROM fact_sales_order',
      ),
    ).toEqual([{ sales_order_id: 1, unit_price: '2.43', created_time: '14:20:52.186' }]);
    expect(
      await warehouseRows(
        url,
        "SELECT date_id::text, day_of_week, day_name, month_name, quarter FROM dim_date WHERE date_id = '2022-11-06'",
      ),
    ).toEqual([]);
    expect(
      await warehouseRows(
        url,
        "SELECT date_id::text, year, month, day, day_of_week, day_name, month_name, quarter FROM dim_date WHERE date_id = '2022-11-07'",
      ),
    ).toEqual([
      {
        date_id: '2022-11-07',
        year: 2022,
        month: 11,
        day: 7,
        day_of_week: 1,
        day_name: 'Monday',
        month_name: 'November',
        quarter: 4,
      },
    ]);
    expect(
      await warehouseRows(url, 'SELECT staff_id, department_name, location FROM dim_staff ORDER BY 1'),
    ).toEqual([
      { staff_id: 1, department_name: 'Sales', location: null },
      { staff_id: 2, department_name: 'Sales', location: null },
    ]);
    expect(
      await warehouseRows(
        url,
        'SELECT counterparty_legal_city, counterparty_legal_district FROM dim_counterparty',
      ),
    ).toEqual([{ counterparty_legal_city: 'Leeds', counterparty_legal_district: null }]);
    expect(
      await warehouseRows(url, 'SELECT to_lsn::text, rows_per_table FROM pipeline.load_history'),
    ).toEqual([
      {
        to_lsn: '150',
        rows_per_table: expect.objectContaining({
          fact_sales_order: 1,
          fact_payment: 1,
          dim_staff: 2,
          dim_currency: 2,
        }),
      },
    ]);
  });

  it('applies changes between cuts: renames reach dim_staff, facts keep one row per version, unchanged columns kept', async () => {
    await writeLake(harness.lakeDir, [...SNAPSHOT, ...watermarks(150n, T0)]);
    await harness.load();
    await writeLake(harness.lakeDir, [...CHANGES, ...watermarks(300n, T2)]);
    expect(await harness.load()).toMatchObject({
      status: 'loaded',
      toCut: { lsn: '300', commitTs: '2022-11-05T23:59:59.999Z' },
    });
    const url = harness.database.url;
    expect(
      await warehouseRows(url, 'SELECT staff_id, department_name, location FROM dim_staff ORDER BY 1'),
    ).toEqual([{ staff_id: 1, department_name: 'Sales EMEA', location: 'Leeds' }]);
    expect(
      await warehouseRows(
        url,
        'SELECT sales_record_id, sales_order_id, units_sold, unit_price::text FROM fact_sales_order ORDER BY 1',
      ),
    ).toEqual([
      { sales_record_id: 1, sales_order_id: 1, units_sold: 101, unit_price: '2.43' },
      { sales_record_id: 2, sales_order_id: 1, units_sold: 7, unit_price: '0.10' },
      { sales_record_id: 3, sales_order_id: 2, units_sold: 102, unit_price: '2.43' },
    ]);
    expect(
      await warehouseRows(url, 'SELECT item_code, item_quantity FROM fact_purchase_order ORDER BY 1'),
    ).toEqual([
      { item_code: 'ZDOI5EA', item_quantity: 371 },
      { item_code: 'ZDOI5EA', item_quantity: 1 },
    ]);
    expect(await warehouseRows(url, 'SELECT paid FROM fact_payment ORDER BY payment_record_id')).toEqual([
      { paid: false },
      { paid: true },
    ]);
    expect(await warehouseRows(url, "SELECT day_name FROM dim_date WHERE date_id = '2023-12-31'")).toEqual([
      { day_name: 'Sunday' },
    ]);
    const missingDates = await warehouseRows(
      url,
      `SELECT d FROM (SELECT created_date AS d FROM fact_sales_order UNION SELECT last_updated_date FROM fact_sales_order
         UNION SELECT agreed_payment_date FROM fact_sales_order UNION SELECT agreed_delivery_date FROM fact_sales_order
         UNION SELECT payment_date FROM fact_payment UNION SELECT agreed_delivery_date FROM fact_purchase_order) AS f
       WHERE d NOT IN (SELECT date_id FROM dim_date)`,
    );
    expect(missingDates).toEqual([]);
  });

  it('is identical to a clean run after duplicated and reordered files, a crashed load and a cut that does not move', async () => {
    await writeLake(harness.lakeDir, [
      ...SNAPSHOT,
      ...watermarks(150n, T0),
      ...CHANGES,
      ...watermarks(300n, T2),
    ]);
    await harness.load();
    const clean = await harness.dump();

    let crash = true;
    const messy = await openLoaderHarness({
      beforeCommit: async () => {
        if (crash) throw new Error('simulated crash before commit');
      },
    });
    try {
      // Reordered: the later changes land first; duplicated: everything lands twice.
      await writeLake(messy.lakeDir, [...CHANGES].reverse());
      await writeLake(messy.lakeDir, [...SNAPSHOT, ...watermarks(150n, T0)]);
      await writeLake(messy.lakeDir, [...SNAPSHOT, ...CHANGES]);
      await expect(messy.load()).rejects.toThrow(/simulated crash/);
      expect(await messy.warehouse.currentCut()).toBeNull();
      crash = false;
      expect(await messy.load()).toMatchObject({ status: 'loaded', toCut: { lsn: '150' } });
      expect(await messy.load()).toMatchObject({ status: 'unchanged', cutLsn: '150' });
      await writeLake(messy.lakeDir, [...watermarks(300n, T2), ...watermarks(300n, T2)]);
      crash = true;
      await expect(messy.load()).rejects.toThrow(/simulated crash/);
      crash = false;
      expect(await messy.load()).toMatchObject({ status: 'loaded', toCut: { lsn: '300' } });
      expect(await messy.load()).toMatchObject({ status: 'unchanged' });
      expect(await messy.dump()).toEqual(clean);
    } finally {
      await messy.close();
    }
  });

  it('refuses a batch built from a cut that another run has since moved', async () => {
    await writeLake(harness.lakeDir, [...SNAPSHOT, ...watermarks(150n, T0)]);
    await harness.load();
    const stale = { fromCut: null, toCut: { lsn: '999', commitTs: null }, tables: [], watermarks: [] };
    await expect(harness.warehouse.load(stale)).rejects.toThrow(CutMovedError);
    expect(await harness.warehouse.currentCut()).toMatchObject({ lsn: '150' });
  });

  it('infers a member a fact references but the lake lacks, then lets the real row overwrite it', async () => {
    const order = ROWS.salesOrder(5, { design_id: 99 });
    await writeLake(harness.lakeDir, [
      ...SNAPSHOT,
      { table: 'fact_sales_order', op: 'c', lsn: 120n, commitTs: T0, row: order },
      ...watermarks(150n, T0),
    ]);
    expect(await harness.load()).toMatchObject({
      status: 'loaded',
      inferredMembers: [{ dimension: 'dim_design', memberId: '99' }],
    });
    const url = harness.database.url;
    expect(
      await warehouseRows(url, 'SELECT design_name, file_name FROM dim_design WHERE design_id = 99'),
    ).toEqual([{ design_name: 'unknown', file_name: 'unknown' }]);
    await writeLake(harness.lakeDir, [
      { table: 'dim_design', op: 'c', lsn: 160n, commitTs: T1, row: ROWS.design(99) },
      ...watermarks(200n, T1),
    ]);
    expect(await harness.load()).toMatchObject({ status: 'loaded', inferredMembers: [] });
    expect(await warehouseRows(url, 'SELECT design_name FROM dim_design WHERE design_id = 99')).toEqual([
      { design_name: 'design 99' },
    ]);
    expect(await warehouseRows(url, 'SELECT * FROM pipeline.inferred_member')).toEqual([]);
  });

  it("loads a staff member whose department the lake lacks with 'unknown' and reports it, and text with quotes, commas and line ends exact", async () => {
    const awkward = 'O"Brien, Jr.\nthe "second"';
    await writeLake(harness.lakeDir, [
      ...SNAPSHOT,
      {
        table: 'dim_staff',
        op: 'c',
        lsn: 120n,
        commitTs: T0,
        row: { ...ROWS.staff(7, 42), last_name: awkward },
      },
      { table: 'dim_staff', op: 'c', lsn: 121n, commitTs: T0, row: { ...ROWS.staff(8, 1), first_name: '' } },
      ...watermarks(150n, T0),
    ]);

    expect(await harness.load()).toMatchObject({ status: 'loaded', missingJoins: ['dim_staff:7'] });
    expect(
      await warehouseRows(
        harness.database.url,
        'SELECT staff_id, first_name, last_name, department_name FROM dim_staff WHERE staff_id IN (7, 8) ORDER BY 1',
      ),
    ).toEqual([
      { staff_id: 7, first_name: 'First7', last_name: awkward, department_name: 'unknown' },
      { staff_id: 8, first_name: '', last_name: 'Last8', department_name: 'Sales' },
    ]);
  });

  it('adds no fact row for a snapshot re-read of an unchanged order, but does for a changed one', async () => {
    await writeLake(harness.lakeDir, [...SNAPSHOT, ...watermarks(150n, T0)]);
    await harness.load();
    await writeLake(harness.lakeDir, [
      { table: 'fact_sales_order', op: 'r', lsn: 400n, commitTs: T1, row: ROWS.salesOrder(1) },
      { table: 'fact_payment', op: 'r', lsn: 400n, commitTs: T1, row: ROWS.payment(1, { paid: true }) },
      ...watermarks(500n, T1),
    ]);
    expect(await harness.load()).toMatchObject({
      status: 'loaded',
      rowsWritten: { fact_sales_order: 0, fact_payment: 1 },
    });
    expect(
      await warehouseRows(harness.database.url, 'SELECT count(*)::int AS n FROM fact_sales_order'),
    ).toEqual([{ n: 1 }]);
  });
});
