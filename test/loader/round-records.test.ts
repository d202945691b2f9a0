import { describe, expect, it } from 'vitest';
import type { QueryEngine, QueryParameter } from '../../core/ports/query-engine.ts';
import type { WatermarkRound } from '../../core/ports/round-log.ts';
import { readLoaderQuery } from '../../loader/loader-queries.ts';
import { changeBound, missingRoundRecords } from '../../loader/round-records.ts';

const round = (lsn: number, previous: number | null, records: WatermarkRound['records']): WatermarkRound => ({
  lsn: String(lsn),
  previousLsn: previous === null ? null : String(previous),
  emittedAt: '2026-01-02T00:00:05.000Z',
  partitions: {},
  ...(records ? { records } : {}),
});

/** An engine answering the round-records query with fixed rows, keeping the parameters it was given. */
function engineWith(rows: [string, string, number, number][]) {
  const calls: (readonly QueryParameter[])[] = [];
  const engine: QueryEngine = {
    capabilities: {},
    query: async (_sql, parameters) => {
      calls.push(parameters ?? []);
      return {
        columns: ['lake_table', 'dt', 'lsn', 'records'],
        rows: rows.map(([table, dt, lsn, records]) => [table, dt, String(lsn), String(records)]),
      };
    },
    queryBatches: () => {
      throw new Error('the round records are read whole');
    },
    queryLines: () => {
      throw new Error('the round records are read whole');
    },
    close: async () => undefined,
  };
  return { engine, calls };
}

describe('the records of the rounds a cut passes', () => {
  it('name each partition holding fewer distinct changes in its round’s range than the reader put there', async () => {
    const { engine } = engineWith([
      ['fact_sales_order', '2026-01-02', 150, 2],
      ['fact_sales_order', '2026-01-02', 250, 4],
      ['dim_currency', '2026-01-02', 180, 1],
    ]);
    const rounds = [
      round(200, 100, { fact_sales_order: { '2026-01-02': 3 }, dim_currency: { '2026-01-02': 1 } }),
      round(300, 200, { fact_sales_order: { '2026-01-02': 4 } }),
      // Uncounted (owed after a crash), and one whose predecessor is below the cut: neither is judged.
      round(400, 300, undefined),
      round(500, 50, { dim_currency: { '2026-01-02': 9 } }),
    ];

    const missing = await missingRoundRecords(engine, await readLoaderQuery('round_records'), rounds, 100n);

    expect(missing).toEqual([
      {
        table: 'fact_sales_order',
        dt: '2026-01-02',
        roundLsn: '200',
        afterLsn: '100',
        expected: 3,
        found: 2,
      },
    ]);
  });

  it('asks nothing of the engine when no round was counted', async () => {
    const { engine, calls } = engineWith([]);

    expect(
      await missingRoundRecords(
        engine,
        await readLoaderQuery('round_records'),
        [round(200, 100, undefined)],
        100n,
      ),
    ).toEqual([]);
    expect(calls).toEqual([]);
  });
});

describe('the bound the round records put on a window', () => {
  const named = (
    lsn: number,
    previous: number | null,
    days: string[],
    records: Record<string, number> | undefined,
  ): WatermarkRound => ({
    ...round(lsn, previous, records === undefined ? undefined : { fact_payment: records }),
    partitions: { fact_payment: days },
  });

  it('sums the counts of every partition each round named, over the rounds the cut passes', () => {
    const rounds = [
      named(150, 100, ['2026-01-01', '2026-01-02'], { '2026-01-01': 2, '2026-01-02': 3 }),
      { ...round(180, 150, undefined), partitions: { dim_currency: ['2026-01-02'] } },
      named(200, 180, ['2026-01-02'], { '2026-01-02': 4 }),
    ];
    expect(changeBound(rounds, 100n, ['fact_payment'])).toBe(9);
    // A table no round named had no change.
    expect(changeBound(rounds, 100n, ['fact_sales_order'])).toBe(0);
  });

  it('says nothing when a round did not count a partition it named, has no records, or leaves a gap', () => {
    const counted = named(200, 150, ['2026-01-02'], { '2026-01-02': 4 });
    expect(
      changeBound([named(150, 100, ['2026-01-01', '2026-01-02'], { '2026-01-01': 2 }), counted], 100n, [
        'fact_payment',
      ]),
    ).toBeUndefined();
    expect(
      changeBound([named(150, 100, ['2026-01-01'], undefined), counted], 100n, ['fact_payment']),
    ).toBeUndefined();
    // The first round's predecessor above the previous cut: changes in (100, 120] went uncounted.
    expect(
      changeBound([named(150, 120, ['2026-01-01'], { '2026-01-01': 2 }), counted], 100n, ['fact_payment']),
    ).toBeUndefined();
    expect(changeBound([], 100n, ['fact_payment'])).toBeUndefined();
  });
});
