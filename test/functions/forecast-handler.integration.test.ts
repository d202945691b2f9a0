import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticMarketInputs } from '../../bench/synthetic-market-inputs.ts';
import { linesOfBatches } from '../../core/csv-record.ts';
import { METRICS } from '../../core/operations.ts';
import type { QueryEngine, QueryParameter, QueryResult } from '../../core/ports/query-engine.ts';
import { FORECAST_DEFAULTS } from '../../forecast/forecast-settings.ts';
import { createHandler } from '../../functions/forecast/handler.ts';
import { memoryLog, memoryMetrics } from '../../testing/memory-operations.ts';
import { PgPriceForecasts } from '../../warehouse/pg-price-forecasts.ts';
import { migrateWarehouse } from '../../warehouse/warehouse-migration.ts';
import { createTestDatabase, type TestDatabase, withClient } from '../support/test-databases.ts';

const INPUTS = syntheticMarketInputs('2026-11-27');

/**
 * The lake's `_latest` views as Athena would answer the model's statements: the synthetic market's series as
 * text rows. (The DuckDB path over real Parquet is `test/cli/cli-forecast.slow.test.ts`.)
 */
function lakeOfInputs(): QueryEngine {
  const answer = (sql: string, parameters: readonly QueryParameter[]): QueryResult => {
    const series = sql.includes('fx_rate_latest')
      ? INPUTS.gbpUsd
      : sql.includes('economic_observation_latest')
        ? parameters[0] === FORECAST_DEFAULTS.treasurySeries
          ? INPUTS.treasury10y
          : INPUTS.fedFunds
        : parameters[0] === FORECAST_DEFAULTS.symbol
          ? INPUTS.gold
          : INPUTS.equity;
    return {
      columns: ['day', 'value', 'source', 'currency'],
      rows: series.dates.map((day, i) => [day, String(series.values[i]), 'synthetic', 'USD']),
    };
  };
  return {
    capabilities: {},
    query: async (sql, parameters = []) => answer(sql, parameters),
    queryBatches: async function* (sql, parameters) {
      yield answer(sql, parameters);
    },
    queryLines(sql, parameters, batchRows) {
      return linesOfBatches(this.queryBatches(sql, parameters, batchRows));
    },
    close: async () => undefined,
  };
}

describe('the forecast Lambda handler', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  beforeAll(async () => {
    database = await createTestDatabase('forecastfn');
    await withClient(database.url, migrateWarehouse);
    pool = new pg.Pool({ connectionString: database.url, max: 1 });
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('saves the next trading day, once: a retried invocation changes nothing', async () => {
    const metrics = memoryMetrics();
    const { log, entries } = memoryLog();
    const handler = createHandler(
      async () => ({
        engine: lakeOfInputs(),
        forecasts: new PgPriceForecasts(pool),
        settings: FORECAST_DEFAULTS,
      }),
      { log, metrics: metrics.metrics, now: () => Date.parse('2026-11-28T06:00:00Z') },
    );
    const first = await handler({}, { awsRequestId: 'r1' });
    expect(first.write).toBe('inserted');
    expect(first.prediction).toMatchObject({ targetDate: '2026-11-30', lastPriceDate: '2026-11-27' });
    expect((await handler({}, { awsRequestId: 'r2' })).write).toBe('unchanged');
    const { rows } = await pool.query(
      "SELECT to_char(target_date, 'YYYY-MM-DD') AS day, predicted_close::text AS close, trained_at::text AS at FROM market.price_forecast",
    );
    expect(rows).toEqual([
      { day: '2026-11-30', close: first.prediction.predictedClose, at: '2026-11-28 06:00:00' },
    ]);
    expect(metrics.points.filter((p) => p.name === METRICS.runs.forecastCompleted)).toHaveLength(2);
    expect(entries.some((e) => e.stage === 'forecast' && e.message.includes('unchanged'))).toBe(true);
  });

  it('logs a failed run, and sets up again on the next invocation', async () => {
    const { log, entries } = memoryLog();
    let setUps = 0;
    const handler = createHandler(
      async () => {
        setUps++;
        if (setUps === 1) throw new Error('secret unreadable');
        return { engine: lakeOfInputs(), forecasts: new PgPriceForecasts(pool), settings: FORECAST_DEFAULTS };
      },
      { log, metrics: memoryMetrics().metrics },
    );
    await expect(handler({}, { awsRequestId: 'r3' })).rejects.toThrow('secret unreadable');
    expect(entries.some((e) => e.level === 'ERROR' && e.message === 'forecast run failed')).toBe(true);
    await expect(handler({}, { awsRequestId: 'r4' })).resolves.toMatchObject({ write: 'unchanged' });
    expect(setUps).toBe(2);
  });
});
