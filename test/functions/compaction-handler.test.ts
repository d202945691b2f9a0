import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COMPACTION_SCHEDULE, COMPACTOR_LEASE } from '../../core/compaction-schedule.ts';
import { METRICS, SERVICES } from '../../core/operations.ts';
import type { QueryEngine, QueryResult } from '../../core/ports/query-engine.ts';
import type { Cut, Warehouse } from '../../core/ports/warehouse.ts';
import { LAKE_TABLE_NAMES, LAKE_TABLES } from '../../core/schema/lake-tables.ts';
import { createHandler } from '../../functions/compaction/handler.ts';
import { FsObjectStore } from '../../lake/fs-object-store.ts';
import { LakeObjectRecovery } from '../../lake/lake-object-recovery.ts';
import type { LakeRow } from '../../lake/lake-value.ts';
import { writeLakeParquet } from '../../lake/parquet-writer.ts';
import { quarantineNotes } from '../../lake/unreadable-objects.ts';
import { pendingResnapshots, requestResnapshot } from '../../reader/resnapshot-requests.ts';
import { MemoryLeaseStore } from '../../testing/memory-lease-store.ts';
import { memoryLog, memoryMetrics } from '../../testing/memory-operations.ts';
import { MemoryStateStore } from '../../testing/memory-state-store.ts';

/** A warehouse that only tells its cut (the compactor reads nothing else). */
function warehouseAt(cut: Cut | null): Warehouse {
  return {
    currentCut: async () => cut,
    load: async () => {
      throw new Error('the compactor never loads');
    },
    currentKeys: () => {
      throw new Error('the compactor never loads');
    },
    close: async () => undefined,
  };
}

/** An engine that records the statements it is given (Athena's DDL answers with no rows). */
function recordingEngine(): QueryEngine & { readonly statements: string[] } {
  const statements: string[] = [];
  return {
    statements,
    capabilities: {},
    query: async (sql: string): Promise<QueryResult> => {
      statements.push(sql);
      return { columns: [], rows: [] };
    },
    queryBatches: async function* (sql: string) {
      statements.push(sql);
      yield { columns: [], rows: [] };
    },
    queryLines: async function* (sql: string) {
      statements.push(sql);
      yield { columns: [], lines: [] };
    },
    close: async () => undefined,
  };
}

/** The payload of the delete-pass schedule (cdk/lib/constructs/lake-compactor.ts). */
const DELETE_PASS = { pass: 'delete-replaced' } as const;

const context = { awsRequestId: 'request-1', getRemainingTimeInMillis: () => 600_000 };

function currency(id: number, lsn: bigint): LakeRow {
  return {
    currency_id: id,
    currency_code: 'GBP',
    currency_name: 'Pound Sterling',
    _op: 'r',
    _lsn: lsn,
    _seq: id,
    _commit_ts: BigInt(Date.UTC(2026, 10, 30)),
  };
}

let dir: string;
let store: FsObjectStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'compaction-handler-'));
  store = new FsObjectStore(dir, 'lake');
  for (let n = 1; n <= 3; n++) {
    await store.put(
      `dim_currency/dt=2026-11-30/object-${n}.parquet`,
      writeLakeParquet(LAKE_TABLES.dim_currency, [currency(n, BigInt(n * 10))]),
    );
  }
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A handler over the test lake and a fresh plan store, the warehouse's cut at LSN 30. */
function handlerAtCut30(engine: QueryEngine) {
  return createHandler(
    async () => ({
      store,
      state: new MemoryStateStore(),
      warehouse: warehouseAt({ lsn: '30', commitTs: '2026-11-30T00:00:00.000Z' }),
      engine,
    }),
    { log: memoryLog().log, leases: new MemoryLeaseStore() },
  );
}

describe('the compaction Lambda', () => {
  it('compacts at the warehouse cut and replaces the _latest view of every table whose snapshot moved', async () => {
    // Prepare
    const engine = recordingEngine();
    const handler = handlerAtCut30(engine);

    // Act
    const outcome = await handler({}, context);

    // Assess: one merged object waits out the grace period; every table got a snapshot and its view.
    expect(outcome.status).toBe('waiting');
    expect((await store.list('dim_currency/')).length).toBe(4);
    expect(engine.statements).toHaveLength(LAKE_TABLE_NAMES.length);
    const currencyView = engine.statements.find((sql) =>
      sql.startsWith('CREATE OR REPLACE VIEW dim_currency_latest'),
    );
    expect(currencyView).toContain(`"snapshot_lsn" = '${String(30).padStart(20, '0')}'`);
    expect(currencyView).toContain(`"_lsn" > CAST(30 AS bigint)`);
  });

  it('does nothing while another run holds the lease', async () => {
    const leases = new MemoryLeaseStore();
    const held = await leases.acquire(COMPACTOR_LEASE, 60_000);
    const engine = recordingEngine();
    const handler = createHandler(
      async () => ({ store, state: new MemoryStateStore(), warehouse: warehouseAt(null), engine }),
      { log: memoryLog().log, leases },
    );

    expect(await handler({}, context)).toEqual({ status: 'busy' });
    expect(engine.statements).toEqual([]);
    await held?.release();
  });

  it('deletes the objects a merge replaced at the first delete pass after the grace period, not an hour later', async () => {
    // Prepare: an hourly run merges the three objects on a manual clock; their originals wait out the grace.
    let clockMs = Date.UTC(2026, 11, 1, 12);
    const state = new MemoryStateStore();
    const engine = recordingEngine();
    const leases = new MemoryLeaseStore();
    let cutReads = 0;
    const warehouse = warehouseAt({ lsn: '30', commitTs: '2026-11-30T00:00:00.000Z' });
    const handler = createHandler(
      async () => ({
        store,
        state,
        warehouse: {
          ...warehouse,
          currentCut: async () => {
            cutReads++;
            return warehouse.currentCut();
          },
        },
        engine,
      }),
      { log: memoryLog().log, leases, now: () => clockMs },
    );
    expect((await handler({}, context)).status).toBe('waiting');
    const graceMs = COMPACTION_SCHEDULE.aws.graceSeconds * 1000;
    const statementsOfTheMerge = engine.statements.length;

    // Act: a delete pass just before the grace period ends, then one just after it.
    clockMs += graceMs - 1000;
    const early = await handler(DELETE_PASS, context);
    const keysDuringGrace = (await store.list('dim_currency/')).map((o) => o.key);
    clockMs += 2000;
    const late = await handler(DELETE_PASS, context);

    // Assess: the originals stay through the grace period (a reader that listed them still finds them), then
    // only the merged object is left; a delete pass neither reads the cut nor replaces a view.
    expect(early.status).toBe('waiting');
    expect(keysDuringGrace).toHaveLength(4);
    expect(late).toMatchObject({ status: 'compacted', objectsDeleted: 3, objectsWritten: 0 });
    const left = (await store.list('dim_currency/')).map((o) => o.key);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/compacted-.*\.parquet$/);
    expect(cutReads).toBe(1);
    expect(engine.statements).toHaveLength(statementsOfTheMerge);
  });

  it('quarantines an object it cannot read, counts it, has its table re-read and compacts the rest', async () => {
    // Prepare: one of the partition's objects is overwritten with garbage; the Lambda's recovery as deployed,
    // over the lake and the reader's state.
    const corrupt = 'dim_currency/dt=2026-11-30/object-2.parquet';
    await store.put(corrupt, Buffer.from('not parquet '.repeat(30)));
    const readerState = new MemoryStateStore();
    const metrics = memoryMetrics(SERVICES.compaction);
    const { log, entries } = memoryLog();
    const handler = createHandler(
      async () => ({
        store,
        state: new MemoryStateStore(),
        warehouse: warehouseAt({ lsn: '30', commitTs: '2026-11-30T00:00:00.000Z' }),
        engine: recordingEngine(),
      }),
      {
        log,
        leases: new MemoryLeaseStore(),
        recovery: new LakeObjectRecovery({
          store,
          root: 's3://lake',
          stage: 'compaction',
          requestReread: (tables) => requestResnapshot(readerState, tables),
          log,
          metrics: metrics.metrics,
        }),
      },
    );

    // Act
    const outcome = await handler({}, context);

    // Assess: the run completed, the object is in quarantine/ with its note, counted under the compactor's
    // service, its source table is requested for a re-read, and the two readable objects were merged.
    expect(outcome).toMatchObject({ status: 'waiting', objectsWritten: 1, quarantined: 1 });
    expect(await quarantineNotes(store)).toEqual([
      expect.objectContaining({ key: corrupt, table: 'dim_currency', kind: 'corrupt' }),
    ]);
    expect(await store.get(corrupt)).toBeUndefined();
    expect(metrics.published).toEqual([
      expect.objectContaining({
        name: METRICS.lake.objectsQuarantined,
        value: 1,
        dimensions: { service: SERVICES.compaction },
      }),
    ]);
    expect((await pendingResnapshots(readerState)).map((r) => r.table)).toEqual(['currency']);
    expect(entries).toContainEqual(
      expect.objectContaining({ level: 'ERROR', stage: 'compaction', object: corrupt }),
    );
    const merged = (await store.list('dim_currency/')).filter((o) => o.key.includes('compacted-'));
    expect(merged).toHaveLength(1);
  });

  it('a delete pass with no merge waiting does nothing and plans no merge', async () => {
    const engine = recordingEngine();
    const handler = handlerAtCut30(engine);

    expect(await handler(DELETE_PASS, context)).toMatchObject({ status: 'nothing-to-do', objectsDeleted: 0 });
    expect(await store.list('dim_currency/')).toHaveLength(3);
    expect(engine.statements).toEqual([]);
  });
});
