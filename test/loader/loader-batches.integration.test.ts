import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { QueryEngine, QueryParameter, QueryResult } from '../../core/ports/query-engine.ts';
import { LAKE_TABLE_NAMES } from '../../core/schema/lake-tables.ts';
import { runLoad } from '../../loader/run-load.ts';
import { type LakeChange, ROWS, watermarks, writeLake, writeLakeFiles } from './lake-fixtures.ts';
import { dumpWarehouse, type LoaderHarness, openLoaderHarness, warehouseRows } from './loader-harness.ts';

const T0 = '2022-11-03T14:20:52.186Z';
const T1 = '2022-11-03T15:00:00.000Z';
/** One transaction's new orders, far more rows than one batch. */
const ORDERS = 12_000;
/** Odd, so an order's two versions are split between two batches now and then. */
const BATCH_ROWS = 499;

const WORLD: LakeChange[] = [
  { table: 'dim_currency', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.currency(1, 'GBP', 'Pound Sterling') },
  { table: 'dim_location', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.location(1, 'Leeds') },
  { table: 'dim_design', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.design(1) },
  { table: 'department', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.department(1, 'Sales', null) },
  { table: 'dim_staff', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.staff(1, 1) },
  { table: 'dim_counterparty', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.counterparty(1, 1) },
];

/**
 * The real engine, watched: which statements were read whole (`query`) and which a batch at a time, the
 * largest batch handed out, and how many batched reads were open at once.
 */
function watchedEngine(engine: QueryEngine) {
  const seen = {
    whole: [] as string[],
    batched: 0,
    batchedSql: [] as string[],
    largestBatch: 0,
    open: 0,
    mostOpen: 0,
  };
  async function* watchedBatches<T>(sql: string, batches: AsyncIterable<T>, size: (batch: T) => number) {
    seen.batched++;
    seen.batchedSql.push(sql);
    seen.open++;
    seen.mostOpen = Math.max(seen.mostOpen, seen.open);
    try {
      for await (const batch of batches) {
        seen.largestBatch = Math.max(seen.largestBatch, size(batch));
        yield batch;
      }
    } finally {
      seen.open--;
    }
  }
  const watched: QueryEngine = {
    capabilities: engine.capabilities,
    query(sql: string, parameters?: readonly QueryParameter[]): Promise<QueryResult> {
      seen.whole.push(sql);
      return engine.query(sql, parameters);
    },
    queryBatches: (sql, parameters, batchRows) =>
      watchedBatches(sql, engine.queryBatches(sql, parameters, batchRows), (batch) => batch.rows.length),
    // The loader reads its windows as records (core/ports/query-engine.ts, Lines).
    queryLines: (sql, parameters, batchRows) =>
      watchedBatches(sql, engine.queryLines(sql, parameters, batchRows), (batch) => batch.lines.length),
    close: () => engine.close(),
  };
  return { watched, seen };
}

let harness: LoaderHarness;

beforeEach(async () => {
  harness = await openLoaderHarness();
});

afterEach(async () => {
  await harness.close();
});

describe('loader memory', () => {
  it('reads a transaction far larger than its batch a batch at a time, one table ahead at most, and loads all of it', async () => {
    // Arrange: the world, then one transaction of ORDERS new orders with two versions each: an insert, and an
    // update whose unit_price is unchanged (filled from the insert, in whichever batch that came).
    await writeLake(harness.lakeDir, [...WORLD, ...watermarks(150n, T0)]);
    expect(await harness.load()).toMatchObject({ status: 'loaded' });
    const orders: LakeChange[] = [];
    for (let id = 1; id <= ORDERS; id++) {
      orders.push({
        table: 'fact_sales_order',
        op: 'c',
        lsn: 200n,
        seq: 2 * id,
        commitTs: T1,
        row: ROWS.salesOrder(id),
      });
      orders.push({
        table: 'fact_sales_order',
        op: 'u',
        lsn: 200n,
        seq: 2 * id + 1,
        commitTs: T1,
        row: ROWS.salesOrder(id, { units_sold: 7, unit_price: null }),
        unchanged: ['unit_price'],
      });
    }
    await writeLake(harness.lakeDir, [...orders, ...watermarks(250n, T1)]);
    const { watched, seen } = watchedEngine(harness.engine);

    // Act
    const outcome = await runLoad({
      engine: watched,
      warehouse: harness.warehouse,
      queries: harness.queries,
      roundLog: harness.roundLog,
      batchRows: BATCH_ROWS,
    });

    // Assess: no window query was read whole, none handed out more than a batch, two open at a time at most
    // (the table the warehouse stages and the next one, read ahead: loader/read-ahead.ts).
    expect(outcome).toMatchObject({ status: 'loaded', toCut: { lsn: '250', commitTs: T1 } });
    expect(seen.whole.filter((sql) => sql.includes('_commit_ts'))).toEqual([]);
    expect(seen.batched).toBeGreaterThan(0);
    expect(seen.largestBatch).toBe(BATCH_ROWS);
    expect(seen.mostOpen).toBeLessThanOrEqual(2);
    expect(outcome.status === 'loaded' && outcome.rowsRead.fact_sales_order).toBe(2 * ORDERS);
    const [counts] = await warehouseRows(
      harness.database.url,
      `SELECT count(*)::int AS versions, count(DISTINCT sales_order_id)::int AS orders,
         count(*) FILTER (WHERE units_sold = 7 AND unit_price = 2.43)::int AS updated FROM fact_sales_order`,
    );
    expect(counts).toEqual({ versions: 2 * ORDERS, orders: ORDERS, updated: ORDERS });
  });

  it('reads a fact window one key range at a time, each its own query, and loads what one query of the window loads', async () => {
    // Arrange: ORDERS orders of two versions each, every version delivered twice (at-least-once copies), and a
    // second harness on the same lake that reads each window in one query.
    await writeLake(harness.lakeDir, [...WORLD, ...watermarks(150n, T0)]);
    const orders: LakeChange[] = [];
    for (let id = 1; id <= ORDERS; id++) {
      const insert: LakeChange = {
        table: 'fact_sales_order',
        op: 'c',
        lsn: 200n + BigInt(id % 7),
        seq: 2 * id,
        commitTs: T1,
        row: ROWS.salesOrder(id),
      };
      const update: LakeChange = {
        ...insert,
        op: 'u',
        seq: 2 * id + 1,
        row: ROWS.salesOrder(id, { units_sold: 7 }),
      };
      orders.push(insert, update, insert, update);
    }
    await writeLake(harness.lakeDir, [...orders, ...watermarks(250n, T1)]);
    const whole = await openLoaderHarness({}, harness.lakeDir);
    const { watched, seen } = watchedEngine(harness.engine);
    const rangeRows = 5_000;

    // Act
    const [ranged, once] = await Promise.all([
      runLoad({
        engine: watched,
        warehouse: harness.warehouse,
        queries: harness.queries,
        roundLog: harness.roundLog,
        batchRows: BATCH_ROWS,
        windowRangeRows: rangeRows,
      }),
      whole.load(),
    ]);
    const [rangedRows, onceRows] = await Promise.all([
      dumpWarehouse(harness.database.url),
      dumpWarehouse(whole.database.url),
    ]);
    await whole.close();

    // Assess: one window query per range of about rangeRows of the 4 * ORDERS versions read, the same rows
    // loaded as one query loads (the copies collapse in each range as in the whole window).
    expect(ranged).toMatchObject({ status: 'loaded', rowsRead: { fact_sales_order: 2 * ORDERS } });
    expect(once).toMatchObject({ status: 'loaded', rowsRead: { fact_sales_order: 2 * ORDERS } });
    const windowReads = seen.batchedSql.filter((sql) => sql.includes('FROM fact_sales_order'));
    expect(windowReads).toHaveLength(Math.ceil((4 * ORDERS) / rangeRows));
    expect(rangedRows).toEqual(onceRows);
    expect(rangedRows['fact_sales_order']).toHaveLength(2 * ORDERS);
  });

  it('reads a window the round records bound to half a range or less without its key span query, and one they do not bound with it', async () => {
    // Arrange: after a first load, three sales orders and two payments at 200, and the reader's round at 250
    // counting the sales orders only (the payments' partition named but not counted: a round owed after a crash).
    await writeLake(harness.lakeDir, [...WORLD, ...watermarks(150n, T0)]);
    expect(await harness.load()).toMatchObject({ status: 'loaded' });
    const change = (table: 'fact_sales_order' | 'fact_payment', id: number): LakeChange => ({
      table,
      op: 'c',
      lsn: 200n,
      seq: id,
      commitTs: T1,
      row: table === 'fact_sales_order' ? ROWS.salesOrder(id) : ROWS.payment(id),
    });
    const day = T1.slice(0, 10);
    await writeLakeFiles(harness.lakeDir, [
      ...[1, 2, 3].map((id) => change('fact_sales_order', id)),
      ...[4, 5].map((id) => change('fact_payment', id)),
      ...watermarks(250n, T1),
    ]);
    await harness.roundLog.append({
      lsn: '250',
      previousLsn: '150',
      emittedAt: T1,
      partitions: Object.fromEntries(LAKE_TABLE_NAMES.map((table) => [table, [day]])),
      records: { fact_sales_order: { [day]: 3 } },
    });
    const { watched, seen } = watchedEngine(harness.engine);

    // Act
    const outcome = await runLoad({
      engine: watched,
      warehouse: harness.warehouse,
      queries: harness.queries,
      roundLog: harness.roundLog,
      batchRows: BATCH_ROWS,
      windowRangeRows: 6,
    });

    // Assess: the sales orders' window (3 changes, at most 6 versions with copies) read without its span;
    // the payments' span read, as every fact's was before.
    expect(outcome).toMatchObject({
      status: 'loaded',
      toCut: { lsn: '250' },
      rowsRead: { fact_sales_order: 3, fact_payment: 2 },
    });
    expect(seen.whole).not.toContain(harness.queries.fact_sales_order_keys.sql);
    expect(seen.whole).toContain(harness.queries.fact_payment_keys.sql);
    const dump = await dumpWarehouse(harness.database.url);
    expect(dump['fact_sales_order']).toHaveLength(3);
    expect(dump['fact_payment']).toHaveLength(2);
  });
});
