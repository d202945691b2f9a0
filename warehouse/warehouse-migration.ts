/**
 * @module
 * Creates the warehouse: the three star schemas in `public`, the `pipeline` bookkeeping schema, the
 * current-state views, the `market` schema with the GBP views over it (warehouse/market-ddl.ts), and the model
 * predictions' table in it (warehouse/forecast-ddl.ts).
 * Idempotent: running it on a migrated database changes nothing, so every command may run it on start.
 */
import type pg from 'pg';
import { upgradeFactVersions } from './fact-version-upgrade.ts';
import { FORECAST_TABLE_DDL } from './forecast-ddl.ts';
import { GBP_VIEW_DDL, MARKET_TABLE_DDL } from './market-ddl.ts';
import { CURRENT_VIEW_DDL, FACT_VERSION_VIEW_DDL, PIPELINE_DDL, STAR_DDL } from './warehouse-ddl.ts';

/** A lock key so two processes migrating the same warehouse at once do not race. */
const MIGRATION_LOCK = 7_316_002;

/**
 * Applies the warehouse DDL in one transaction: star tables (dimensions before facts), then `pipeline`, then
 * the upgrade of a warehouse whose fact versions are still a table of their own (warehouse/fact-version-upgrade.ts),
 * then the current-state views and the fact-version view over both, then the market tables and the GBP views
 * over them and the current views, then the predictions' table.
 */
export async function migrateWarehouse(client: pg.ClientBase): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    const market = [...MARKET_TABLE_DDL, ...GBP_VIEW_DDL, ...FORECAST_TABLE_DDL];
    for (const statement of [...STAR_DDL, ...PIPELINE_DDL]) await client.query(statement);
    await upgradeFactVersions(client);
    for (const statement of [...CURRENT_VIEW_DDL, FACT_VERSION_VIEW_DDL, ...market])
      await client.query(statement);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}
