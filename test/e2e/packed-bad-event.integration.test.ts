import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseErrorDocuments } from '../../core/error-documents.ts';
import { FsObjectStore } from '../../lake/fs-object-store.ts';
import { LOCAL_LAKE_BUCKET, pipelinePaths } from '../../local/data-dir-layout.ts';
import { listErrorObjects } from '../../local/error-objects.ts';
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
