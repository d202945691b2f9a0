import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReaderSummary } from '../../reader/reader-loop.ts';
import { runReader } from '../../reader/reader-loop.ts';
import { ManualClock } from '../../testing/manual-clock.ts';
import { MemoryChangeStream } from '../../testing/memory-change-stream.ts';
import { MemoryStateStore } from '../../testing/memory-state-store.ts';
import { createSourceDatabase, type TestDatabase, withClient } from '../support/test-databases.ts';
import {
  confirmedFlush,
  eventsOf,
  insertCurrency,
  memoryLog,
  primeSlot,
  waitFor,
} from './reader-test-kit.ts';

/** Sleeps of a streaming reader: the budget, the heartbeat, the watermarks, the re-read polls, the statuses. */
const STREAMING_SLEEPS = 5;

describe('the reader on an injected clock', () => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await createSourceDatabase();
  });
  afterEach(async () => {
    await database.drop();
  });

  it('spends its budget on the clock it is given, not the wall clock', async () => {
    // Prepare
    const stateStore = new MemoryStateStore();
    await primeSlot(database, stateStore, memoryLog().log);
    const clock = new ManualClock();
    let summary: ReaderSummary | undefined;

    // Act: a one-minute budget; the wall clock moves on while the manual one stands still, then moves.
    const running = runReader({
      sourceUrl: database.url,
      slot: database.name,
      changeStream: new MemoryChangeStream(),
      stateStore,
      budgetMs: 60_000,
      clock,
      log: memoryLog().log,
    }).then((result) => {
      summary = result;
    });
    await waitFor('the reader streaming', () => clock.sleeping >= STREAMING_SLEEPS);
    await withClient(database.url, (client) => insertCurrency(client, 1, 'GBP'));
    await waitFor('the change acknowledged', async () =>
      withClient(database.url, async (client) => (await confirmedFlush(client, database.name)) > 0n),
    );
    await clock.advance(59_999);
    const beforeTheEnd = summary;
    await clock.advance(1);
    await running;

    // Assess
    expect(beforeTheEnd).toBeUndefined();
    expect(summary).toMatchObject({ stoppedBy: 'budget', elapsedMs: 60_000 });
  });

  it('puts watermarks on the clock’s cadence, stamped with its time', async () => {
    // Prepare
    const stateStore = new MemoryStateStore();
    await primeSlot(database, stateStore, memoryLog().log);
    const clock = new ManualClock(Date.parse('2026-03-04T05:06:07.008Z'));
    const stream = new MemoryChangeStream();
    const stop = new AbortController();

    // Act: a 50 ms cadence that the wall clock would have run many times while a change is shipped.
    const running = runReader({
      sourceUrl: database.url,
      slot: database.name,
      changeStream: stream,
      stateStore,
      signal: stop.signal,
      watermarkIntervalMs: 50,
      clock,
      log: memoryLog().log,
    });
    await waitFor('the reader streaming', () => clock.sleeping >= STREAMING_SLEEPS - 1);
    await withClient(database.url, (client) => insertCurrency(client, 1, 'GBP'));
    await waitFor('the change shipped', () => eventsOf(stream.events, 'currency', 'c').length === 1);
    const watermarksBefore = eventsOf(stream.events, 'currency', 'w').length;
    await clock.advance(50);
    await waitFor('a watermark', () => eventsOf(stream.events, 'currency', 'w').length > 0);
    stop.abort();
    await running;

    // Assess: one from the cadence, one closing the run; both at the manual clock's time.
    expect(watermarksBefore).toBe(0);
    const marks = eventsOf(stream.events, 'currency', 'w');
    expect(marks).toHaveLength(2);
    expect(marks.map((mark) => mark.commit_ts)).toEqual([
      '2026-03-04T05:06:07.058Z',
      '2026-03-04T05:06:07.058Z',
    ]);
  });

  it('waits out its reconnect backoff on the clock it is given', async () => {
    // Prepare: the first put of the change fails; the backoff before the next session is a long one.
    const stateStore = new MemoryStateStore();
    await primeSlot(database, stateStore, memoryLog().log);
    const clock = new ManualClock();
    let refused = false;
    const stream = new MemoryChangeStream({
      beforePut: (events) => {
        if (refused || eventsOf(events, 'currency', 'c').length === 0) return;
        refused = true;
        throw new Error('simulated put failure');
      },
    });
    const { lines, log } = memoryLog();
    const stop = new AbortController();

    // Act
    const running = runReader({
      sourceUrl: database.url,
      slot: database.name,
      changeStream: stream,
      stateStore,
      signal: stop.signal,
      reconnect: { baseDelayMs: 60_000, maxDelayMs: 60_000, maxAttempts: 3 },
      clock,
      log,
    });
    await waitFor('the reader streaming', () => clock.sleeping >= STREAMING_SLEEPS - 1);
    await withClient(database.url, (client) => insertCurrency(client, 1, 'GBP'));
    await waitFor('the session to fail', () =>
      lines.some((line) => line.message === 'replication interrupted; reconnecting'),
    );
    const shippedDuringBackoff = eventsOf(stream.events, 'currency', 'c').length;
    await clock.advance(60_000);
    await waitFor(
      'the change shipped after the backoff',
      () => eventsOf(stream.events, 'currency', 'c').length === 1,
    );
    stop.abort();
    const summary = await running;

    // Assess
    expect(shippedDuringBackoff).toBe(0);
    expect(summary.reconnects).toBe(1);
  });
});
