import { readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../lake/fs-object-store.ts';
import { LOCAL_LAKE_BUCKET, pipelinePaths } from '../../local/data-dir-layout.ts';
import { compactLocalLake } from '../../local/local-compaction.ts';
import { readPipelineStatus } from '../../local/pipeline-status.ts';
import { pendingResnapshots } from '../../reader/resnapshot-requests.ts';
import { FileStateStore } from '../../reader/state/file-state-store.ts';
import { Simulator } from '../../source/simulator/simulator.ts';
import { PgWarehouse } from '../../warehouse/pg-warehouse.ts';
import { adminUrl, withClient } from '../support/test-databases.ts';
import { type E2eWorld, openWorld, reconcileWorld, syncWorld } from './e2e-harness.ts';

let world: E2eWorld;

beforeEach(async () => {
  world = await openWorld(0.01);
});

afterEach(async () => {
  await world.close();
});

/** Drops the warehouse and creates it again, empty, under the same name (the data dir's own warehouse). */
async function rebuildWarehouse(name: string): Promise<void> {
  await withClient(adminUrl(), async (client) => {
    const quoted = client.escapeIdentifier(name);
    await client.query(`DROP DATABASE ${quoted} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${quoted}`);
  });
}

/** What `status` reports for the world's data dir. */
function statusOf(world: E2eWorld) {
  return readPipelineStatus({
    sourceUrl: world.source.url,
    warehouseUrl: world.warehouse.url,
    dataDir: world.dataDir,
    slot: world.slot,
  });
}

/** Every Parquet file of a lake table, by path. */
async function lakeFiles(dataDir: string, table: string): Promise<string[]> {
  const dir = join(pipelinePaths(dataDir).lake, LOCAL_LAKE_BUCKET, table);
  const files: string[] = [];
  for (const partition of await readdir(dir)) {
    for (const file of await readdir(join(dir, partition)))
      if (file.endsWith('.parquet')) files.push(join(dir, partition, file));
  }
  return files.sort();
}

/** The largest Parquet file of a lake table (the snapshot's, holding most of its rows). */
async function largestFile(dataDir: string, table: string): Promise<string> {
  const dir = join(pipelinePaths(dataDir).lake, LOCAL_LAKE_BUCKET, table);
  let best = { path: '', size: -1 };
  for (const partition of await readdir(dir)) {
    for (const file of await readdir(join(dir, partition))) {
      if (!file.endsWith('.parquet')) continue;
      const path = join(dir, partition, file);
      const { size } = await stat(path);
      if (size > best.size) best = { path, size };
    }
  }
  return best.path;
}

/**
 * Syncs, changes three sales orders and syncs again, then deletes the lake objects written since: they hold
 * those versions and their partition's newest watermark.
 */
async function deleteObjectsOfNewOrderVersions(): Promise<void> {
  await syncWorld(world);
  const before = new Set(await lakeFiles(world.dataDir, 'fact_sales_order'));
  await withClient(world.source.url, (client) =>
    client.query(
      'UPDATE sales_order SET units_sold = units_sold + 1, last_updated = now() WHERE sales_order_id <= 3',
    ),
  );
  await syncWorld(world);
  const changed = (await lakeFiles(world.dataDir, 'fact_sales_order')).filter((f) => !before.has(f));
  expect(changed.length).toBeGreaterThan(0);
  for (const file of changed) await rm(file);
}

describe('an unreadable lake object', () => {
  it('is quarantined, named in status, its table re-read from the source, and the pipeline goes on to zero differences', async () => {
    // Prepare: a synced world, then one fact_sales_order file overwritten with garbage, and the warehouse
    // emptied, to be rebuilt from the lake (so the loader reads that file).
    await syncWorld(world);
    const corrupt = await largestFile(world.dataDir, 'fact_sales_order');
    await writeFile(corrupt, Buffer.from('this is not a parquet file'.repeat(40)));
    await rebuildWarehouse(world.warehouse.name);

    // Act: sync (the loader meets the file), then once more (the reader serves the re-read it asked for).
    await syncWorld(world);
    await syncWorld(world);

    // Assess: the file moved aside with its note, status names it, no re-read is left waiting, and the
    // warehouse is exactly the source.
    const key = corrupt.slice(join(pipelinePaths(world.dataDir).lake, LOCAL_LAKE_BUCKET).length + 1);
    await expect(stat(corrupt)).rejects.toThrow(/ENOENT/);
    const status = await statusOf(world);
    expect(status.lake.quarantined).toEqual([
      expect.objectContaining({ key, table: 'fact_sales_order', kind: 'corrupt' }),
    ]);
    const quarantined = join(pipelinePaths(world.dataDir).lake, LOCAL_LAKE_BUCKET, 'quarantine', key);
    expect((await stat(quarantined)).size).toBeGreaterThan(0);
    expect(await pendingResnapshots(new FileStateStore(pipelinePaths(world.dataDir).state))).toEqual([]);
    expect((await reconcileWorld(world)).differences).toEqual([]);
  });

  it('in a partition due for compaction: compaction completes, quarantines it, its table is re-read, to zero differences', async () => {
    // Prepare: a synced world, then several loads of simulated activity, so fact_sales_order's busy partition
    // holds many small objects the warehouse's cut covers; one of them (not the largest) is overwritten with
    // garbage.
    await syncWorld(world);
    const simulator = new Simulator({ sourceUrl: world.source.url, seed: 5 });
    for (let round = 0; round < 3; round++) {
      await simulator.step(20);
      await syncWorld(world);
    }
    await simulator.stop();
    const lake = new FsObjectStore(pipelinePaths(world.dataDir).lake, LOCAL_LAKE_BUCKET);
    const largest = await largestFile(world.dataDir, 'fact_sales_order');
    const partition = largest.slice(0, largest.lastIndexOf('/') + 1);
    const corrupt = (await lakeFiles(world.dataDir, 'fact_sales_order')).find(
      (file) => file.startsWith(partition) && file !== largest,
    )!;
    expect(corrupt).toBeDefined();
    await writeFile(corrupt, Buffer.from('this is not a parquet file'.repeat(40)));
    const key = corrupt.slice(lake.root.length + 1);

    // Act: one compaction run, as `up`'s schedule makes it (it used to fail here on every run).
    const warehouse = new PgWarehouse({ url: world.warehouse.url });
    const outcome = await compactLocalLake({
      dataDir: world.dataDir,
      warehouse,
      waitForDeletes: false,
    }).finally(() => warehouse.close());

    // Assess: the run went on and merged the partition's other objects; the object is in quarantine/ and named
    // in status; rebuilt from this lake plus the re-read the compactor asked for, the warehouse is the source.
    expect(outcome).toMatchObject({ quarantined: 1 });
    expect(outcome.status === 'busy' ? 0 : outcome.objectsWritten).toBeGreaterThan(0);
    await expect(stat(corrupt)).rejects.toThrow(/ENOENT/);
    expect((await lake.get(`quarantine/${key}`))?.byteLength).toBeGreaterThan(0);
    const status = await statusOf(world);
    expect(status.lake.quarantined).toEqual([
      expect.objectContaining({ key, table: 'fact_sales_order', kind: 'corrupt' }),
    ]);
    expect(await pendingResnapshots(new FileStateStore(pipelinePaths(world.dataDir).state))).toEqual([
      expect.objectContaining({ table: 'sales_order' }),
    ]);
    await rebuildWarehouse(world.warehouse.name);
    await syncWorld(world);
    await syncWorld(world);
    expect(await pendingResnapshots(new FileStateStore(pipelinePaths(world.dataDir).state))).toEqual([]);
    expect((await reconcileWorld(world)).differences).toEqual([]);
  });

  it('that held a delete: the re-read of its table deletes the order it no longer finds, to zero differences', async () => {
    // Prepare: a synced world, then one sales order deleted at the source and synced, so its delete is in the
    // lake objects written since; those are overwritten with garbage and the warehouse is emptied, so the
    // loader rebuilds it from a lake that holds the order's insert and not its delete.
    await syncWorld(world);
    const before = new Set(await lakeFiles(world.dataDir, 'fact_sales_order'));
    const deleted = await withClient(world.source.url, async (client) => {
      const result = await client.query<{ id: number }>(
        'DELETE FROM sales_order WHERE sales_order_id = (SELECT min(sales_order_id) FROM sales_order) RETURNING sales_order_id AS id',
      );
      return result.rows[0]!.id;
    });
    await syncWorld(world);
    const holdingDelete = (await lakeFiles(world.dataDir, 'fact_sales_order')).filter((f) => !before.has(f));
    expect(holdingDelete.length).toBeGreaterThan(0);
    for (const file of holdingDelete) await writeFile(file, Buffer.from('not parquet '.repeat(40)));
    await rebuildWarehouse(world.warehouse.name);

    // Act: sync (the loader meets the garbage, quarantines it and asks for the re-read), then once more (the
    // reader serves the re-read and the loader loads it).
    await syncWorld(world);
    await syncWorld(world);

    // Assess: the order keeps its history, gets one deletion record, is not current, and reconcile finds
    // the warehouse exactly the source.
    const warehouse = (sql: string) =>
      withClient(world.warehouse.url, async (client) => (await client.query(sql, [deleted])).rows);
    expect(await warehouse('SELECT 1 FROM fact_sales_order WHERE sales_order_id = $1')).not.toEqual([]);
    expect(
      await warehouse(
        "SELECT order_id FROM pipeline.fact_deletion WHERE fact_table = 'fact_sales_order' AND order_id = $1",
      ),
    ).toEqual([{ order_id: deleted }]);
    expect(await warehouse('SELECT 1 FROM current_sales_order WHERE sales_order_id = $1')).toEqual([]);
    expect((await reconcileWorld(world)).differences).toEqual([]);
  });

  it('deleted while nothing read it: the round it belonged to names it missing, status says so, its table is re-read, to zero differences', async () => {
    // Prepare: a synced world, then sales orders changed and synced, so their new versions are in the lake
    // objects written since; those objects are deleted and the warehouse emptied (its loader rebuilds it
    // from a lake that no longer holds them; no read of them ever fails).
    await deleteObjectsOfNewOrderVersions();
    // A later change of the table: its round's watermark lands in the same partition (the deleted objects
    // held that partition's newest watermark, which the cut waits for).
    await withClient(world.source.url, (client) =>
      client.query(
        'UPDATE sales_order SET units_sold = units_sold + 1, last_updated = now() WHERE sales_order_id = 4',
      ),
    );
    await rebuildWarehouse(world.warehouse.name);

    // Act: sync (the loader finds a round short of what the reader put), then once more (the re-read).
    await syncWorld(world);
    await syncWorld(world);

    // Assess: status names the short partition, no re-read is left waiting, and the warehouse is the source.
    const status = await statusOf(world);
    expect(status.lake.quarantined).toEqual([
      expect.objectContaining({
        key: expect.stringMatching(/^fact_sales_order\/dt=\d{4}-\d{2}-\d{2}\/round-\d+$/),
        table: 'fact_sales_order',
        kind: 'missing',
        reason: expect.stringMatching(/holds \d+: an object is gone/),
      }),
    ]);
    expect(await pendingResnapshots(new FileStateStore(pipelinePaths(world.dataDir).state))).toEqual([]);
    expect((await reconcileWorld(world)).differences).toEqual([]);
  });

  it('that held the watermark its round waits for, with no later one coming: noted missing, its table re-read, the cut goes on', async () => {
    // Prepare: as above, but no later change of the table: the deleted objects held the newest watermark of
    // their partition, as on a day that is over, so no watermark the round could use ever lands again.
    await deleteObjectsOfNewOrderVersions();
    await rebuildWarehouse(world.warehouse.name);

    // Act: sync (the loader waits for the round, finds the stream has delivered all it accepted, notes the
    // partition and has the table re-read), then once more.
    await syncWorld(world);
    await syncWorld(world);

    // Assess
    const status = await statusOf(world);
    expect(status.lake.quarantined).toEqual([
      expect.objectContaining({
        key: expect.stringMatching(/^fact_sales_order\/dt=\d{4}-\d{2}-\d{2}\/round-\d+$/),
        table: 'fact_sales_order',
        kind: 'missing',
        reason: expect.stringMatching(/waits for a watermark .* the object that held it is gone/),
      }),
    ]);
    expect(await pendingResnapshots(new FileStateStore(pipelinePaths(world.dataDir).state))).toEqual([]);
    expect((await reconcileWorld(world)).differences).toEqual([]);
  });
});
