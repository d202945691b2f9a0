/**
 * @module
 * A warehouse database, a temporary lake and the real loader pieces, for loader tests.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WAREHOUSE_TABLE_NAMES } from '../../core/schema/warehouse-tables.ts';
import { createHandler } from '../../functions/loader/handler.ts';
import { DuckDbQueryEngine } from '../../lake/duckdb-query-engine.ts';
import { FsObjectStore } from '../../lake/fs-object-store.ts';
import { LakeObjectRecovery } from '../../lake/lake-object-recovery.ts';
import { ObjectStoreRoundLog } from '../../lake/object-store-round-log.ts';
import { ObjectStoreStateSnapshots } from '../../lake/object-store-state-snapshots.ts';
import { quarantinedPartitions } from '../../lake/unreadable-objects.ts';
import { type LoaderQueries, type LoadOutcome, readLoaderQueries, runLoad } from '../../loader/run-load.ts';
import { MemoryLeaseStore } from '../../testing/memory-lease-store.ts';
import { memoryLog, memoryMetrics } from '../../testing/memory-operations.ts';
import { PgWarehouse, type PgWarehouseOptions } from '../../warehouse/pg-warehouse.ts';
import { migrateWarehouse } from '../../warehouse/warehouse-migration.ts';
import { createTestDatabase, type TestDatabase, withClient } from '../support/test-databases.ts';
import { BUCKET } from './lake-fixtures.ts';

/** One warehouse and one lake, with the loader wired over them. */
export interface LoaderHarness {
  readonly lakeDir: string;
  readonly database: TestDatabase;
  readonly engine: DuckDbQueryEngine;
  readonly warehouse: PgWarehouse;
  readonly queries: LoaderQueries;
  readonly roundLog: ObjectStoreRoundLog;
  load(): Promise<LoadOutcome>;
  /** Every star row and the pipeline bookkeeping that must not depend on how loads were split or retried. */
  dump(): Promise<Record<string, unknown[]>>;
  close(): Promise<void>;
}

export async function openLoaderHarness(
  options: Omit<PgWarehouseOptions, 'url'> = {},
  lakeDir?: string,
): Promise<LoaderHarness> {
  const dir = lakeDir ?? (await mkdtemp(join(tmpdir(), 'loader-lake-')));
  const database = await createTestDatabase('wh');
  await withClient(database.url, (client) => migrateWarehouse(client));
  const engine = await DuckDbQueryEngine.open({ lakeDir: dir, bucket: BUCKET });
  const warehouse = new PgWarehouse({ url: database.url, ...options });
  const queries = await readLoaderQueries();
  const store = new FsObjectStore(dir, BUCKET);
  const roundLog = new ObjectStoreRoundLog(store);
  // Compaction's state snapshots, when a test takes some (lake/state-snapshots.ts); none otherwise.
  const snapshots = new ObjectStoreStateSnapshots(store);
  return {
    lakeDir: dir,
    database,
    engine,
    warehouse,
    queries,
    roundLog,
    load: () => runLoad({ engine, warehouse, queries, roundLog, snapshots }),
    dump: () => dumpWarehouse(database.url),
    async close() {
      await warehouse.close();
      await engine.close();
      await database.drop();
      if (!lakeDir) await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function dumpWarehouse(url: string): Promise<Record<string, unknown[]>> {
  return withClient(url, async (client) => {
    const dump: Record<string, unknown[]> = {};
    for (const table of WAREHOUSE_TABLE_NAMES) {
      const result = await client.query(`SELECT * FROM public.${table} ORDER BY 1`);
      dump[table] = result.rows;
    }
    dump['fact_version'] = (
      await client.query(
        'SELECT fact_table, order_id, lsn::text, seq, record_id FROM pipeline.fact_version ORDER BY 1, 2, 3, 4',
      )
    ).rows;
    dump['cut'] = (await client.query('SELECT lsn::text, commit_ts FROM pipeline.cut')).rows;
    dump['inferred_member'] = (
      await client.query('SELECT dimension, member_id FROM pipeline.inferred_member ORDER BY 1, 2')
    ).rows;
    return dump;
  });
}

/** Rows of a SQL query on the warehouse, times and numerics as text. */
export async function warehouseRows(url: string, sql: string): Promise<Record<string, unknown>[]> {
  return withClient(url, async (client) => (await client.query(sql)).rows);
}

/**
 * The loader Lambda's handler over the harness's adapters, with the recovery of an unreadable object over the
 * harness's lake (re-reads it asks for are collected in `rereads`) and, when `lostPartitions`, the quarantined
 * partitions the cut may pass (loader/consistent-cut.ts); `now` is the handler's clock.
 */
export function recoveringLoaderHandler(
  harness: LoaderHarness,
  options: { lostPartitions?: boolean; now?: () => number } = {},
) {
  const store = new FsObjectStore(harness.lakeDir, BUCKET);
  const rereads: string[] = [];
  const { entries, log } = memoryLog();
  const handler = createHandler(
    async () => ({
      engine: harness.engine,
      warehouse: harness.warehouse,
      queries: harness.queries,
      roundLog: harness.roundLog,
      ...(options.lostPartitions ? { lostPartitions: () => quarantinedPartitions(store) } : {}),
    }),
    {
      log,
      metrics: memoryMetrics().metrics,
      leases: new MemoryLeaseStore(),
      ...(options.now ? { now: options.now } : {}),
      recovery: new LakeObjectRecovery({
        store,
        root: store.root,
        requestReread: async (tables) => {
          rereads.push(...tables);
        },
        log,
      }),
    },
  );
  return { handler, store, rereads, entries };
}
