import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { QueryEngine, QueryParameter, QueryResult } from '../../core/ports/query-engine.ts';
import { LAKE_TABLE_NAMES } from '../../core/schema/lake-tables.ts';
import { runLoad } from '../../loader/run-load.ts';
import { SMALL_WORLD, T0, watermarks, writeLake, writeLakeFiles } from './lake-fixtures.ts';
import { dumpWarehouse, type LoaderHarness, openLoaderHarness } from './loader-harness.ts';

let harness: LoaderHarness;

beforeEach(async () => {
  harness = await openLoaderHarness();
});

afterEach(async () => {
  await harness.close();
});

/** The real engine, counting the window reads open at once; `failing` makes statements holding it reject. */
function watchedEngine(engine: QueryEngine, failing?: string) {
  const seen = { open: 0, mostOpen: 0, windows: 0 };
  async function* counted<T>(batches: AsyncIterable<T>): AsyncGenerator<T> {
    seen.windows++;
    seen.open++;
    seen.mostOpen = Math.max(seen.mostOpen, seen.open);
    try {
      yield* batches;
    } finally {
      seen.open--;
    }
  }
  const watched: QueryEngine = {
    capabilities: engine.capabilities,
    async query(sql: string, parameters?: readonly QueryParameter[]): Promise<QueryResult> {
      if (failing !== undefined && sql.includes(failing)) throw new Error('the lake is unreadable here');
      return engine.query(sql, parameters);
    },
    queryBatches: (sql, parameters, batchRows) => counted(engine.queryBatches(sql, parameters, batchRows)),
    // The loader reads its windows as records (core/ports/query-engine.ts, Lines).
    queryLines: (sql, parameters, batchRows) => counted(engine.queryLines(sql, parameters, batchRows)),
    close: () => engine.close(),
  };
  return { watched, seen };
}

describe('loader read-ahead', () => {
  it("reads the next table's window while the warehouse stages one, never two ahead, and loads the same rows", async () => {
    await writeLake(harness.lakeDir, [...SMALL_WORLD, ...watermarks(150n, T0)]);
    const { watched, seen } = watchedEngine(harness.engine);

    const outcome = await runLoad({
      engine: watched,
      warehouse: harness.warehouse,
      queries: harness.queries,
      roundLog: harness.roundLog,
    });

    expect(outcome).toMatchObject({ status: 'loaded', toCut: { lsn: '150' } });
    // Ten star tables read, two at a time at most: the one staged and the one read ahead.
    expect(seen.windows).toBe(10);
    expect(seen.mostOpen).toBe(2);
    const dump = await dumpWarehouse(harness.database.url);
    expect(dump['dim_staff']).toHaveLength(2);
    expect(dump['fact_payment']).toHaveLength(1);
    expect(dump['cut']).toEqual([{ lsn: '150', commit_ts: expect.any(Date) }]);
  });

  it('rolls the load back when the round check read beside it fails, leaving no window read open', async () => {
    // A round that counted the changes it put (the reader's), so the run checks the lake holds them.
    await writeLakeFiles(harness.lakeDir, [...SMALL_WORLD, ...watermarks(150n, T0)]);
    await harness.roundLog.append({
      lsn: '150',
      previousLsn: null,
      emittedAt: T0,
      partitions: Object.fromEntries(LAKE_TABLE_NAMES.map((table) => [table, ['2022-11-03']])),
      records: { fact_payment: { '2022-11-03': 1 } },
    });
    const { watched, seen } = watchedEngine(harness.engine, 'count(DISTINCT _seq)');

    await expect(
      runLoad({
        engine: watched,
        warehouse: harness.warehouse,
        queries: harness.queries,
        roundLog: harness.roundLog,
      }),
    ).rejects.toThrow('the lake is unreadable here');

    expect(await harness.warehouse.currentCut()).toBeNull();
    expect(seen.open).toBe(0);
    // The next run, with the lake readable again, loads everything.
    expect(await harness.load()).toMatchObject({ status: 'loaded', toCut: { lsn: '150' } });
  });
});
