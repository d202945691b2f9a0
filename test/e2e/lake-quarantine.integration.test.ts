import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_LAKE_BUCKET, pipelinePaths } from '../../local/data-dir-layout.ts';
import { readPipelineStatus } from '../../local/pipeline-status.ts';
import { pendingResnapshots } from '../../reader/resnapshot-requests.ts';
import { FileStateStore } from '../../reader/state/file-state-store.ts';
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
    const status = await readPipelineStatus({
      sourceUrl: world.source.url,
      warehouseUrl: world.warehouse.url,
      dataDir: world.dataDir,
      slot: world.slot,
    });
    expect(status.lake.quarantined).toEqual([
      expect.objectContaining({ key, table: 'fact_sales_order', kind: 'corrupt' }),
    ]);
    const quarantined = join(pipelinePaths(world.dataDir).lake, LOCAL_LAKE_BUCKET, 'quarantine', key);
    expect((await stat(quarantined)).size).toBeGreaterThan(0);
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
});
