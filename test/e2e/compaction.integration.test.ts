import { execFile } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPACTION_SCHEDULE } from '../../core/compaction-schedule.ts';
import { LAKE_TABLE_NAMES, LAKE_TABLES, type LakeTableName } from '../../core/schema/lake-tables.ts';
import { WAREHOUSE_TABLE_NAMES } from '../../core/schema/warehouse-tables.ts';
import { DuckDbQueryEngine } from '../../lake/duckdb-query-engine.ts';
import { FsObjectStore } from '../../lake/fs-object-store.ts';
import { compactLake } from '../../lake/lake-compaction.ts';
import { ObjectStoreRoundLog } from '../../lake/object-store-round-log.ts';
import { ObjectStoreStateSnapshots } from '../../lake/object-store-state-snapshots.ts';
import { readLoaderQueries, runLoad } from '../../loader/run-load.ts';
import { LOCAL_LAKE_BUCKET, pipelinePaths } from '../../local/data-dir-layout.ts';
import { readerConnection, valueDecoder } from '../../reader/source-values.ts';
import { FileStateStore } from '../../reader/state/file-state-store.ts';
import { SeededRandom } from '../../source/seed/seeded-random.ts';
import { Simulator } from '../../source/simulator/simulator.ts';
import { mapChangeEvent } from '../../transform/lake-row-mapping.ts';
import { PgWarehouse } from '../../warehouse/pg-warehouse.ts';
import { migrateWarehouse } from '../../warehouse/warehouse-migration.ts';
import { createTestDatabase, type TestDatabase, withClient } from '../support/test-databases.ts';
import { type E2eWorld, openWorld, reconcileWorld, syncWorld } from './e2e-harness.ts';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'killed-compactor.ts');

let world: E2eWorld;
let lake: FsObjectStore;
/** Every object Firehose and the reader ever put in the lake, never compacted: the lake without compaction. */
let uncompacted: FsObjectStore;

/** Copies what the pipeline put since the last copy (not compaction's outputs, nor its proof of the cut). */
async function copyUncompacted(): Promise<void> {
  const copied = new Set((await uncompacted.list('')).map((o) => o.key));
  for (const { key } of await lake.list('')) {
    if (key.includes('/compacted-') || key === 'rounds/proven.json') continue;
    if (copied.has(key) && key !== 'rounds/quiet.json') continue;
    const body = await lake.get(key);
    if (body) await uncompacted.put(key, body);
  }
}

beforeAll(async () => {
  world = await openWorld(0.01);
  lake = new FsObjectStore(pipelinePaths(world.dataDir).lake, LOCAL_LAKE_BUCKET);
  uncompacted = new FsObjectStore(join(world.dataDir, 'uncompacted'), LOCAL_LAKE_BUCKET);
  await syncWorld(world);
  // Many loader rounds, so every busy partition holds many small objects, as a long `up` leaves them.
  const simulator = new Simulator({ sourceUrl: world.source.url, seed: 11 });
  for (let round = 0; round < 6; round++) {
    await simulator.step(30);
    await syncWorld(world);
  }
  await simulator.stop();
  await copyUncompacted();
});

afterAll(async () => {
  await world.close();
});

/** Objects per lake-table partition (`<table>/dt=<day>/`). */
async function objectsPerPartition(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const object of await lake.list('')) {
    const match = /^([a-z_]+\/dt=[0-9-]+\/)[^/]+\.parquet$/.exec(object.key);
    if (match) counts.set(match[1]!, (counts.get(match[1]!) ?? 0) + 1);
  }
  return counts;
}

async function warehouseCut(url: string): Promise<string> {
  const warehouse = new PgWarehouse({ url });
  try {
    return (await warehouse.currentCut())!.lsn;
  } finally {
    await warehouse.close();
  }
}

/** Runs the killed-compactor fixture; resolves with the signal that ended it. */
function runKilledCompactor(cutLsn: string, killAt: number): Promise<NodeJS.Signals | null> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', FIXTURE, JSON.stringify({ dataDir: world.dataDir, cutLsn, killAt })],
      { timeout: 120_000 },
      (error, _out, stderr) => {
        if (error && !error.signal) console.error(stderr);
      },
    );
    child.on('exit', (_code, signal) => resolve(signal));
  });
}

/** Every star table and current view of a warehouse, row by row, as text. */
async function warehouseContents(url: string): Promise<Record<string, unknown[]>> {
  return withClient(url, async (client) => {
    const contents: Record<string, unknown[]> = {};
    for (const table of [
      ...WAREHOUSE_TABLE_NAMES,
      'current_sales_order',
      'current_purchase_order',
      'current_payment',
    ]) {
      contents[table] = (await client.query(`SELECT * FROM public.${table} ORDER BY 1`)).rows;
    }
    return contents;
  });
}

/** A new warehouse loaded by one loader run from the lake under `lakeDir`. */
async function rebuildWarehouse(prefix: string, lakeDir: string): Promise<TestDatabase> {
  const database = await createTestDatabase(prefix);
  await withClient(database.url, (client) => migrateWarehouse(client));
  const engine = await DuckDbQueryEngine.open({ lakeDir, bucket: LOCAL_LAKE_BUCKET });
  const warehouse = new PgWarehouse({ url: database.url });
  const store = new FsObjectStore(lakeDir, LOCAL_LAKE_BUCKET);
  try {
    const outcome = await runLoad({
      engine,
      warehouse,
      queries: await readLoaderQueries(),
      roundLog: new ObjectStoreRoundLog(store),
    });
    expect(outcome.status).toBe('loaded');
  } finally {
    await warehouse.close();
    await engine.close();
  }
  return database;
}

/** The source's current rows of `lakeTable` as the lake maps them (business columns, values as text). */
async function sourceCurrentRows(lakeTable: LakeTableName): Promise<string[]> {
  const table = LAKE_TABLES[lakeTable];
  const client = new pg.Client(
    readerConnection<pg.ClientConfig>({
      connectionString: world.source.url,
      types: { getTypeParser: () => (text: string) => text },
    }),
  );
  await client.connect();
  try {
    const result = await client.query(`SELECT * FROM public.${table.source}`);
    const decoders = result.fields.map((field) => [field.name, valueDecoder(field.dataTypeID)] as const);
    return result.rows
      .map((raw: Record<string, string | null>) => {
        const row = Object.fromEntries(
          decoders.map(([name, decode]) => [name, raw[name] === null ? null : decode(raw[name]!)]),
        );
        const mapped = mapChangeEvent({
          table: table.source,
          op: 'r',
          key: {},
          row,
          lsn: '1',
          seq: 0,
          xid: null,
          commit_ts: '2026-01-01T00:00:00.000Z',
        });
        return table.columns.map((c) => text(mapped[c.name] ?? null)).join('|');
      })
      .sort();
  } finally {
    await client.end();
  }
}

function text(value: string | number | boolean | null): string {
  return value === null ? '∅' : String(value);
}

describe('compaction of a busy local lake', () => {
  it('survives SIGKILL at random points, leaves few objects per partition, and changes nothing the warehouse holds', async () => {
    const before = await objectsPerPartition();
    expect(Math.max(...before.values())).toBeGreaterThan(3);
    const random = new SeededRandom(5);
    const simulator = new Simulator({ sourceUrl: world.source.url, seed: 12 });

    // Act: compactors killed at random writes, the pipeline going on between them over the half-compacted lake.
    for (let attempt = 0; attempt < 5; attempt++) {
      const signal = await runKilledCompactor(await warehouseCut(world.warehouse.url), random.int(1, 40));
      expect(signal).toBe('SIGKILL');
      await simulator.step(10);
      await syncWorld(world);
      await copyUncompacted();
    }
    await simulator.stop();
    const cut = await warehouseCut(world.warehouse.url);
    const state = new FileStateStore(pipelinePaths(world.dataDir).state);
    const deps = { store: lake, state, roundLog: new ObjectStoreRoundLog(lake) };
    const options = {
      cutLsn: BigInt(cut),
      graceMs: 0,
      targetObjectBytes: COMPACTION_SCHEDULE.local.targetObjectBytes,
    };
    await compactLake(deps, options);

    // Assess: every partition holds at most 3 objects (everything here is below the cut: one each).
    const after = await objectsPerPartition();
    expect(Math.max(...after.values())).toBeLessThanOrEqual(3);
    expect([...after.values()].reduce((a, b) => a + b, 0)).toBeLessThan(
      [...before.values()].reduce((a, b) => a + b, 0),
    );
    const report = await reconcileWorld(world);
    expect(report.differences).toEqual([]);
    await copyUncompacted();

    // A warehouse built out of the compacted lake is the one built out of the same lake without compaction.
    const fromCompacted = await rebuildWarehouse('e2e_compacted', pipelinePaths(world.dataDir).lake);
    const fromUncompacted = await rebuildWarehouse('e2e_uncompacted', join(world.dataDir, 'uncompacted'));
    try {
      expect(await warehouseCut(fromCompacted.url)).toBe(await warehouseCut(fromUncompacted.url));
      expect(await warehouseContents(fromCompacted.url)).toEqual(
        await warehouseContents(fromUncompacted.url),
      );
    } finally {
      await fromCompacted.drop();
      await fromUncompacted.drop();
    }
  });

  it("gives every lake table a _latest view holding exactly the source's current rows", async () => {
    // Changes after the snapshots compaction took: the views must add them to the snapshot.
    const simulator = new Simulator({ sourceUrl: world.source.url, seed: 13 });
    await simulator.step(40);
    await simulator.stop();
    await syncWorld(world);
    const engine = await DuckDbQueryEngine.open({
      lakeDir: pipelinePaths(world.dataDir).lake,
      bucket: LOCAL_LAKE_BUCKET,
    });
    try {
      for (const name of LAKE_TABLE_NAMES) {
        const result = await engine.query(`SELECT * FROM ${name}_latest`);
        const columns = LAKE_TABLES[name].columns.map((c) => result.columns.indexOf(c.name));
        const latest = result.rows.map((row) => columns.map((at) => row[at] ?? '∅').join('|')).sort();
        expect(latest.length, name).toBeGreaterThan(0);
        expect(latest, name).toEqual(await sourceCurrentRows(name));
      }
      expect((await new ObjectStoreStateSnapshots(lake).current('fact_sales_order'))?.lsn).toBeDefined();
    } finally {
      await engine.close();
    }
  });
});
