import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../core/change-event.ts';
import type { RecordBatchPutter } from '../../core/ports/record-batch-putter.ts';
import { FirehoseChangeStream } from '../../reader/firehose-change-stream.ts';
import { runReader } from '../../reader/reader-loop.ts';
import { METRICS_STATE_KEY } from '../../reader/reader-metrics.ts';
import { ReplicationSession } from '../../reader/replication-source.ts';
import { MemoryChangeStream } from '../../testing/memory-change-stream.ts';
import { MemoryStateStore } from '../../testing/memory-state-store.ts';
import { FaultyRecordPutter, MemoryRecordPutter, serviceUnavailable } from '../../testing/record-putters.ts';
import { createSourceDatabase, type TestDatabase, withClient } from '../support/test-databases.ts';
import {
  asObject,
  confirmedFlush,
  currentWalLsn,
  eventsOf,
  insertCurrency,
  insertDepartments,
  memoryLog,
  primeSlot,
  replay,
  sourceState,
  waitFor,
} from './reader-test-kit.ts';

const quick = { baseDelayMs: 1, maxDelayMs: 5, maxAttempts: 5 };

/** Two transactions whose commits are written back to back: T2's commit record starts where T1's ends. */
async function commitBackToBack(url: string): Promise<void> {
  await withClient(url, (first) =>
    withClient(url, async (second) => {
      await first.query('BEGIN');
      await insertCurrency(first, 101, 'USD');
      await second.query('BEGIN');
      await insertDepartments(second, 201, 1);
      await first.query('COMMIT');
      await second.query('COMMIT');
    }),
  );
}

describe('reader acknowledgements', () => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await createSourceDatabase();
  });
  afterEach(async () => {
    await database.drop();
  });

  it('replays the second of two back-to-back transactions when the connection drops after the first was acknowledged', async () => {
    // Prepare: the slot and snapshot exist; then T1 (currency) and T2 (department) commit back to back.
    const stateStore = new MemoryStateStore();
    const accepted = new MemoryChangeStream();
    const { log } = memoryLog();
    await runReader({
      sourceUrl: database.url,
      slot: database.name,
      changeStream: accepted,
      stateStore,
      stopAtLsn: 'current',
      log,
    });
    await commitBackToBack(database.url);
    let crashed = false;
    const crashing = new MemoryChangeStream({
      // The put of T2 fails only once T1's acknowledgement is visible in the slot: the exact window in which
      // acknowledging T1's end LSN + 1 would make PostgreSQL skip T2 on restart.
      beforePut: async (events) => {
        if (crashed || eventsOf(events, 'department').length === 0) return;
        const t1 = eventsOf(accepted.events, 'currency', 'c')[0]!;
        await waitFor('T1 acknowledged', () =>
          withClient(
            database.url,
            async (client) => (await confirmedFlush(client, database.name)) > BigInt(t1.lsn),
          ),
        );
        crashed = true;
        throw new Error('simulated crash between the put and the acknowledgement');
      },
      afterPut: (events) => {
        for (const event of events) accepted.events.push(event);
      },
    });

    // Act: stream with a one-event flush so T1 and T2 travel in separate puts; the crash forces a reconnect.
    const summary = await runReader({
      sourceUrl: database.url,
      slot: database.name,
      changeStream: crashing,
      stateStore,
      stopAtLsn: 'current',
      flushBytes: 1,
      reconnect: quick,
      log,
    });

    // Assess
    expect(crashed).toBe(true);
    expect(summary.reconnects).toBe(1);
    expect(eventsOf(accepted.events, 'currency', 'c')).toHaveLength(1);
    expect(eventsOf(accepted.events, 'department', 'c')).toHaveLength(1);
    expect(asObject(replay(accepted.events))).toEqual(asObject(await sourceState(database.url)));
  });

  it('sends a change again after a crash between an accepted put and the acknowledgement', async () => {
    const stateStore = new MemoryStateStore();
    const { log } = memoryLog();
    const accepted: ChangeEvent[] = [];
    await primeSlot(database, stateStore, log);
    await withClient(database.url, (client) => insertDepartments(client, 1, 50));
    let crashes = 0;
    const stream = new MemoryChangeStream({
      afterPut: (events) => {
        accepted.push(...events);
        if (crashes === 0 && events.some((event) => event.op !== 'w')) {
          crashes += 1;
          throw new Error('simulated crash after the put, before the acknowledgement');
        }
      },
    });
    const before = await withClient(database.url, (client) => confirmedFlush(client, database.name));

    await runReader({
      sourceUrl: database.url,
      slot: database.name,
      changeStream: stream,
      stateStore,
      stopAtLsn: 'current',
      reconnect: quick,
      log,
    });

    const departments = eventsOf(accepted, 'department', 'c');
    expect(crashes).toBe(1);
    // Every change arrived twice: once before the crash, once replayed; dedupe removes the second copy.
    expect(departments).toHaveLength(100);
    expect(new Set(departments.map((event) => `${event.lsn}|${event.seq}`)).size).toBe(50);
    expect(await withClient(database.url, (client) => confirmedFlush(client, database.name))).toBeGreaterThan(
      before,
    );
    expect(asObject(replay(accepted))).toEqual(asObject(await sourceState(database.url)));
  });

  it('reconnects after the server drops the replication connection and streams on from the slot', async () => {
    // Prepare
    const stream = new MemoryChangeStream();
    const stateStore = new MemoryStateStore();
    const stop = new AbortController();
    const { log } = memoryLog();
    const running = runReader({
      sourceUrl: database.url,
      slot: database.name,
      changeStream: stream,
      stateStore,
      signal: stop.signal,
      watermarkIntervalMs: 20,
      reconnect: quick,
      log,
    });
    // Metrics are persisted only once streaming runs (the snapshot's own replication connection is closed).
    await waitFor('streaming phase', () => stateStore.get(METRICS_STATE_KEY));
    await waitFor('streaming', () =>
      withClient(database.url, async (client) => {
        const result = await client.query(
          'SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active',
          [database.name],
        );
        return result.rowCount === 1;
      }),
    );

    // Act: kill the walsender (as a source restart would), then write.
    await withClient(database.url, (client) =>
      client.query('SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1', [
        database.name,
      ]),
    );
    const wal = await withClient(database.url, async (client) => {
      await insertDepartments(client, 1, 25);
      return await currentWalLsn(client);
    });
    await waitFor('slot past the writes', () =>
      withClient(database.url, async (client) => (await confirmedFlush(client, database.name)) >= wal),
    );
    stop.abort();
    const summary = await running;

    // Assess
    expect(summary.reconnects).toBeGreaterThanOrEqual(1);
    expect(eventsOf(stream.events, 'department', 'c')).toHaveLength(25);
  });

  it('gives up after consecutive sessions without progress and leaves the unshipped change in the slot', async () => {
    const stateStore = new MemoryStateStore();
    const { log } = memoryLog();
    await primeSlot(database, stateStore, log);
    const before = await withClient(database.url, (client) => confirmedFlush(client, database.name));
    await withClient(database.url, (client) => insertCurrency(client, 7, 'JPY'));
    const broken = new MemoryChangeStream({
      beforePut: (events) => {
        if (events.some((event) => event.op === 'c')) throw new Error('stream rejects every record');
      },
    });

    const run = runReader({
      sourceUrl: database.url,
      slot: database.name,
      changeStream: broken,
      stateStore,
      stopAtLsn: 'current',
      reconnect: { ...quick, maxAttempts: 3 },
      log,
    });

    await expect(run).rejects.toThrow(/Gave up after 3 failed reconnects/);
    const after = await withClient(database.url, (client) => confirmedFlush(client, database.name));
    const healthy = new MemoryChangeStream();
    await runReader({
      sourceUrl: database.url,
      slot: database.name,
      changeStream: healthy,
      stateStore,
      stopAtLsn: 'current',
      log,
    });
    expect(after).toBeGreaterThanOrEqual(before);
    expect(eventsOf(healthy.events, 'currency', 'c')).toHaveLength(1);
  });

  it('reconnects session after session without adding a listener to its stop signal for each', async () => {
    // Node warns once more than 10 listeners wait on one AbortSignal: each session used to add one that stayed
    // until the run stopped, so an outage retried for ever (the default budget) grew them without bound.
    const stateStore = new MemoryStateStore();
    const { log } = memoryLog();
    await primeSlot(database, stateStore, log);
    await withClient(database.url, (client) => insertCurrency(client, 7, 'JPY'));
    const broken = new MemoryChangeStream({
      beforePut: (events) => {
        if (events.some((event) => event.op === 'c')) throw new Error('stream rejects every record');
      },
    });
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => {
      if (warning.name === 'MaxListenersExceededWarning') warnings.push(warning);
    };
    process.on('warning', onWarning);
    try {
      const run = runReader({
        sourceUrl: database.url,
        slot: database.name,
        changeStream: broken,
        stateStore,
        stopAtLsn: 'current',
        reconnect: { ...quick, maxAttempts: 15 },
        log,
      });

      await expect(run).rejects.toThrow(/Gave up after 15 failed reconnects/);
      // process.emitWarning emits on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((warning) => warning.message)).toEqual([]);
  });

  it('retries while another process holds the slot (SQLSTATE 55006) and streams once it is free', async () => {
    // Prepare: the slot exists; a change waits; another session holds the slot.
    const stateStore = new MemoryStateStore();
    const { lines, log } = memoryLog();
    await primeSlot(database, stateStore, log);
    await withClient(database.url, (client) => insertCurrency(client, 9, 'CHF'));
    const holder = new ReplicationSession({
      connection: { connectionString: database.url },
      slot: database.name,
      publication: 'totesys_stream',
    });
    const holding = holder.run({
      onMessage: () => new Promise<void>(() => undefined),
      onKeepalive: () => undefined,
    });
    await waitFor('the other session to hold the slot', () =>
      withClient(database.url, async (client) => {
        const result = await client.query(
          'SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active',
          [database.name],
        );
        return result.rowCount === 1;
      }),
    );

    // Act: the reader starts while the slot is busy; the holder lets go after the first refusal.
    const stream = new MemoryChangeStream();
    const running = runReader({
      sourceUrl: database.url,
      slot: database.name,
      changeStream: stream,
      stateStore,
      stopAtLsn: 'current',
      reconnect: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 1000 },
      log,
    });
    await waitFor('a refusal', () => lines.some((line) => String(line.error).includes('is active')));
    await holder.stop();
    await holding.catch(() => undefined);
    const summary = await running;

    // Assess
    expect(summary.reconnects).toBeGreaterThanOrEqual(1);
    expect(eventsOf(stream.events, 'currency', 'c')).toHaveLength(1);
  });

  it('loses nothing when the crash comes before the put', async () => {
    const stateStore = new MemoryStateStore();
    const { log } = memoryLog();
    await primeSlot(database, stateStore, log);
    await withClient(database.url, async (client) => {
      await insertDepartments(client, 1, 10);
      await insertCurrency(client, 1, 'EUR');
    });
    let failures = 0;
    const stream = new MemoryChangeStream({
      beforePut: (events) => {
        if (failures < 2 && events.some((event) => event.op !== 'w')) {
          failures += 1;
          throw new Error('simulated crash before the put');
        }
      },
    });

    const summary = await runReader({
      sourceUrl: database.url,
      slot: database.name,
      changeStream: stream,
      stateStore,
      stopAtLsn: 'current',
      reconnect: quick,
      log,
    });

    expect(summary.reconnects).toBe(2);
    expect(eventsOf(stream.events, 'department', 'c')).toHaveLength(10);
    expect(eventsOf(stream.events, 'currency', 'c')).toHaveLength(1);
  });

  it('retries failed entries and throttled calls, holds the acknowledgement until they are accepted, and loses nothing', async () => {
    // Prepare: every third call fails its first two records, every fifth call is throttled outright, and the
    // calls carrying updates wait at a gate the test opens.
    const stateStore = new MemoryStateStore();
    const { log } = memoryLog();
    const inner = new MemoryRecordPutter();
    // Among the calls carrying updates: the 1st and 2nd fail their first two records, the 3rd is throttled.
    let updateCalls = 0;
    const faulty = new FaultyRecordPutter(inner, (input) => {
      if (!input.Records.some((record) => Buffer.from(record.Data).includes('"op":"u"'))) return undefined;
      updateCalls += 1;
      if (updateCalls <= 2) return { kind: 'fail-entries', indexes: [0, 1] };
      return updateCalls === 3 ? { kind: 'throw', error: serviceUnavailable() } : undefined;
    });
    let openGate: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
    let updatesWaiting = false;
    const gated: RecordBatchPutter = {
      putRecordBatch: async (input) => {
        if (input.Records.some((record) => Buffer.from(record.Data).includes('"op":"u"'))) {
          updatesWaiting = true;
          await gate;
        }
        return faulty.putRecordBatch(input);
      },
    };
    const stream = new FirehoseChangeStream({
      putter: gated,
      recordTargetBytes: 2048,
      retry: { maxAttempts: 10, baseDelayMs: 0, maxDelayMs: 0 },
    });
    await withClient(database.url, (client) => insertDepartments(client, 1, 300));
    await runReader({
      sourceUrl: database.url,
      slot: database.name,
      changeStream: stream,
      stateStore,
      stopAtLsn: 'current',
      log,
    });
    const walAfterUpdates = await withClient(database.url, async (client) => {
      for (let i = 0; i < 30; i++) {
        await client.query(`UPDATE department SET manager = 'M' || $1 WHERE department_id % 30 = $1`, [i]);
      }
      return await currentWalLsn(client);
    });

    // Act: stream the 300 updates (30 transactions); check the slot while their puts are held at the gate.
    const running = runReader({
      sourceUrl: database.url,
      slot: database.name,
      changeStream: stream,
      stateStore,
      stopAtLsn: 'current',
      log,
    });
    await waitFor('update puts to reach the gate', () => updatesWaiting);
    const confirmedWhileHeld = await withClient(database.url, (client) =>
      confirmedFlush(client, database.name),
    );
    openGate();
    const summary = await running;

    // Assess: decode what the putter accepted, exactly as Firehose would hand it on.
    const accepted = [...inner.records.values()]
      .flat()
      .flatMap((data) => Buffer.from(data).toString('utf8').split('\n').filter(Boolean))
      .map((line) => JSON.parse(line) as ChangeEvent);
    expect(confirmedWhileHeld).toBeLessThan(walAfterUpdates);
    expect(faulty.failedEntries).toBeGreaterThan(0);
    expect(faulty.thrownCalls).toBeGreaterThan(0);
    expect(summary.putRetries).toBeGreaterThan(0);
    expect(eventsOf(accepted, 'department', 'u')).toHaveLength(300);
    expect(asObject(replay(accepted))).toEqual(asObject(await sourceState(database.url)));
    expect(
      await withClient(database.url, (client) => confirmedFlush(client, database.name)),
    ).toBeGreaterThanOrEqual(walAfterUpdates);
  });
});
