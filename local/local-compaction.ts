/**
 * @module
 * Compaction of the local lake (`lake/lake-compaction.ts` over the lake directory and the data dir's state),
 * for `totesys-stream compact` and `up`'s schedule. One run at a time per data dir: runs take the
 * `lake/compactor` lease (lease files under `<dataDir>/state/leases`), so `up` and a `compact` from another
 * terminal never compact at once.
 */
import { join } from 'node:path';
import { COMPACTION_SCHEDULE, COMPACTOR_LEASE } from '../core/compaction-schedule.ts';
import { type MemoryBounds, readMemoryBounds, windowRangeRows } from '../core/memory-bounds.ts';
import { type Clock, repeatUntilAborted, SYSTEM_CLOCK } from '../core/ports/clock.ts';
import type { Log } from '../core/ports/log.ts';
import { CutMovedError, type Warehouse } from '../core/ports/warehouse.ts';
import { DuckDbQueryEngine, duckDbMemory } from '../lake/duckdb-query-engine.ts';
import { FsObjectStore } from '../lake/fs-object-store.ts';
import { type CompactionOutcome, compactLake } from '../lake/lake-compaction.ts';
import { LakeObjectRecovery } from '../lake/lake-object-recovery.ts';
import { ObjectStoreRoundLog } from '../lake/object-store-round-log.ts';
import { ObjectStoreStateSnapshots } from '../lake/object-store-state-snapshots.ts';
import { quarantinedPartitions } from '../lake/unreadable-objects.ts';
import { readLoaderQueries, runLoad } from '../loader/run-load.ts';
import { createClient } from '../postgres/connections.ts';
import { requestResnapshot } from '../reader/resnapshot-requests.ts';
import { FileLeaseStore } from '../reader/state/file-lease-store.ts';
import { FileStateStore } from '../reader/state/file-state-store.ts';
import { migrateWarehouse } from '../warehouse/warehouse-migration.ts';
import { LOCAL_LAKE_BUCKET, pipelinePaths } from './data-dir-layout.ts';

/** How to compact the local lake once. */
export interface LocalCompactionOptions {
  readonly dataDir: string;
  /** Where the cut comes from: only what it covers is compacted. */
  readonly warehouse: Warehouse;
  readonly log?: Log;
  /**
   * Wait out the grace period and delete the replaced objects before returning (the `compact` command: the
   * lake is compact when it exits). `up`'s schedule leaves them for its next run instead.
   */
  readonly waitForDeletes: boolean;
  /**
   * Load what the lake holds first (one loader run), so that a lake whose pipeline stopped before its last
   * load is covered by the cut and compact right after (the command). A concurrent load by a running `up` is
   * harmless: the warehouse refuses the second batch.
   */
  readonly loadFirst?: { readonly warehouseUrl: string };
  /**
   * The bounds of that load's DuckDB (memory, threads, spilling to the data dir's `duckdb-tmp`) and its batch
   * rows, as for `up` and `sync` (README, Bounded memory). @default readMemoryBounds(process.env)
   */
  readonly memoryBounds?: MemoryBounds;
  readonly signal?: AbortSignal;
}

/** What a local run did; `busy` when another run held the lease. */
export type LocalCompactionOutcome = CompactionOutcome | { readonly status: 'busy' };

/** One compaction run over the local lake. */
export async function compactLocalLake(options: LocalCompactionOptions): Promise<LocalCompactionOutcome> {
  const paths = pipelinePaths(options.dataDir);
  const schedule = COMPACTION_SCHEDULE.local;
  const graceMs = schedule.graceSeconds * 1000;
  const lease = await new FileLeaseStore(join(paths.state, 'leases')).acquire(
    COMPACTOR_LEASE,
    graceMs + 10 * 60_000,
  );
  if (!lease) return { status: 'busy' };
  try {
    const store = new FsObjectStore(paths.lake, LOCAL_LAKE_BUCKET);
    const state = new FileStateStore(paths.state);
    // An object the run cannot read is quarantined (named in `status`) and its table re-read: the request
    // goes to the data dir's state, which is the reader's.
    const recovery = new LakeObjectRecovery({
      store,
      root: store.root,
      stage: 'compaction',
      requestReread: (tables) => requestResnapshot(state, tables),
      ...(options.log ? { log: options.log } : {}),
    });
    const deps = {
      store,
      state,
      roundLog: new ObjectStoreRoundLog(store),
      unreadableObjects: recovery,
      ...(options.log ? { log: options.log } : {}),
    };
    if (options.loadFirst) {
      await migrateWarehouseAt(options.loadFirst.warehouseUrl);
      await loadWhatTheLakeHolds(
        paths,
        options.memoryBounds ?? readMemoryBounds(process.env),
        store,
        options.warehouse,
        recovery,
      );
    }
    const cut = await options.warehouse.currentCut();
    const run = () =>
      compactLake(deps, {
        cutLsn: cut === null ? null : BigInt(cut.lsn),
        cutCommitTs: cut?.commitTs ?? null,
        targetObjectBytes: schedule.targetObjectBytes,
        graceMs,
      });
    let outcome = await run();
    let written = outcome.objectsWritten;
    let deleted = outcome.objectsDeleted;
    let partitions = outcome.partitions;
    // A plan left waiting may be followed by a new one: go on until nothing waits (the command's promise).
    while (options.waitForDeletes && outcome.status === 'waiting' && outcome.deleteAfter !== undefined) {
      await SYSTEM_CLOCK.sleep(outcome.deleteAfter - Date.now(), options.signal);
      if (options.signal?.aborted) break;
      await lease.renew(graceMs + 10 * 60_000);
      outcome = await run();
      written += outcome.objectsWritten;
      deleted += outcome.objectsDeleted;
      partitions += outcome.partitions;
    }
    return { ...outcome, objectsWritten: written, objectsDeleted: deleted, partitions };
  } finally {
    await lease.release();
  }
}

/** Creates or upgrades the warehouse schema the load writes (as `up` and `sync` do before loading). */
async function migrateWarehouseAt(url: string): Promise<void> {
  const client = createClient({ connectionString: url });
  await client.connect();
  try {
    await migrateWarehouse(client);
  } finally {
    await client.end();
  }
}

/** One loader run over the local lake (see {@link LocalCompactionOptions.loadFirst}). */
async function loadWhatTheLakeHolds(
  paths: ReturnType<typeof pipelinePaths>,
  bounds: MemoryBounds,
  store: FsObjectStore,
  warehouse: Warehouse,
  recovery: LakeObjectRecovery,
): Promise<void> {
  const engine = await DuckDbQueryEngine.open({
    lakeDir: paths.lake,
    bucket: LOCAL_LAKE_BUCKET,
    store,
    memory: duckDbMemory(bounds, paths.duckdbTemp),
  });
  try {
    for (;;) {
      try {
        await runLoad({
          engine,
          warehouse,
          queries: await readLoaderQueries(),
          roundLog: new ObjectStoreRoundLog(store),
          snapshots: new ObjectStoreStateSnapshots(store),
          batchRows: bounds.loaderBatchRows,
          windowRangeRows: windowRangeRows(bounds),
          lostPartitions: () => quarantinedPartitions(store),
        });
        return;
      } catch (error) {
        if (error instanceof CutMovedError) return;
        // An unreadable object is moved aside (its table re-read) and the load tried again, as `up` does.
        if (!(await recovery.recover(error))) throw error;
      }
    }
  } finally {
    await engine.close();
  }
}

/** `up`'s compactions: one run every `everyMinutes` of `clock` after the previous one ended, until `signal`. */
export async function compactOnSchedule(options: {
  readonly everyMinutes: number;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  readonly compact: () => Promise<void>;
  readonly log?: Log;
}): Promise<void> {
  // The clock's sleep takes its abort listener off when it wakes: a listener per run, left on the run's
  // signal, passed Node's limit of ten after ten minutes of `up` (COMPACTION_SCHEDULE.local runs every minute).
  await repeatUntilAborted(
    options.clock,
    options.everyMinutes * 60_000,
    options.signal,
    options.compact,
    (error) =>
      options.log?.error('compaction failed; retrying at the next run', { stage: 'compaction', error }),
  );
}
