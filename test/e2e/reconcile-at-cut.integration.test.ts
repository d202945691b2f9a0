import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseErrorDocuments } from '../../core/error-documents.ts';
import { FsObjectStore } from '../../lake/fs-object-store.ts';
import { LOCAL_LAKE_BUCKET, pipelinePaths } from '../../local/data-dir-layout.ts';
import { listErrorObjects } from '../../local/error-objects.ts';
import { Simulator } from '../../source/simulator/simulator.ts';
import { withClient } from '../support/test-databases.ts';
import { type E2eWorld, openWorld, reconcileWorld, syncWorld } from './e2e-harness.ts';

let world: E2eWorld;

beforeEach(async () => {
  world = await openWorld(0.01);
  await syncWorld(world);
});

afterEach(async () => {
  await world.close();
});

const onSource = (sql: string, values: unknown[] = []) =>
  withClient(world.source.url, async (c) => (await c.query(sql, values)).rows);
const onWarehouse = (sql: string, values: unknown[] = []) =>
  withClient(world.warehouse.url, async (c) => (await c.query(sql, values)).rows);

/** Deletes an order as the application cancels one: its payment, its transaction, then the order. */
async function cancelOrder(kind: 'sales' | 'purchase'): Promise<number> {
  return withClient(world.source.url, async (c) => {
    await c.query('BEGIN');
    const id = (await c.query(`SELECT min(${kind}_order_id) AS id FROM ${kind}_order`)).rows[0].id as number;
    await c.query(
      `DELETE FROM payment WHERE transaction_id IN (SELECT transaction_id FROM transaction WHERE ${kind}_order_id = $1)`,
      [id],
    );
    await c.query(`DELETE FROM transaction WHERE ${kind}_order_id = $1`, [id]);
    await c.query(`DELETE FROM ${kind}_order WHERE ${kind}_order_id = $1`, [id]);
    await c.query('COMMIT');
    return id;
  });
}

describe('reconcile compares the warehouse with the source as of the warehouse cut', () => {
  it('is exact when the source changes between its snapshot and the cut, and again after the cut', async () => {
    // Prepare: a design whose name PostgreSQL stores out of line (TOAST), and one whose key will change.
    const [big] = await onSource(
      `INSERT INTO design (created_at, last_updated, design_name, file_location, file_name)
       VALUES (now(), now(), $1, '/srv', 'big.json') RETURNING design_id`,
      [randomBytes(20_000).toString('hex')],
    );
    const [moved] = await onSource(
      `INSERT INTO design (created_at, last_updated, design_name, file_location, file_name)
       VALUES (now(), now(), 'moving', '/srv', 'moving.json') RETURNING design_id`,
    );
    await syncWorld(world);
    const simulator = new Simulator({ sourceUrl: world.source.url, seed: 23 });

    // Act: between reconcile's snapshot and the cut, then after the cut.
    const report = await reconcileWorld(world, async () => {
      await onSource("UPDATE design SET file_name = 'big-2.json' WHERE design_id = $1", [big.design_id]);
      await onSource('UPDATE design SET design_id = 900000 WHERE design_id = $1', [moved.design_id]);
      await onSource(
        'UPDATE sales_order SET units_sold = 4242, last_updated = now() WHERE sales_order_id = (SELECT max(sales_order_id) FROM sales_order)',
      );
      await cancelOrder('purchase');
      await simulator.step(40);
      await syncWorld(world);
      await onSource(
        "UPDATE department SET department_name = 'After the cut' WHERE department_id = (SELECT min(department_id) FROM department)",
      );
      await cancelOrder('sales');
      await simulator.step(40);
    });
    await simulator.stop();

    // Assess
    expect(report.differences).toEqual([]);
    expect(report.replayedChanges).toBeGreaterThan(40);
    expect(report.cutLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(Object.values(report.tables).every((t) => t.differences === 0)).toBe(true);
    const renamed = await onWarehouse(
      "SELECT count(*)::int AS n FROM dim_staff WHERE department_name = 'After the cut'",
    );
    expect(renamed).toEqual([{ n: 0 }]);
  });

  it('reports a source value the pipeline cannot convert by table, key and column, in the same counts', async () => {
    // Prepare: a text date that names no calendar day (the pipeline sends that version to errors/).
    const [order] = await onSource(
      `UPDATE sales_order SET agreed_delivery_date = '2024-02-30', last_updated = now()
       WHERE sales_order_id = (SELECT min(sales_order_id) FROM sales_order) RETURNING sales_order_id`,
    );

    // Act
    const report = await reconcileWorld(world);

    // Assess
    expect(report.differences).toEqual([
      {
        table: 'fact_sales_order',
        key: String(order.sales_order_id),
        kind: 'unconvertible-in-source',
        columns: ['agreed_delivery_date'],
      },
    ]);
    expect(report.tables.fact_sales_order.differences).toBe(1);
    const counted = Object.values(report.tables).reduce((sum, t) => sum + t.differences, 0);
    expect(counted).toBe(report.differences.length);
  });

  it('checks both directions: deleted orders match, and keys only the warehouse has are found in facts and dimensions', async () => {
    // Prepare: orders deleted at the source flow through and match.
    const sales = await cancelOrder('sales');
    const purchase = await cancelOrder('purchase');
    expect((await reconcileWorld(world)).differences).toEqual([]);
    expect(
      await onWarehouse('SELECT count(*)::int AS n FROM current_sales_order WHERE sales_order_id = $1', [
        sales,
      ]),
    ).toEqual([{ n: 0 }]);
    // Then the warehouse forgets one delete and gains a design the source never had.
    await onWarehouse(
      "DELETE FROM pipeline.fact_deletion WHERE fact_table = 'fact_purchase_order' AND order_id = $1",
      [purchase],
    );
    await onWarehouse("INSERT INTO dim_design VALUES (999999, 'planted', '/nowhere', 'planted.json')");

    // Act
    const report = await reconcileWorld(world);

    // Assess
    expect(report.differences).toEqual([
      { table: 'dim_design', key: '999999', kind: 'extra-in-warehouse' },
      { table: 'fact_purchase_order', key: String(purchase), kind: 'extra-in-warehouse' },
    ]);
    expect(report.tables.fact_purchase_order).toMatchObject({ differences: 1 });
    expect(report.tables.fact_purchase_order.warehouseRows).toBe(
      report.tables.fact_purchase_order.sourceRows + 1,
    );
  });
});

describe('one bad change event packed among good ones', () => {
  it('goes to errors/ on its own with its reason while its neighbours reach the warehouse', async () => {
    // Prepare: three orders changed in one transaction, so the reader packs them into one Firehose record;
    // the first gets a text date that names no calendar day, which the transformation refuses.
    const orders = (await onSource(
      'SELECT sales_order_id AS id FROM sales_order ORDER BY sales_order_id LIMIT 3',
    )) as { id: number }[];
    const [bad, ...good] = orders.map((o) => o.id) as [number, number, number];
    await withClient(world.source.url, async (c) => {
      await c.query('BEGIN');
      await c.query(
        "UPDATE sales_order SET agreed_delivery_date = '2024-02-30', last_updated = now() WHERE sales_order_id = $1",
        [bad],
      );
      for (const [index, id] of good.entries())
        await c.query(
          'UPDATE sales_order SET units_sold = $2, last_updated = now() WHERE sales_order_id = $1',
          [id, 4242 + index],
        );
      await c.query('COMMIT');
    });

    // Act
    await syncWorld(world);

    // Assess: the good neighbours arrived.
    expect(
      await onWarehouse(
        'SELECT sales_order_id, units_sold FROM current_sales_order WHERE sales_order_id = ANY($1) ORDER BY 1',
        [good],
      ),
    ).toEqual([
      { sales_order_id: good[0], units_sold: 4242 },
      { sales_order_id: good[1], units_sold: 4243 },
    ]);
    // The bad event alone is in errors/, with a reason naming its column.
    const lake = new FsObjectStore(pipelinePaths(world.dataDir).lake, LOCAL_LAKE_BUCKET);
    const objects = await listErrorObjects(lake);
    expect(objects.map((o) => [o.table, o.type, o.records])).toEqual([
      ['fact_sales_order', 'transformer-failed', 1],
    ]);
    expect(objects[0]?.reasons[0]?.reason).toContain('agreed_delivery_date');
    const [document] = parseErrorDocuments((await lake.get(objects[0]?.key ?? '')) ?? new Uint8Array());
    const event = JSON.parse(Buffer.from(document?.rawData ?? []).toString('utf8')) as {
      key: Record<string, number>;
    };
    expect(event.key).toEqual({ sales_order_id: bad });
    expect(document?.lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    // The round's count found it there: no object was taken for lost, nothing was quarantined.
    expect(await lake.list('quarantine/')).toEqual([]);
    // reconcile names only the bad order's unconvertible column.
    const report = await reconcileWorld(world);
    expect(report.differences).toEqual([
      {
        table: 'fact_sales_order',
        key: String(bad),
        kind: 'unconvertible-in-source',
        columns: ['agreed_delivery_date'],
      },
    ]);
  });
});
