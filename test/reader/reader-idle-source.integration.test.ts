import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runReader } from '../../reader/reader-loop.ts';
import { METRICS_STATE_KEY, type ReaderMetricsSnapshot } from '../../reader/reader-metrics.ts';
import { MemoryChangeStream } from '../../testing/memory-change-stream.ts';
import { MemoryStateStore } from '../../testing/memory-state-store.ts';
import {
  createSourceDatabase,
  createTestDatabase,
  type TestDatabase,
  withClient,
} from '../support/test-databases.ts';
import { confirmedFlush, currentWalLsn, memoryLog, waitFor } from './reader-test-kit.ts';

describe('reader on an idle source', () => {
  let source: TestDatabase;
  let other: TestDatabase;
  beforeEach(async () => {
    source = await createSourceDatabase();
    other = await createTestDatabase('churn');
    await withClient(other.url, (client) =>
      client.query('CREATE TABLE noise (id serial PRIMARY KEY, payload text)'),
    );
  });
  afterEach(async () => {
    await source.drop();
    await other.drop();
  });

  it('advances the slot while only another database in the cluster is written', async () => {
    // Prepare: a streaming reader with the heartbeat effectively off, so only keepalives can move the slot.
    const stop = new AbortController();
    const stream = new MemoryChangeStream();
    const running = runReader({
      sourceUrl: source.url,
      slot: source.name,
      changeStream: stream,
      stateStore: new MemoryStateStore(),
      signal: stop.signal,
      heartbeatIntervalMs: 3_600_000,
      log: memoryLog().log,
    });
    await waitFor('slot created', () =>
      withClient(source.url, async (c) => (await confirmedFlush(c, source.name)) > 0n),
    );
    const before = await withClient(source.url, (c) => confirmedFlush(c, source.name));

    // Act: churn the other database.
    const target = await withClient(other.url, async (client) => {
      for (let i = 0; i < 50; i++)
        await client.query(
          `INSERT INTO noise (payload) SELECT repeat('x', 1000) FROM generate_series(1, 20)`,
        );
      return await currentWalLsn(client);
    });

    // Assess: the slot reaches the WAL written by the other database although no event was shipped.
    await waitFor('slot to advance past the churn', () =>
      withClient(source.url, async (c) => (await confirmedFlush(c, source.name)) >= target),
    );
    stop.abort();
    const summary = await running;
    expect(target).toBeGreaterThan(before);
    expect(stream.events.filter((event) => event.op !== 'w' && event.op !== 'r')).toEqual([]);
    expect(BigInt(summary.durableLsn)).toBeGreaterThanOrEqual(target);
  });

  it('emits heartbeats through the slot so it advances on a quiet source', async () => {
    const stop = new AbortController();
    const stateStore = new MemoryStateStore();
    const running = runReader({
      sourceUrl: source.url,
      slot: source.name,
      changeStream: new MemoryChangeStream(),
      stateStore,
      signal: stop.signal,
      heartbeatIntervalMs: 20,
      watermarkIntervalMs: 20,
      log: memoryLog().log,
    });
    await waitFor('slot created', () =>
      withClient(source.url, async (c) => (await confirmedFlush(c, source.name)) > 0n),
    );
    const before = await withClient(source.url, (c) => confirmedFlush(c, source.name));

    // Each heartbeat is a transaction of our database that the slot decodes (a logical message, no events).
    await waitFor('heartbeat transactions decoded', async () => {
      const metrics = await stateStore.get<ReaderMetricsSnapshot>(METRICS_STATE_KEY);
      return (metrics?.transactions ?? 0) >= 3;
    });
    stop.abort();
    const summary = await running;

    expect(summary.transactions).toBeGreaterThanOrEqual(3);
    expect(await withClient(source.url, (c) => confirmedFlush(c, source.name))).toBeGreaterThan(before);
  });
});
