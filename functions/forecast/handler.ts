/**
 * @module
 * The forecast Lambda (on a schedule; README, "The gold-price model"): one run of forecast/gold-forecast.ts
 * over Athena (the lake's `_latest` views) and the warehouse's `market.price_forecast`, then one metric and one
 * log entry. The settings and adapters are the loader's (functions/loader/config.ts: the same warehouse secret,
 * workgroup and Glue database), plus the model's (forecast/forecast-settings.ts). Adapters are created once per
 * container and reused across invocations. Idempotent per (model, target day), so a retried invocation or a
 * second tick on the same market day changes nothing.
 *
 * Bundling: `ml-xgboost` loads its `.wasm` from its own package directory at run time
 * (forecast/xgboost-regressor.ts requires it), so the function ships it as a package beside the bundle
 * (NodejsFunction `bundling.nodeModules: ['ml-xgboost']`), not inlined.
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import type { Context } from 'aws-lambda';
import { METRICS, SERVICES } from '../../core/operations.ts';
import type { Log } from '../../core/ports/log.ts';
import type { MetricsPublisher } from '../../core/ports/metrics.ts';
import type { PriceForecasts } from '../../core/ports/price-forecasts.ts';
import type { QueryEngine } from '../../core/ports/query-engine.ts';
import { type ForecastSettings, readForecastSettings } from '../../forecast/forecast-settings.ts';
import { type GoldForecastOutcome, runGoldForecast } from '../../forecast/gold-forecast.ts';
import { AthenaQueryEngine } from '../../lake/athena-query-engine.ts';
import { PgPriceForecasts } from '../../warehouse/pg-price-forecasts.ts';
import { marketTablesPool, readLoaderConfig } from '../loader/config.ts';
import { lambdaLogger, powertoolsLog } from '../operations/powertools-log.ts';
import { lambdaMetrics, powertoolsMetrics } from '../operations/powertools-metrics.ts';

/** What a run works on. */
export interface ForecastFunctionDeps {
  readonly engine: QueryEngine;
  readonly forecasts: PriceForecasts;
  readonly settings: ForecastSettings;
}

/** Where the handler reports. */
export interface ForecastOperations {
  readonly log: Log;
  readonly metrics: MetricsPublisher;
  readonly now?: () => number;
}

/** A handler over the given adapters (tests inject DuckDB and a test warehouse). */
export function createHandler(makeDeps: () => Promise<ForecastFunctionDeps>, operations: ForecastOperations) {
  let deps: Promise<ForecastFunctionDeps> | undefined;
  return async (_event: unknown, context: Pick<Context, 'awsRequestId'>): Promise<GoldForecastOutcome> => {
    const log = operations.log.with({ stage: 'forecast', id: context.awsRequestId });
    deps ??= makeDeps().catch((error: unknown) => {
      // A failed set-up must not stick to the container: try again on the next invocation.
      deps = undefined;
      throw error;
    });
    try {
      const ready = await deps;
      const outcome = await runGoldForecast({ ...ready, now: operations.now ?? Date.now, log });
      operations.metrics.publish([{ name: METRICS.runs.forecastCompleted, unit: 'Count', value: 1 }]);
      return outcome;
    } catch (error) {
      log.error('forecast run failed', { error });
      throw error;
    }
  };
}

/** The Lambda entry point. */
export const handler = createHandler(
  async () => {
    const config = await readLoaderConfig(process.env);
    const pool = marketTablesPool(config);
    return {
      engine: new AthenaQueryEngine({
        client: new AthenaClient({}),
        workGroup: config.workGroup,
        database: config.glueDatabase,
      }),
      forecasts: new PgPriceForecasts(pool),
      settings: readForecastSettings(process.env),
    };
  },
  {
    log: powertoolsLog(lambdaLogger(SERVICES.forecast)),
    metrics: powertoolsMetrics(lambdaMetrics(SERVICES.forecast)),
  },
);
