/**
 * @module
 * The MarketWarehouse port on PostgreSQL: `INSERT … ON CONFLICT (observation key) DO UPDATE … WHERE` the
 * incoming `fetched_at` is newer, in batches of parameterised multi-row statements, in one transaction.
 * Identifiers come from `core/schema/market-warehouse-tables.ts` only; values are always parameters.
 */
import type pg from 'pg';
import type { MarketWarehouse, ObservationRows } from '../core/ports/market-warehouse.ts';
import type { MarketLakeTableName } from '../core/schema/market-lake-tables.ts';
import { MARKET_SCHEMA, MARKET_WAREHOUSE_TABLES } from '../core/schema/market-warehouse-tables.ts';

/** Rows per statement: well inside PostgreSQL's 65,535 parameters for the widest market table. */
const ROWS_PER_STATEMENT = 1_000;

/** The market tables of a PostgreSQL warehouse, over a pool the caller owns. */
export class PgMarketWarehouse implements MarketWarehouse {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async newestFetch(table: MarketLakeTableName): Promise<string | null> {
    const { name } = MARKET_WAREHOUSE_TABLES[table];
    const result = await this.#pool.query<{ newest: string | null }>(
      `SELECT to_char(max(fetched_at), 'YYYY-MM-DD HH24:MI:SS.MS') AS newest FROM ${MARKET_SCHEMA}.${name}`,
    );
    return result.rows[0]?.newest ?? null;
  }

  async mergeObservations(input: ObservationRows): Promise<number> {
    if (input.rows.length === 0) return 0;
    const table = MARKET_WAREHOUSE_TABLES[input.table];
    const positions = table.columns.map((column) => {
      const at = input.columns.indexOf(column.name);
      if (at < 0) throw new Error(`Rows for ${MARKET_SCHEMA}.${table.name} lack column ${column.name}.`);
      return at;
    });
    const names = table.columns.map((c) => c.name);
    const updates = names
      .filter((name) => !table.primaryKey.includes(name))
      .map((name) => `${name} = EXCLUDED.${name}`);
    const client = await this.#pool.connect();
    let written = 0;
    try {
      await client.query('BEGIN');
      for (let at = 0; at < input.rows.length; at += ROWS_PER_STATEMENT) {
        const batch = input.rows.slice(at, at + ROWS_PER_STATEMENT);
        const values: (string | null)[] = [];
        const tuples = batch.map((row) => {
          const placeholders = table.columns.map((column, index) => {
            values.push(row[positions[index] as number] ?? null);
            return `$${values.length}::${column.type}`;
          });
          return `(${placeholders.join(', ')})`;
        });
        const result = await client.query(
          `INSERT INTO ${MARKET_SCHEMA}.${table.name} (${names.join(', ')}) VALUES ${tuples.join(', ')}
           ON CONFLICT (${table.primaryKey.join(', ')}) DO UPDATE SET ${updates.join(', ')}
           WHERE ${MARKET_SCHEMA}.${table.name}.${table.versionColumn} < EXCLUDED.${table.versionColumn}`,
          values,
        );
        written += result.rowCount ?? 0;
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    return written;
  }
}
