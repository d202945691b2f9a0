/**
 * @module
 * Upgrades a warehouse created before the fact rows carried their version (warehouse-ddl.ts,
 * `VERSION_COLUMNS`): until then each loaded version was a second row, in the table `pipeline.fact_version`
 * (fact table, order id, lsn, seq, record id). The upgrade moves each version into its fact row, adds the
 * unique constraint that replaces that table's primary key, drops the order-id index the constraint's index
 * makes redundant, and drops the table (the view of the same name takes its place). It runs inside the
 * migration's transaction, so an interrupted upgrade leaves the old layout whole.
 */
import type pg from 'pg';
import { FACT_TABLE_NAMES, WAREHOUSE_TABLES } from '../core/schema/warehouse-tables.ts';
import { CURRENT_VIEW_DDL, VERSION_COLUMNS, versionConstraint } from './warehouse-ddl.ts';

/** The warehouse still keeps its versions in the table `pipeline.fact_version` (not the view). */
export async function hasVersionTable(client: pg.ClientBase): Promise<boolean> {
  const result = await client.query<{ kind: string | null }>(
    "SELECT relkind::text AS kind FROM pg_class WHERE oid = to_regclass('pipeline.fact_version')",
  );
  return result.rows[0]?.kind === 'r';
}

/**
 * Moves the versions of `pipeline.fact_version` into the fact rows when the warehouse still has that table;
 * does nothing otherwise. A fact row without a recorded version cannot be given one (nothing says which change
 * it came from): the upgrade stops naming the table, and the migration rolls back.
 */
export async function upgradeFactVersions(client: pg.ClientBase): Promise<void> {
  if (!(await hasVersionTable(client))) return;
  for (const table of FACT_TABLE_NAMES) {
    const { primaryKey, orderKey } = WAREHOUSE_TABLES[table];
    await client.query(
      `ALTER TABLE public.${table} ${VERSION_COLUMNS.map((c) => `ADD COLUMN IF NOT EXISTS ${c.name} ${c.type}`).join(', ')}`,
    );
    await client.query(
      `UPDATE public.${table} AS f SET version_lsn = v.lsn, version_seq = v.seq
       FROM pipeline.fact_version AS v WHERE v.fact_table = $1 AND v.record_id = f.${primaryKey}`,
      [table],
    );
    const unversioned = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM public.${table} WHERE version_lsn IS NULL OR version_seq IS NULL`,
    );
    const missing = Number(unversioned.rows[0]?.n ?? 0);
    if (missing > 0) {
      throw new Error(
        `${missing} ${table} rows have no version in pipeline.fact_version, so the warehouse cannot be upgraded ` +
          'to versions kept in the fact rows. Delete those rows (they were not written by the loader) or ' +
          'rebuild the warehouse, then run the migration again.',
      );
    }
    const unique = versionConstraint(table);
    await client.query(
      `ALTER TABLE public.${table} ${VERSION_COLUMNS.map((c) => `ALTER COLUMN ${c.name} SET NOT NULL`).join(', ')},
         ADD CONSTRAINT ${unique.name} UNIQUE (${unique.columns})`,
    );
    await client.query(`DROP INDEX IF EXISTS public.${table}_${orderKey}_idx`);
  }
  // The current views read the table until they are replaced by views over the fact rows.
  for (const statement of CURRENT_VIEW_DDL) await client.query(statement);
  await client.query('DROP TABLE pipeline.fact_version');
}
