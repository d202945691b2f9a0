import { WAREHOUSE_TABLES } from '../../core/schema/warehouse-tables.ts';
import { PgWarehouse } from '../../warehouse/pg-warehouse.ts';
import { migrateWarehouse } from '../../warehouse/warehouse-migration.ts';
import { createTestDatabase, withClient } from '../support/test-databases.ts';
import { describeWarehouseContract, type WarehouseRelation } from './warehouse-contract.ts';

/** The columns of a star table or current view, each cast to text, in table order. */
function textColumns(relation: WarehouseRelation): string {
  const table = relation === 'current_payment' ? WAREHOUSE_TABLES.fact_payment : WAREHOUSE_TABLES[relation];
  return table.columns.map((column) => `${column.name}::text AS ${column.name}`).join(', ');
}

describeWarehouseContract('PgWarehouse', async (options = {}) => {
  const database = await createTestDatabase('wh_contract');
  await withClient(database.url, (client) => migrateWarehouse(client));
  const warehouse = new PgWarehouse({ url: database.url, ...options });
  return {
    warehouse,
    rows: (relation) =>
      withClient(database.url, async (client) => {
        const result = await client.query(
          `SELECT ${textColumns(relation)} FROM public.${relation} ORDER BY 1`,
        );
        return result.rows as Record<string, string | null>[];
      }),
    async dispose() {
      await warehouse.close();
      await database.drop();
    },
  };
});
