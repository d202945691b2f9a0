import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../core/change-event.ts';
import { LAKE_TABLE_NAMES } from '../../core/schema/lake-tables.ts';
import { ObjectStoreRoundLog } from '../../lake/object-store-round-log.ts';
import { ROUNDS_STATE_KEY, WatermarkRounds } from '../../reader/watermark-rounds.ts';
import { MemoryChangeStream } from '../../testing/memory-change-stream.ts';
import { MemoryStateStore } from '../../testing/memory-state-store.ts';
import { MemoryObjectStore } from '../firehose/firehose-fixtures.ts';

const EMITTED = '2026-01-02T00:00:05.000Z';

function change(table: 'sales_order' | 'currency', lsn: number, commitTs: string): ChangeEvent {
  const key: Record<string, number> = { [table === 'sales_order' ? 'sales_order_id' : 'currency_id']: lsn };
  return { table, op: 'c', key, row: key, lsn: String(lsn), seq: 0, xid: lsn, commit_ts: commitTs };
}

function world() {
  const stream = new MemoryChangeStream();
  const stateStore = new MemoryStateStore();
  const log = new ObjectStoreRoundLog(new MemoryObjectStore());
  const rounds = new WatermarkRounds({ stream, stateStore, roundLog: log, now: () => new Date(EMITTED) });
  const watermarks = () =>
    stream.events.filter((e) => e.op === 'w').map((e) => `${e.table}@${(e as { dt?: string }).dt}:${e.lsn}`);
  return { stream, stateStore, log, rounds, watermarks };
}

describe('watermark rounds', () => {
  it('puts a watermark only into the partitions that received changes, and records the round', async () => {
    // Prepare
    const { rounds, log, watermarks } = world();
    await rounds.start();
    await rounds.put([
      change('sales_order', 100, '2026-01-01T23:59:59.000Z'),
      change('sales_order', 110, '2026-01-02T00:00:01.000Z'),
    ]);

    // Act
    expect(await rounds.closeRound(200n)).toBe('round');

    // Assess: both days of sales_order, nothing for the ten other streams.
    expect(watermarks().sort()).toEqual(['sales_order@2026-01-01:200', 'sales_order@2026-01-02:200']);
    expect((await log.read()).rounds).toEqual([
      {
        lsn: '200',
        previousLsn: null,
        emittedAt: EMITTED,
        partitions: { fact_sales_order: ['2026-01-01', '2026-01-02'] },
        records: { fact_sales_order: { '2026-01-01': 1, '2026-01-02': 1 } },
      },
    ]);
  });

  it('counts each partition’s distinct changes up to the round, a transaction sent again once', async () => {
    const { rounds, log } = world();
    await rounds.start();
    const transaction = [0, 1, 2].map((seq) => ({ ...change('sales_order', 100, EMITTED), seq }));
    await rounds.put(transaction.slice(0, 2));
    // Sent again from its start after a reconnect, then to its end.
    await rounds.put(transaction);
    await rounds.put([change('sales_order', 300, EMITTED)]);

    await rounds.closeRound(200n);
    await rounds.closeRound(300n);

    expect((await log.read()).rounds.map((round) => round.records)).toEqual([
      { fact_sales_order: { '2026-01-02': 3 } },
      { fact_sales_order: { '2026-01-02': 1 } },
    ]);
  });

  it('keeps a change above the round for the next round, and chains the rounds', async () => {
    const { rounds, log, watermarks } = world();
    await rounds.start();
    await rounds.put([change('sales_order', 100, EMITTED), change('currency', 300, EMITTED)]);
    await rounds.closeRound(200n);
    expect(watermarks()).toEqual(['sales_order@2026-01-02:200']);
    await rounds.closeRound(300n);
    expect(watermarks()).toEqual(['sales_order@2026-01-02:200', 'currency@2026-01-02:300']);
    expect((await log.read()).rounds.map((r) => [r.lsn, r.previousLsn])).toEqual([
      ['200', null],
      ['300', '200'],
    ]);
  });

  it('puts nothing on an idle source, only moving the quiet mark (one document)', async () => {
    const { rounds, log, stream } = world();
    await rounds.start();
    await rounds.put([change('currency', 100, EMITTED)]);
    await rounds.closeRound(150n);
    const puts = stream.events.length;

    expect(await rounds.closeRound(400n)).toBe('quiet');
    expect(await rounds.closeRound(400n)).toBe('nothing');
    expect(await rounds.closeRound(500n)).toBe('quiet');

    expect(stream.events).toHaveLength(puts);
    expect((await log.read()).quiet).toEqual({ lsn: '500', afterRoundLsn: '150', emittedAt: EMITTED });
  });

  it('has the days of unrecorded changes durable before a put resolves, and forgets them once recorded', async () => {
    const { rounds, stateStore } = world();
    await rounds.start();
    await rounds.put([change('currency', 100, '2026-01-01T10:00:00.000Z')]);
    expect(await stateStore.get(ROUNDS_STATE_KEY)).toEqual({
      lastRoundLsn: null,
      open: { fromDt: '2026-01-01', toDt: '2026-01-01' },
    });
    await rounds.put([change('currency', 101, '2026-01-02T10:00:00.000Z')]);
    expect((await stateStore.get(ROUNDS_STATE_KEY))?.open).toEqual({
      fromDt: '2026-01-01',
      toDt: '2026-01-02',
    });
    await rounds.closeRound(200n);
    expect(await stateStore.get(ROUNDS_STATE_KEY)).toEqual({ lastRoundLsn: '200', open: null });
  });

  it('after a run that stopped with unrecorded changes, starts with a watermark in every table for those days', async () => {
    // Prepare: a first run puts changes of two days and stops before any round.
    const first = world();
    await first.rounds.start();
    await first.rounds.put([change('currency', 100, '2026-01-01T10:00:00.000Z')]);
    await first.rounds.put([change('currency', 101, '2026-01-02T10:00:00.000Z')]);

    // Act: the next run, over the same state and log, has nothing of its own to put.
    const stream = new MemoryChangeStream();
    const next = new WatermarkRounds({
      stream,
      stateStore: first.stateStore,
      roundLog: first.log,
      now: () => new Date(EMITTED),
    });
    await next.start();
    await next.closeRound(300n);

    // Assess: 11 tables × 2 days, recorded as one round.
    expect(stream.events.filter((e) => e.op === 'w')).toHaveLength(22);
    const [round] = (await first.log.read()).rounds;
    expect(Object.keys(round?.partitions ?? {}).sort()).toEqual([...LAKE_TABLE_NAMES].sort());
    expect(round?.partitions.dim_design).toEqual(['2026-01-01', '2026-01-02']);
    expect(await first.stateStore.get(ROUNDS_STATE_KEY)).toEqual({
      lastRoundLsn: '300',
      open: null,
    });
  });

  it('without a round log, puts a watermark into every stream each round, as consumers of watermarks expect', async () => {
    const stream = new MemoryChangeStream();
    const rounds = new WatermarkRounds({ stream, stateStore: new MemoryStateStore() });
    await rounds.start();
    await rounds.closeRound(100n);
    expect(new Set(stream.events.filter((e) => e.op === 'w').map((e) => e.table)).size).toBe(11);
  });
});
