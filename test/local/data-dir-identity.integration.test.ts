/**
 * A data dir tied to its source and warehouse: two real sources and two real warehouses on the test cluster,
 * synced through the real pipeline, mixed in every wrong way.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLsn } from '../../core/lsn.ts';
import { bindPipelineIdentity, IdentityMismatchError } from '../../local/data-dir-identity.ts';
import { pipelinePaths } from '../../local/data-dir-layout.ts';
import { reconcile } from '../../local/reconcile/reconcile.ts';
import { runSync } from '../../local/sync.ts';
import { seedSource } from '../../source/seed/seed-source.ts';
import { databaseIdentity } from '../../source/source-inspector.ts';
import {
  createSourceDatabase,
  createTestDatabase,
  type TestDatabase,
  withClient,
} from '../support/test-databases.ts';

describe('the data dir tied to its source and warehouse', () => {
  let root: string;
  let sourceA: TestDatabase;
  let sourceB: TestDatabase;
  let warehouseA: TestDatabase;
  let warehouseB: TestDatabase;
  // One slot and publication name for both sources, as a user running the defaults has.
  const names = { slot: `ident_${process.pid}_slot`, publication: `ident_${process.pid}_pub` };

  const sync = (source: TestDatabase, warehouse: TestDatabase, dataDir: string) =>
    runSync({ sourceUrl: source.url, warehouseUrl: warehouse.url, dataDir, ...names, timeoutMs: 110_000 });

  const warehouseFacts = (warehouse: TestDatabase) =>
    withClient(warehouse.url, async (c) => ({
      cut: (await c.query('SELECT count(*)::int AS n FROM pipeline.cut')).rows[0].n as number,
      facts: (await c.query('SELECT count(*)::int AS n FROM fact_sales_order')).rows[0].n as number,
    }));

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'ident-'));
    [sourceA, sourceB, warehouseA, warehouseB] = await Promise.all([
      createSourceDatabase('ident_src_a'),
      createSourceDatabase('ident_src_b'),
      createTestDatabase('ident_wh_a'),
      createTestDatabase('ident_wh_b'),
    ]);
    await withClient(sourceA.url, (c) => seedSource(c, { scale: 0.01, seed: 1 }));
    await withClient(sourceB.url, (c) => seedSource(c, { scale: 0.01, seed: 2 }));
  });
  afterAll(async () => {
    for (const database of [sourceA, sourceB, warehouseA, warehouseB]) await database?.drop();
    await rm(root, { recursive: true, force: true });
  });

  it('records the source and warehouse on the first run, and refuses every run that does not belong', async () => {
    const dataDir = join(root, 'a');
    const first = await sync(sourceA, warehouseA, dataDir);
    expect(first.rowsLoaded.fact_sales_order).toBeGreaterThan(0);
    const recorded = JSON.parse(await readFile(pipelinePaths(dataDir).identity, 'utf8'));
    expect(recorded).toMatchObject({
      source: { database: sourceA.name, ...names },
      warehouse: { database: warehouseA.name },
    });
    expect(recorded.source.systemIdentifier).toMatch(/^\d+$/);
    const inWarehouse = await withClient(warehouseA.url, (c) =>
      c.query('SELECT database_name, slot_name, publication_name FROM pipeline.source_identity'),
    );
    expect(inWarehouse.rows).toEqual([
      { database_name: sourceA.name, slot_name: names.slot, publication_name: names.publication },
    ]);

    // A's data dir with another source and another warehouse: the demo-lake-into-a-real-warehouse case.
    const otherSource = sync(sourceB, warehouseB, dataDir);
    await expect(otherSource).rejects.toThrow(IdentityMismatchError);
    await expect(otherSource).rejects.toThrow(
      `The data dir ${dataDir} belongs to another source: its lake and reader state are those of database "${sourceA.name}"`,
    );
    await expect(otherSource).rejects.toThrow(
      /Give this source a data dir of its own \(--data-dir <new dir>\)/,
    );
    expect(await warehouseFacts(warehouseB)).toEqual({ cut: 0, facts: 0 });

    // The right source, the wrong warehouse.
    await expect(sync(sourceA, warehouseB, dataDir)).rejects.toThrow(
      `The data dir ${dataDir} loads database "${warehouseA.name}"`,
    );
    expect(await warehouseFacts(warehouseB)).toEqual({ cut: 0, facts: 0 });

    // A fresh data dir, but a warehouse whose cut came from A.
    const before = await warehouseFacts(warehouseA);
    await expect(sync(sourceB, warehouseA, join(root, 'fresh'))).rejects.toThrow(
      /The warehouse \(database "ident_wh_a\w*" .*\) holds a cut from database "ident_src_a\w*"/,
    );
    expect(await warehouseFacts(warehouseA)).toEqual(before);
    await expect(
      reconcile({
        sourceUrl: sourceB.url,
        warehouseUrl: warehouseA.url,
        publication: names.publication,
        catchUp: async () => undefined,
      }),
    ).rejects.toThrow(/holds a cut from database "ident_src_a/);

    // Nothing was recorded by the refused runs; the data dir still works with its own databases.
    expect(JSON.parse(await readFile(pipelinePaths(dataDir).identity, 'utf8'))).toEqual(recorded);
    const again = await sync(sourceA, warehouseA, dataDir);
    expect(parseLsn(again.cutLsn)).toBeGreaterThanOrEqual(parseLsn(first.cutLsn));
  });

  it('refuses a data dir from before identities were recorded when the source has no slot of its own there', async () => {
    const dataDir = join(root, 'legacy');
    await mkdir(pipelinePaths(dataDir).lake, { recursive: true });
    await writeFile(join(pipelinePaths(dataDir).lake, 'leftover'), 'x');

    await expect(sync(sourceB, warehouseB, dataDir)).rejects.toThrow(
      `The data dir ${dataDir} holds a lake and reader state that recorded no source`,
    );
    expect(await warehouseFacts(warehouseB)).toEqual({ cut: 0, facts: 0 });
  });

  it('tells clusters apart by system identifier, not only by database name', async () => {
    const dataDir = join(root, 'a');
    await withClient(sourceA.url, (source) =>
      withClient(warehouseA.url, async (warehouse) => {
        const real = await databaseIdentity(source);
        const otherCluster = { ...real, systemIdentifier: `${BigInt(real.systemIdentifier) + 1n}`, ...names };
        await expect(
          bindPipelineIdentity({
            dataDir,
            current: { source: otherCluster, warehouse: await databaseIdentity(warehouse) },
            warehouse,
            slotExists: true,
          }),
        ).rejects.toThrow(/belongs to another source/);
      }),
    );
  });
});
