import pg from 'pg';
import { expect, it } from 'vitest';
import { PgPriceForecasts } from '../../warehouse/pg-price-forecasts.ts';
import { migrateWarehouse } from '../../warehouse/warehouse-migration.ts';
import { createTestDatabase, withClient } from '../support/test-databases.ts';
import { priceForecastsContract } from './price-forecasts-contract.ts';

priceForecastsContract('PgPriceForecasts', async () => {
  const database = await createTestDatabase('forecast');
  await withClient(database.url, migrateWarehouse);
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  return {
    forecasts: new PgPriceForecasts(pool),
    async count(model) {
      const { rows } = await pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM market.price_forecast WHERE model = $1',
        [model],
      );
      return rows[0]?.n ?? 0;
    },
    async dispose() {
      await pool.end();
      await database.drop();
    },
  };
});

it('says how to create the predictions table when the warehouse has none', async () => {
  const database = await createTestDatabase('forecast_bare');
  const pool = new pg.Pool({ connectionString: database.url, max: 1 });
  try {
    await expect(new PgPriceForecasts(pool).prediction('gold-xgboost', '2026-12-01')).rejects.toThrow(
      /no market\.price_forecast table: run the warehouse migration first/,
    );
  } finally {
    await pool.end();
    await database.drop();
  }
});
