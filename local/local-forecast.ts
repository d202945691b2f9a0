/**
 * @module
 * The gold-price job offline (README, "The gold-price model"): the same `runGoldForecast` the forecast Lambda
 * runs, over DuckDB on the data dir's lake and the warehouse's `market.price_forecast`, once for
 * `forecast gold`, and on `up`'s schedule inside its pipeline (over the pipeline's own engine and pool).
 */
import type pg from 'pg';
import { readMemoryBounds } from '../core/memory-bounds.ts';
import { type Clock, SYSTEM_CLOCK } from '../core/ports/clock.ts';
import type { Log } from '../core/ports/log.ts';
import type { QueryEngine } from '../core/ports/query-engine.ts';
import type { ForecastSettings } from '../forecast/forecast-settings.ts';
import {
  type ForecastStep,
  type GoldForecastOutcome,
  NotEnoughHistoryError,
  runGoldForecast,
  runGoldForecastOnNewDay,
} from '../forecast/gold-forecast.ts';
import { MissingMarketDataError } from '../forecast/market-inputs.ts';
import { DuckDbQueryEngine, duckDbMemory } from '../lake/duckdb-query-engine.ts';
import { createPool } from '../postgres/connections.ts';
import { PgPriceForecasts } from '../warehouse/pg-price-forecasts.ts';
import { migrateWarehouse } from '../warehouse/warehouse-migration.ts';
import { LOCAL_LAKE_BUCKET, pipelinePaths } from './data-dir-layout.ts';

/** Migrates the warehouse (the predictions table may be new), then runs the job once. */
export async function forecastGoldLocally(options: {
  readonly dataDir: string;
  readonly warehouseUrl: string;
  readonly settings: ForecastSettings;
  readonly log?: Log;
  readonly onStep?: (step: ForecastStep) => void;
}): Promise<GoldForecastOutcome> {
  const paths = pipelinePaths(options.dataDir);
  const pool = createPool({ connectionString: options.warehouseUrl, max: 1 });
  try {
    const client = await pool.connect();
    try {
      await migrateWarehouse(client);
    } finally {
      client.release();
    }
    const engine = await DuckDbQueryEngine.open({
      lakeDir: paths.lake,
      bucket: LOCAL_LAKE_BUCKET,
      memory: duckDbMemory(readMemoryBounds(process.env), paths.duckdbTemp),
    });
    try {
      return await runGoldForecast({
        engine,
        forecasts: new PgPriceForecasts(pool),
        settings: options.settings,
        now: Date.now,
        ...(options.log ? { log: options.log } : {}),
        ...(options.onStep ? { onStep: options.onStep } : {}),
      });
    } finally {
      await engine.close();
    }
  } finally {
    await pool.end();
  }
}

/**
 * `up`'s schedule: every `settings.checkEveryMs`, the job runs when the lake has a gold day no saved prediction
 * has seen (a new market day), over the pipeline's own engine and warehouse pool, until `signal` aborts. A lake
 * without market data yet, or with too little of it, is not a failure: the next check looks again.
 */
export async function runForecastOnNewMarketDays(options: {
  readonly engine: QueryEngine;
  readonly pool: pg.Pool;
  readonly settings: ForecastSettings;
  readonly signal: AbortSignal;
  readonly clock?: Clock;
  readonly log?: Log;
}): Promise<void> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const forecasts = new PgPriceForecasts(options.pool);
  let waiting: string | undefined;
  while (!options.signal.aborted) {
    try {
      await runGoldForecastOnNewDay({
        engine: options.engine,
        forecasts,
        settings: options.settings,
        now: clock.now,
        ...(options.log ? { log: options.log } : {}),
      });
      waiting = undefined;
    } catch (error) {
      if (options.signal.aborted) break;
      const expected = error instanceof MissingMarketDataError || error instanceof NotEnoughHistoryError;
      // Said once while it lasts: until the collectors' backfill is in, every check finds the same.
      const reason = (error as Error).message;
      if (reason !== waiting) {
        if (expected) options.log?.info(`forecast waits for market data: ${reason}`, { stage: 'forecast' });
        else
          options.log?.warn('forecast failed; trying again at the next check', { stage: 'forecast', error });
      }
      waiting = reason;
    }
    await clock.sleep(options.settings.checkEveryMs, options.signal);
  }
}
