import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { METRICS } from '../../core/operations.ts';
import { errorChain } from '../../core/ports/log.ts';
import type { QueryEngine } from '../../core/ports/query-engine.ts';
import { lakeColumns } from '../../core/schema/lake-tables.ts';
import { MARKET_LAKE_TABLES } from '../../core/schema/market-lake-tables.ts';
import { createMarketStep, readLoaderConfig } from '../../functions/loader/config.ts';
import { createHandler } from '../../functions/loader/handler.ts';
import { FsObjectStore } from '../../lake/fs-object-store.ts';
import { parseJsonRow } from '../../lake/lake-value.ts';
import { writeLakeParquet } from '../../lake/parquet-writer.ts';
import { MARKET_MERGE_RETRY_MS } from '../../loader/market-merge.ts';
import { ManualClock } from '../../testing/manual-clock.ts';
import { MemoryLeaseStore } from '../../testing/memory-lease-store.ts';
import { memoryLog, memoryMetrics } from '../../testing/memory-operations.ts';
import { withClient } from '../support/test-databases.ts';
import { BUCKET, ROWS, T0, watermarks, writeLake } from './lake-fixtures.ts';
import { type LoaderHarness, openLoaderHarness, warehouseRows } from './loader-harness.ts';

const CONTEXT = { awsRequestId: 'market-request', getRemainingTimeInMillis: () => 300_000 };
const FX = MARKET_LAKE_TABLES.fx_rate;

let harness: LoaderHarness;
let closeMarket: () => Promise<void> = async () => undefined;

beforeEach(async () => {
  harness = await openLoaderHarness();
});

afterEach(async () => {
  await closeMarket();
  await harness.close();
});

/** One fx_rate object in the lake, as the fx delivery stream writes it into the `dt` of its fetch day. */
async function putFxObject(
  store: FsObjectStore,
  name: string,
  rows: readonly { day: string; quote: string; rate: string; fetchedAt: string }[],
): Promise<void> {
  const parsed = rows.map((row) =>
    parseJsonRow(lakeColumns(FX), {
      rate_date: row.day,
      base_currency: 'GBP',
      quote_currency: row.quote,
      rate: row.rate,
      source: 'frankfurter',
      fetched_at: row.fetchedAt,
    }),
  );
  await store.put(
    `fx_rate/dt=${rows[0]!.fetchedAt.slice(0, 10)}/${name}.parquet`,
    writeLakeParquet(FX, parsed),
  );
}

/** A star change with its round, the handler, and one fx_rate object of `quote` at `rate` on 2026-11-30. */
async function starAndOneRate(quote: string, rate: string) {
  await writeLake(harness.lakeDir, [
    { table: 'dim_design', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.design(1) },
    ...watermarks(150n, T0),
  ]);
  const prepared = await marketHandler({ TOTESYS_WAREHOUSE_URL: harness.database.url }, harness.engine);
  await putFxObject(prepared.store, 'fx-1', [
    { day: '2026-11-30', quote, rate, fetchedAt: '2026-11-30 16:30:00.000' },
  ]);
  return prepared;
}

/** The engine, counting the statements that read a market table (the merge's reads). */
function countingMarketReads(engine: QueryEngine): { engine: QueryEngine; reads: () => number } {
  let reads = 0;
  const counts = (sql: string) => {
    if (/FROM (fx_rate|market_price|economic_observation)\b/.test(sql)) reads++;
  };
  return {
    reads: () => reads,
    engine: {
      capabilities: engine.capabilities,
      query: (sql, parameters) => {
        counts(sql);
        return engine.query(sql, parameters);
      },
      queryBatches: (sql, parameters, batchRows) => {
        counts(sql);
        return engine.queryBatches(sql, parameters, batchRows);
      },
      queryLines: (sql, parameters, batchRows) => {
        counts(sql);
        return engine.queryLines(sql, parameters, batchRows);
      },
      close: () => engine.close(),
    },
  };
}

/** The Lambda's handler over the harness's star adapters and the market step built from the loader config. */
async function marketHandler(env: Record<string, string>, engine: QueryEngine) {
  const clock = new ManualClock();
  const store = new FsObjectStore(harness.lakeDir, BUCKET);
  const config = await readLoaderConfig({
    TOTESYS_ATHENA_WORKGROUP: 'wg',
    TOTESYS_DB_TLS: 'disable',
    TOTESYS_LAKE_BUCKET: BUCKET,
    ...env,
  });
  const market = createMarketStep(config, { engine, lake: store, clock });
  closeMarket = market.close;
  const { entries, log } = memoryLog();
  const { points, metrics } = memoryMetrics();
  const handler = createHandler(
    async () => ({
      engine: harness.engine,
      warehouse: harness.warehouse,
      queries: harness.queries,
      roundLog: harness.roundLog,
      market: market.gate,
    }),
    { log, metrics, leases: new MemoryLeaseStore() },
  );
  return { handler, store, entries, points, clock };
}

const fxRows = () =>
  warehouseRows(
    harness.database.url,
    `SELECT rate_date::text, quote_currency, rate::text, to_char(fetched_at, 'YYYY-MM-DD HH24:MI:SS.MS') AS fetched_at
     FROM market.fx_rate ORDER BY rate_date, quote_currency`,
  );

describe('the loader Lambda’s market step', () => {
  it('merges the market lake into the warehouse after the star load, and skips an unchanged lake', async () => {
    // Prepare: a star change with its round, and one day of fx rates.
    await writeLake(harness.lakeDir, [
      { table: 'dim_design', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.design(1) },
      ...watermarks(150n, T0),
    ]);
    const counted = countingMarketReads(harness.engine);
    const { handler, store, points } = await marketHandler(
      { TOTESYS_WAREHOUSE_URL: harness.database.url },
      counted.engine,
    );
    const fetchedAt = '2026-11-30 16:30:00.125';
    await putFxObject(store, 'fx-1', [
      { day: '2026-11-30', quote: 'EUR', rate: '1.17120000', fetchedAt },
      { day: '2026-11-30', quote: 'USD', rate: '1.26951234', fetchedAt },
    ]);

    // Act and assess: the star load and the rates, to the hundred-millionth and the millisecond.
    expect(await handler({}, CONTEXT)).toMatchObject({ status: 'loaded', toCut: { lsn: '150' } });
    expect(await fxRows()).toEqual([
      { rate_date: '2026-11-30', quote_currency: 'EUR', rate: '1.17120000', fetched_at: fetchedAt },
      { rate_date: '2026-11-30', quote_currency: 'USD', rate: '1.26951234', fetched_at: fetchedAt },
    ]);
    const afterFirst = counted.reads();
    expect(afterFirst).toBe(3);

    // A tick over the same market lake reads no market table.
    expect(await handler({}, CONTEXT)).toMatchObject({ status: 'unchanged' });
    expect(counted.reads()).toBe(afterFirst);

    // A re-fetch of the day (a newer fetched_at) lands as a new object: merged by key, replacing the rate.
    const refetchedAt = '2026-12-01 16:30:00.007';
    await putFxObject(store, 'fx-2', [
      { day: '2026-11-30', quote: 'USD', rate: '1.26950000', fetchedAt: refetchedAt },
      { day: '2026-12-01', quote: 'USD', rate: '1.27000001', fetchedAt: refetchedAt },
    ]);
    await handler({}, CONTEXT);
    expect(counted.reads()).toBe(afterFirst + 3);
    expect(await fxRows()).toEqual([
      { rate_date: '2026-11-30', quote_currency: 'EUR', rate: '1.17120000', fetched_at: fetchedAt },
      { rate_date: '2026-11-30', quote_currency: 'USD', rate: '1.26950000', fetched_at: refetchedAt },
      { rate_date: '2026-12-01', quote_currency: 'USD', rate: '1.27000001', fetched_at: refetchedAt },
    ]);
    expect(points.filter((p) => p.name === METRICS.market.mergesFailed)).toEqual([]);
  });

  it('logs a failed merge with its cause, counts it, still loads the star schema, and merges on a later run', async () => {
    // Prepare: the market tables are gone from the warehouse (a failed migration, say).
    const { handler, entries, points, clock } = await starAndOneRate('USD', '1.26950000');
    await withClient(harness.database.url, (client) =>
      client.query('ALTER TABLE market.fx_rate RENAME TO fx_rate_aside'),
    );

    // Act
    const outcome = await handler({}, CONTEXT);

    // Assess: the star load stands; the failure is an ERROR with the database's reason and one count.
    expect(outcome).toMatchObject({ status: 'loaded', toCut: { lsn: '150' } });
    const failure = entries.find((e) => e.message.startsWith('market merge failed; retrying'));
    expect(failure).toMatchObject({ level: 'ERROR', stage: 'loader', id: 'market-request' });
    expect(errorChain(failure?.error)).toMatch(/fx_rate/);
    expect(points.filter((p) => p.name === METRICS.market.mergesFailed)).toEqual([
      { name: METRICS.market.mergesFailed, unit: 'Count', value: 1 },
    ]);
    expect(points.filter((p) => p.name === METRICS.runs.loaderCompleted)).toHaveLength(1);

    // Once the table is back, a tick within the minute waits (the lake did not change: no second ERROR, no
    // count), and the first tick after it merges.
    await withClient(harness.database.url, (client) =>
      client.query('ALTER TABLE market.fx_rate_aside RENAME TO fx_rate'),
    );
    await clock.advance(MARKET_MERGE_RETRY_MS - 1);
    expect(await handler({}, CONTEXT)).toMatchObject({ status: 'unchanged' });
    expect(await fxRows()).toEqual([]);
    expect(entries.filter((e) => e.message.startsWith('market merge failed'))).toHaveLength(1);
    expect(points.filter((p) => p.name === METRICS.market.mergesFailed)).toHaveLength(1);
    await clock.advance(1);
    expect(await handler({}, CONTEXT)).toMatchObject({ status: 'unchanged' });
    expect(await fxRows()).toEqual([
      expect.objectContaining({ rate_date: '2026-11-30', quote_currency: 'USD', rate: '1.26950000' }),
    ]);
  });

  it('merges the market lake even when the star load fails, and rethrows the load’s error', async () => {
    // Prepare: the star load fails (a dimension table is missing); the market tables are fine.
    const { handler } = await starAndOneRate('EUR', '1.17120000');
    await withClient(harness.database.url, (client) =>
      client.query('ALTER TABLE public.dim_design RENAME TO dim_design_aside'),
    );

    // Act and assess
    await expect(handler({}, CONTEXT)).rejects.toThrow();
    expect(await fxRows()).toEqual([expect.objectContaining({ quote_currency: 'EUR', rate: '1.17120000' })]);
  });
});
