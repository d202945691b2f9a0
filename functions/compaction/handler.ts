/**
 * @module
 * The compaction Lambda (on two EventBridge Scheduler schedules). The hourly one merges: one run of
 * lake/lake-compaction.ts over the lake bucket at the warehouse's cut, then, for every table whose state
 * snapshot moved, its `<table>_latest` Athena view replaced by one over the new snapshot
 * (core/latest-view-sql.ts). The other (`DELETE_PASS_EVENT`, every few minutes) only deletes the objects the
 * last merge replaced once the grace period has passed, so readers stop opening them within minutes of it
 * instead of an hour (core/compaction-schedule.ts). An object a merge cannot read is quarantined and its table
 * re-read, as by the loader. Single flight by the `lake/compactor` lease. The settings are the loader's (functions/loader/config.ts): the same warehouse,
 * bucket, workgroup and Glue database.
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { COMPACTION_SCHEDULE, COMPACTOR_LEASE, DELETE_PASS_EVENT } from '../../core/compaction-schedule.ts';
import { LAKE_PREFIXES } from '../../core/lake-layout.ts';
import { latestViewSelect } from '../../core/latest-view-sql.ts';
import { ENV, SERVICES } from '../../core/operations.ts';
import type { LeaseStore } from '../../core/ports/lease-store.ts';
import type { Log } from '../../core/ports/log.ts';
import type { ObjectStore } from '../../core/ports/object-store.ts';
import type { QueryEngine } from '../../core/ports/query-engine.ts';
import type { StateStore } from '../../core/ports/state-store.ts';
import type { Warehouse } from '../../core/ports/warehouse.ts';
import { latestViewName } from '../../core/schema/lake-snapshots.ts';
import { AthenaQueryEngine } from '../../lake/athena-query-engine.ts';
import { type CompactionOutcome, compactLake, deleteReplacedObjects } from '../../lake/lake-compaction.ts';
import { LakeObjectRecovery } from '../../lake/lake-object-recovery.ts';
import { ObjectStoreRoundLog } from '../../lake/object-store-round-log.ts';
import { ObjectStoreStateSnapshots } from '../../lake/object-store-state-snapshots.ts';
import { S3ObjectStore } from '../../lake/s3-object-store.ts';
import { requestResnapshot } from '../../reader/resnapshot-requests.ts';
import { S3LeaseStore } from '../../reader/state/s3-lease-store.ts';
import { S3StateStore } from '../../reader/state/s3-state-store.ts';
import { PgWarehouse } from '../../warehouse/pg-warehouse.ts';
import { readLoaderConfig } from '../loader/config.ts';
import { lambdaLogger, powertoolsLog } from '../operations/powertools-log.ts';
import { lambdaMetrics, powertoolsMetrics } from '../operations/powertools-metrics.ts';

/** What a run works on. */
export interface CompactionFunctionDeps {
  readonly store: ObjectStore;
  readonly state: StateStore;
  /** Where the cut comes from (read only). */
  readonly warehouse: Warehouse;
  /** Replaces the `_latest` views (Athena). */
  readonly engine: QueryEngine;
}

/** Where the handler reports and how it keeps to one run at a time. */
export interface CompactionOperations {
  readonly log: Log;
  readonly leases: LeaseStore;
  /** Now, for the grace period (tests drive a manual clock). @default Date.now */
  readonly now?: () => number;
  /**
   * Quarantines an object a merge cannot read and has its table re-read, as the loader does
   * (lake/lake-object-recovery.ts: `quarantine/`, the `LakeObjectsQuarantined` metric, a re-read request for
   * the reader); the run goes on without it. Without it such a run fails.
   */
  readonly recovery?: LakeObjectRecovery;
}

/** The delete-pass schedule's event; anything else (the merge schedule's empty event) is a merge. */
const DELETE_PASS = z.object({ pass: z.literal(DELETE_PASS_EVENT.pass) });

/** A handler over the given adapters (tests inject moto's S3, a test warehouse and DuckDB). */
export function createHandler(
  makeDeps: () => Promise<CompactionFunctionDeps>,
  operations: CompactionOperations,
) {
  return async (
    event: unknown,
    context: Pick<Context, 'awsRequestId' | 'getRemainingTimeInMillis'>,
  ): Promise<CompactionOutcome | { readonly status: 'busy' }> => {
    const log = operations.log.with({ stage: 'compaction', id: context.awsRequestId });
    const lease = await operations.leases.acquire(
      COMPACTOR_LEASE,
      context.getRemainingTimeInMillis() + 60_000,
    );
    if (!lease) {
      log.info('another compaction run holds the lease; this tick does nothing');
      return { status: 'busy' };
    }
    const deps = await makeDeps();
    try {
      const schedule = COMPACTION_SCHEDULE.aws;
      const lake = {
        store: deps.store,
        state: deps.state,
        roundLog: new ObjectStoreRoundLog(deps.store),
        log,
        ...(operations.now ? { now: operations.now } : {}),
        ...(operations.recovery ? { unreadableObjects: operations.recovery } : {}),
      };
      if (DELETE_PASS.safeParse(event).success) {
        const outcome = await deleteReplacedObjects(lake, { graceMs: schedule.graceSeconds * 1000 });
        log.info(`compaction delete pass ${outcome.status}`, {
          counts: { deleted: outcome.objectsDeleted },
        });
        return outcome;
      }
      const cut = await deps.warehouse.currentCut();
      const outcome = await compactLake(lake, {
        cutLsn: cut === null ? null : BigInt(cut.lsn),
        cutCommitTs: cut?.commitTs ?? null,
        targetObjectBytes: schedule.targetObjectBytes,
        graceMs: schedule.graceSeconds * 1000,
      });
      const snapshots = new ObjectStoreStateSnapshots(deps.store);
      for (const table of outcome.snapshots ?? []) {
        const select = latestViewSelect(table, await snapshots.current(table));
        await deps.engine.query(`CREATE OR REPLACE VIEW ${latestViewName(table)} AS ${select}`);
      }
      log.info(`compaction run ${outcome.status}`, {
        counts: {
          written: outcome.objectsWritten,
          deleted: outcome.objectsDeleted,
          partitions: outcome.partitions,
          ...(outcome.quarantined ? { quarantined: outcome.quarantined } : {}),
        },
        ...(outcome.snapshots?.length ? { tables: outcome.snapshots } : {}),
      });
      return outcome;
    } catch (error) {
      log.error('compaction run failed', { error });
      throw error;
    } finally {
      await lease.release();
      await deps.warehouse.close().catch(() => undefined);
      await deps.engine.close().catch(() => undefined);
    }
  };
}

/** The adapters from the environment: the loader's settings. */
async function createDeps(): Promise<CompactionFunctionDeps> {
  const config = await readLoaderConfig(process.env);
  const client = new S3Client({});
  return {
    store: new S3ObjectStore({ client, bucket: config.lakeBucket }),
    state: new S3StateStore({ client, bucket: config.lakeBucket, prefix: LAKE_PREFIXES.state }),
    warehouse: new PgWarehouse({ url: config.warehouseUrl, tls: config.tls, maxConnections: 1 }),
    engine: new AthenaQueryEngine({
      client: new AthenaClient({}),
      workGroup: config.workGroup,
      database: config.glueDatabase,
    }),
  };
}

const s3 = new S3Client({});
const lakeBucket = process.env[ENV.lakeBucket] ?? '';
const log = powertoolsLog(lambdaLogger(SERVICES.compaction));

/** The Lambda entry point. */
export const handler = createHandler(createDeps, {
  log,
  leases: new S3LeaseStore({ client: s3, bucket: lakeBucket, prefix: LAKE_PREFIXES.state }),
  recovery: new LakeObjectRecovery({
    store: new S3ObjectStore({ client: s3, bucket: lakeBucket }),
    root: `s3://${lakeBucket}`,
    stage: 'compaction',
    // The reader's state lives in the lake bucket under state/: its re-read requests are documents there.
    requestReread: (tables) =>
      requestResnapshot(
        new S3StateStore({ client: s3, bucket: lakeBucket, prefix: LAKE_PREFIXES.state }),
        tables,
      ),
    log: log.with({ stage: 'compaction' }),
    metrics: powertoolsMetrics(lambdaMetrics(SERVICES.compaction)),
  }),
});
