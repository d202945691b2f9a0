import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ChangeEvent, dedupeKey } from '../../core/change-event.ts';
import { maxLsn } from '../../core/lsn.ts';
import type { StateStore } from '../../core/ports/state-store.ts';
import type { SnapshotProgress } from '../../reader/initial-snapshot.ts';
import { runReader } from '../../reader/reader-loop.ts';
import { pendingResnapshots, requestResnapshot } from '../../reader/resnapshot-requests.ts';
import { parseTableStates, TABLE_STATES_KEY, type TableStatesDocument } from '../../reader/table-states.ts';
import { MemoryChangeStream } from '../../testing/memory-change-stream.ts';
import { MemoryStateStore } from '../../testing/memory-state-store.ts';
import { createSourceDatabase, type TestDatabase, withClient } from '../support/test-databases.ts';
import {
  asObject,
  confirmedFlush,
  currentWalLsn,
  eventsOf,
  insertCurrency,
  insertDepartments,
  memoryLog,
  replay,
  sourceState,
  waitFor,
} from './reader-test-kit.ts';

/** The reader's persisted table states (the document status reads). */
async function tableStates(store: StateStore): Promise<TableStatesDocument> {
  return parseTableStates(await store.get(TABLE_STATES_KEY));
}

/** Small write transactions on department until stopped: inserts, updates and deletes. */
function startWriter(url: string): { stop(): Promise<number> } {
  let running = true;
  const done = (async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    let transactions = 0;
    try {
      for (let i = 0; running || transactions < 20; i++) {
        await client.query('BEGIN');
        await insertDepartments(client, 100_000 + i, 1);
        await client.query(`UPDATE department SET manager = 'Writer ' || $1 WHERE department_id = $2`, [
          i,
          1 + ((i * 7) % 2000),
        ]);
        if (i % 4 === 0) await client.query('DELETE FROM department WHERE department_id = $1', [2000 - i]);
        await client.query('COMMIT');
        transactions += 1;
      }
    } finally {
      await client.end();
    }
    return transactions;
  })();
  return {
    async stop() {
      running = false;
      return done;
    },
  };
}

async function currentWal(url: string): Promise<bigint> {
  return withClient(url, async (client) => await currentWalLsn(client));
}

describe('reader snapshot', () => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await createSourceDatabase();
  });
  afterEach(async () => {
    await database.drop();
  });

  it('hands over from snapshot to stream under concurrent writes with every version once and the source rebuilt exactly', async () => {
    // Prepare
    await withClient(database.url, (client) => insertDepartments(client, 1, 2000));
    const writer = startWriter(database.url);
    const stream = new MemoryChangeStream();
    const stateStore = new MemoryStateStore();
    const progress: SnapshotProgress[] = [];
    const stop = new AbortController();

    // Act: snapshot and stream while the writer runs; stop once the slot covers the writer's last commit.
    const running = runReader({
      sourceUrl: database.url,
      slot: database.name,
      changeStream: stream,
      stateStore,
      signal: stop.signal,
      onProgress: (p) => progress.push(p),
      log: memoryLog().log,
    });
    await waitFor(
      'snapshot done',
      async () =>
        eventsOf(stream.events, 'department', 'r').length > 0 && (await stateStore.get(TABLE_STATES_KEY)),
    );
    const transactions = await writer.stop();
    const end = await currentWal(database.url);
    await waitFor('slot to pass the last write', () =>
      withClient(database.url, async (c) => (await confirmedFlush(c, database.name)) >= end),
    );
    stop.abort();
    await running;

    // Assess
    const state = await tableStates(stateStore);
    const point = BigInt(state.consistentPoint);
    const reads = stream.events.filter((event) => event.op === 'r');
    const changes = stream.events.filter((event) => event.op === 'c' || event.op === 'u' || event.op === 'd');
    expect(transactions).toBeGreaterThanOrEqual(20);
    // The snapshot is the source as of just before the consistent point; every streamed change sorts after it.
    expect(reads.every((event) => BigInt(event.lsn) === point - 1n)).toBe(true);
    expect(changes.length).toBeGreaterThan(0);
    expect(changes.every((event) => BigInt(event.lsn) >= point)).toBe(true);
    const nonWatermarks = stream.events.filter((event) => event.op !== 'w');
    expect(new Set(nonWatermarks.map(dedupeKey)).size).toBe(nonWatermarks.length);
    expect(asObject(replay(stream.events))).toEqual(asObject(await sourceState(database.url)));
    const departmentDone = progress.find((p) => p.table === 'department' && p.done);
    expect(departmentDone?.rows).toBe(eventsOf(reads, 'department').length);
    expect(departmentDone?.rowsPerSecond).toBeGreaterThan(0);
  });

  it('puts a watermark covering the snapshot rows even when nothing is committed after the snapshot', async () => {
    // Prepare: a quiet source; the loader's first cut must hold the snapshot, not an empty warehouse.
    await withClient(database.url, (client) => insertDepartments(client, 1, 50));
    const stream = new MemoryChangeStream();

    // Act
    await runReader({
      sourceUrl: database.url,
      slot: database.name,
      changeStream: stream,
      stateStore: new MemoryStateStore(),
      stopAtLsn: 'current',
      log: memoryLog().log,
    });

    // Assess
    const reads = eventsOf(stream.events, 'department', 'r');
    const watermarks = stream.events.filter((event) => event.op === 'w');
    expect(reads).toHaveLength(50);
    expect(watermarks.length).toBeGreaterThan(0);
    const newestWatermark = watermarks.map((event) => BigInt(event.lsn)).reduce(maxLsn);
    expect(reads.every((event) => BigInt(event.lsn) <= newestWatermark)).toBe(true);
  });

  it('resumes a snapshot that crashed mid-table without re-reading finished tables, and still rebuilds the source', async () => {
    // Prepare: currency (copied before department) and department rows.
    await withClient(database.url, async (client) => {
      for (let id = 1; id <= 5; id++) await insertCurrency(client, id, `C${id}`);
      await insertDepartments(client, 1, 3000);
    });
    const stateStore = new MemoryStateStore();
    const accepted: ChangeEvent[] = [];
    let departmentPuts = 0;
    const crashing = new MemoryChangeStream({
      beforePut: (events) => {
        if (eventsOf(events, 'department').length > 0 && ++departmentPuts === 2)
          throw new Error('simulated crash mid-table');
      },
      afterPut: (events) => {
        accepted.push(...events);
      },
    });

    // Act: the first run dies in the department copy; the source changes; a second run resumes.
    await expect(
      runReader({
        sourceUrl: database.url,
        slot: database.name,
        changeStream: crashing,
        stateStore,
        flushBytes: 64 * 1024,
        log: memoryLog().log,
      }),
    ).rejects.toThrow('simulated crash mid-table');
    const afterCrash = await tableStates(stateStore);
    await withClient(database.url, async (client) => {
      await client.query(`UPDATE department SET location = 'York' WHERE department_id <= 100`);
      await client.query('DELETE FROM department WHERE department_id > 2900');
      await client.query(`UPDATE currency SET currency_code = 'EUR' WHERE currency_id = 2`);
    });
    const resumed = new MemoryChangeStream({ afterPut: (events) => void accepted.push(...events) });
    const summary = await runReader({
      sourceUrl: database.url,
      slot: database.name,
      changeStream: resumed,
      stateStore,
      stopAtLsn: 'current',
      log: memoryLog().log,
    });

    // Assess
    const copiedBeforeCrash = Object.entries(afterCrash.tables).filter(([, t]) => t?.state.kind === 'copied');
    expect(copiedBeforeCrash.map(([table]) => table)).toEqual(['address', 'currency']);
    expect(afterCrash.tables.department?.state).toMatchObject({
      kind: 'errored',
      reason: 'simulated crash mid-table',
      remedy: expect.stringMatching(/next run of the reader copies the table again/),
    });
    expect(summary.snapshot.tables.map((t) => t.table)).not.toContain('currency');
    expect(summary.snapshot.tables.map((t) => t.table)).toContain('department');
    expect(eventsOf(accepted, 'currency', 'r')).toHaveLength(5);
    const rereadLsn = BigInt(eventsOf(resumed.events, 'department', 'r')[0]!.lsn);
    expect(rereadLsn).toBeGreaterThan(BigInt(afterCrash.consistentPoint));
    expect(eventsOf(resumed.events, 'department', 'r')).toHaveLength(2900);
    expect(asObject(replay(accepted))).toEqual(asObject(await sourceState(database.url)));
  });

  it('resumes from a snapshot-progress document an older version wrote, copying only the tables it does not list', async () => {
    // Prepare: a finished snapshot, its progress then rewritten in the shape versions before table states wrote.
    await withClient(database.url, (client) => insertDepartments(client, 1, 20));
    const stateStore = new MemoryStateStore();
    await runReader({
      sourceUrl: database.url,
      slot: database.name,
      changeStream: new MemoryChangeStream(),
      stateStore,
      stopAtLsn: 'current',
      log: memoryLog().log,
    });
    const { consistentPoint } = await tableStates(stateStore);
    const copied = { lsn: consistentPoint, rows: 0 };
    await stateStore.put(TABLE_STATES_KEY, {
      slot: database.name,
      consistentPoint,
      tables: { address: copied, counterparty: copied, currency: copied, design: copied, staff: copied },
    });
    const stream = new MemoryChangeStream();

    // Act
    const summary = await runReader({
      sourceUrl: database.url,
      slot: database.name,
      changeStream: stream,
      stateStore,
      stopAtLsn: 'current',
      log: memoryLog().log,
    });

    // Assess
    expect(summary.snapshot.tables.map((t) => t.table).sort()).toEqual(
      ['department', 'payment', 'payment_type', 'purchase_order', 'sales_order', 'transaction'].sort(),
    );
    expect(eventsOf(stream.events, 'department', 'r')).toHaveLength(20);
    const after = await tableStates(stateStore);
    expect(after.version).toBe(2);
    expect(Object.values(after.tables).map((t) => t?.state.kind)).toEqual(Array(11).fill('copied'));
  });

  it('re-reads a table on request while streaming continues, holding watermarks below the re-read point until done', async () => {
    // Prepare
    await withClient(database.url, (client) => insertDepartments(client, 1, 3000));
    let firstPoint = 0n;
    let held = false;
    const stream: MemoryChangeStream = new MemoryChangeStream({
      // Hold the first put of re-read rows until a change committed after the re-read point is durable and a
      // watermark has gone out since: without the cap, that watermark would claim the unaccepted rows.
      beforePut: async (events) => {
        const rereadRows = events.some((e) => e.op === 'r' && firstPoint > 0n && BigInt(e.lsn) > firstPoint);
        if (held || !rereadRows) return;
        held = true;
        await withClient(database.url, (client) =>
          client.query(`UPDATE department SET manager = 'New' WHERE department_id < 50`),
        );
        const wal = await currentWal(database.url);
        await waitFor('update durable', () =>
          withClient(database.url, async (c) => (await confirmedFlush(c, database.name)) >= wal),
        );
        const watermarksBefore = stream.events.filter((e) => e.op === 'w').length;
        await waitFor(
          'a later watermark',
          () => stream.events.filter((e) => e.op === 'w').length > watermarksBefore,
        );
      },
    });
    const stateStore = new MemoryStateStore();
    const stop = new AbortController();
    const running = runReader({
      sourceUrl: database.url,
      slot: database.name,
      changeStream: stream,
      stateStore,
      signal: stop.signal,
      watermarkIntervalMs: 20,
      resnapshotPollMs: 20,
      flushBytes: 32 * 1024,
      log: memoryLog().log,
    });
    await waitFor('initial snapshot', () => stateStore.get(TABLE_STATES_KEY));
    firstPoint = BigInt((await tableStates(stateStore)).consistentPoint);

    // Act: another "process" asks for a re-read through the state store while changes keep coming.
    await requestResnapshot(stateStore, ['department']);
    await waitFor('re-read served', async () => (await pendingResnapshots(stateStore)).length === 0);
    await withClient(database.url, (client) => insertDepartments(client, 5000, 3));
    const end = await currentWal(database.url);
    await waitFor('slot to pass the last write', () =>
      withClient(database.url, async (c) => (await confirmedFlush(c, database.name)) >= end),
    );
    stop.abort();
    await running;

    // Assess
    const reread = eventsOf(stream.events, 'department', 'r').filter(
      (event) => BigInt(event.lsn) > firstPoint,
    );
    expect(held).toBe(true);
    expect(reread.length).toBeGreaterThanOrEqual(3000);
    const point = BigInt(reread[0]!.lsn);
    const lastRereadIndex = stream.events.lastIndexOf(reread[reread.length - 1]!);
    const earlyWatermarks = stream.events
      .slice(0, lastRereadIndex)
      .filter((event) => event.op === 'w' && BigInt(event.lsn) >= point);
    expect(earlyWatermarks).toEqual([]);
    expect(
      stream.events.slice(lastRereadIndex).some((event) => event.op === 'w' && BigInt(event.lsn) >= point),
    ).toBe(true);
    expect(asObject(replay(stream.events))).toEqual(asObject(await sourceState(database.url)));
  });

  it('keeps a re-read request made while the reader is completing an earlier one, and serves it', async () => {
    // Prepare: the CLI's request for currency lands in the middle of the reader's bookkeeping for department,
    // the moment a read-modify-write of one shared request document would lose it.
    await withClient(database.url, async (client) => {
      await insertDepartments(client, 1, 50);
      await insertCurrency(client, 1, 'GBP');
    });
    const inner = new MemoryStateStore();
    let firstPoint = 0n;
    let departmentReread = false;
    let interjected = false;
    const nameOf = (key: unknown) => (typeof key === 'string' ? key : (key as { name: string }).name);
    // Right after the reader has read the pending requests (and before it writes back what it served).
    const afterRequestRead = async (key: unknown) => {
      if (!departmentReread || interjected || !nameOf(key).startsWith('reader/resnapshot-requests')) return;
      interjected = true;
      await requestResnapshot(inner, ['currency']);
    };
    const stateStore = {
      async get(key: unknown) {
        const value = await (inner.get as (key: unknown) => Promise<unknown>)(key);
        await afterRequestRead(key);
        return value;
      },
      put: (key: unknown, value: unknown) =>
        (inner.put as (k: unknown, v: unknown) => Promise<void>)(key, value),
      delete: (key: unknown) => (inner.delete as (key: unknown) => Promise<void>)(key),
      async list(prefix: string) {
        const names = await (inner as unknown as { list(prefix: string): Promise<string[]> }).list(prefix);
        await afterRequestRead(prefix);
        return names;
      },
    } as unknown as StateStore;
    const rereadOf = (events: readonly ChangeEvent[], table: 'department' | 'currency') =>
      eventsOf(events, table, 'r').filter((event) => firstPoint > 0n && BigInt(event.lsn) > firstPoint);
    const stream: MemoryChangeStream = new MemoryChangeStream({
      afterPut: () => {
        if (rereadOf(stream.events, 'department').length === 50) departmentReread = true;
      },
    });
    const stop = new AbortController();
    const running = runReader({
      sourceUrl: database.url,
      slot: database.name,
      changeStream: stream,
      stateStore,
      signal: stop.signal,
      resnapshotPollMs: 20,
      log: memoryLog().log,
    });
    await waitFor('initial snapshot', () => inner.get(TABLE_STATES_KEY));
    firstPoint = BigInt((await tableStates(inner)).consistentPoint);

    // Act
    await requestResnapshot(inner, ['department']);
    await waitFor('the department re-read', () => departmentReread);
    await waitFor('the currency re-read', () => rereadOf(stream.events, 'currency').length === 1, 20_000);
    stop.abort();
    await running;

    // Assess
    expect(interjected).toBe(true);
    expect(rereadOf(stream.events, 'currency').map((event) => event.row)).toEqual([
      expect.objectContaining({ currency_id: 1, currency_code: 'GBP' }),
    ]);
  });
});
