import pg from 'pg';
import { PgMarketWarehouse } from '../../warehouse/pg-market-warehouse.ts';
import { migrateWarehouse } from '../../warehouse/warehouse-migration.ts';
import { createTestDatabase, withClient } from '../support/test-databases.ts';
import { marketWarehouseContract } from './market-warehouse-contract.ts';

marketWarehouseContract('PgMarketWarehouse', async () => {
  const database = await createTestDatabase('mktwh');
  await withClient(database.url, migrateWarehouse);
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  return {
    warehouse: new PgMarketWarehouse(pool),
    async fxRows() {
      const { rows } = await pool.query<{ r: string[] }>(
        `SELECT ARRAY[rate_date::text, quote_currency, rate::text,
           to_char(fetched_at, 'YYYY-MM-DD HH24:MI:SS.MS')] AS r
         FROM market.fx_rate ORDER BY source, base_currency, quote_currency, rate_date`,
      );
      return rows.map((r) => r.r);
    },
    async dispose() {
      await pool.end();
      await database.drop();
    },
  };
});
