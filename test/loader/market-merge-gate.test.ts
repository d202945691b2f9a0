import { describe, expect, it } from 'vitest';
import type { MarketWarehouse } from '../../core/ports/market-warehouse.ts';
import type { QueryEngine } from '../../core/ports/query-engine.ts';
import { MARKET_MERGE_RETRY_MS, MarketMergeGate } from '../../loader/market-merge.ts';
import { ManualClock } from '../../testing/manual-clock.ts';
import { MemoryObjectStore } from '../../testing/memory-object-store.ts';
import { memoryLog } from '../../testing/memory-operations.ts';

/** An engine whose every query fails while `broken` is set (a corrupt market object, say), counting its calls. */
function failingEngine() {
  const state = { broken: true, queries: 0 };
  const engine: QueryEngine = {
    capabilities: {},
    query: async () => {
      state.queries++;
      if (state.broken) throw new Error('Invalid Parquet file fx_rate/dt=2026-12-01/a.parquet');
      return { columns: [], rows: [] };
    },
    queryBatches: () => {
      throw new Error('the market merge reads with query');
    },
    queryLines: () => {
      throw new Error('the market merge reads with query');
    },
    close: async () => undefined,
  };
  return { engine, state };
}

const warehouse: MarketWarehouse = {
  mergeObservations: async (rows) => rows.rows.length,
  newestFetch: async () => null,
};

describe('MarketMergeGate after a failed merge', () => {
  it('waits a minute over the same lake, retries at once when the lake changed, and logs each attempt once', async () => {
    // Prepare: one market object; every read of the market tables fails.
    const lake = new MemoryObjectStore();
    await lake.put('fx_rate/dt=2026-12-01/a.parquet', new Uint8Array([1]));
    const { engine, state } = failingEngine();
    const clock = new ManualClock();
    const gate = new MarketMergeGate({ engine, warehouse, lake, clock });
    const { entries, log } = memoryLog();
    const failures = () => entries.filter((e) => e.message.startsWith('market merge failed')).length;

    // Act and assess: the failure is reported once; runs inside the minute over the same lake read nothing.
    expect(await gate.mergeIfLakeChanged(log)).toMatchObject({ status: 'failed' });
    const queriesAfterFailure = state.queries;
    for (let run = 0; run < 5; run++) {
      await clock.advance(1_000);
      expect(await gate.mergeIfLakeChanged(log)).toMatchObject({ status: 'waiting' });
    }
    expect(state.queries).toBe(queriesAfterFailure);
    expect(failures()).toBe(1);

    // A market object that comes (or goes) is tried at once.
    await lake.put('fx_rate/dt=2026-12-01/b.parquet', new Uint8Array([2]));
    expect(await gate.mergeIfLakeChanged(log)).toMatchObject({ status: 'failed' });
    expect(failures()).toBe(2);

    // Over the same lake again, the minute counts from the latest failure; once fixed, the retry merges.
    state.broken = false;
    await clock.advance(MARKET_MERGE_RETRY_MS - 1);
    expect(await gate.mergeIfLakeChanged(log)).toMatchObject({ status: 'waiting' });
    await clock.advance(1);
    expect(await gate.mergeIfLakeChanged(log)).toMatchObject({ status: 'merged' });
    expect(await gate.mergeIfLakeChanged(log)).toMatchObject({ status: 'unchanged' });
    expect(failures()).toBe(2);
  });
});
