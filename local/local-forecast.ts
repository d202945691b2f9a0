/**
 * @module
 * The gold-price job offline (README, "The gold-price model"): the same `runGoldForecast` the forecast Lambda
 * runs, over DuckDB on the data dir's lake and the warehouse's `market.price_forecast`, for `forecast gold`.
 * (`up` runs it inside its pipeline, over the pipeline's own engine: local/pipeline.ts.)
 */
import pg from 'pg';
import { readMemoryBounds } from '../core/memory-bounds.ts';
import type { Log } from '../core/ports/log.ts';
import type { ForecastSettings } from '../forecast/forecast-settings.ts';
import { type ForecastStep, type GoldForecastOutcome, runGoldForecast } from '../forecast/gold-forecast.ts';
import { DuckDbQueryEngine, duckDbMemory } from '../lake/duckdb-query-engine.ts';
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
  const pool = new pg.Pool({ connectionString: options.warehouseUrl, max: 1 });
  pool.on('error', () => undefined);
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
