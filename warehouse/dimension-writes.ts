/**
 * @module
 * Dimension writes of a load: dim_date rows for every referenced date, upserts where the latest
 * version wins (unchanged TOAST keeps the current value), deletes of rows nothing references, inferred members.
 */
import type pg from 'pg';
import type { InferredMember } from '../core/ports/warehouse.ts';
import {
  type DimensionTableName,
  type FactTableName,
  loadedColumns,
  WAREHOUSE_FOREIGN_KEYS,
  WAREHOUSE_TABLES,
  type WarehouseForeignKey,
} from '../core/schema/warehouse-tables.ts';
import { stagingTable } from './star-staging.ts';

/** dim_date rows for every staged date the warehouse lacks (a date never changes, so existing rows stay). */
export async function insertDates(client: pg.ClientBase): Promise<number> {
  const columns = loadedColumns('dim_date').map((c) => c.name);
  const result = await client.query(
    `INSERT INTO public.dim_date (${columns.join(', ')}) SELECT ${columns.join(', ')} FROM ${stagingTable('dim_date')}
     ON CONFLICT (date_id) DO NOTHING`,
  );
  return result.rowCount ?? 0;
}

/** SET list that keeps the current value of each column named in `_unchanged`. */
export function keepUnchanged(columns: readonly string[], current: string, staged: string): string {
  return columns
    .map(
      (c) =>
        `${c} = CASE WHEN '${c}' = ANY (string_to_array(${staged}._unchanged, ',')) THEN ${current}.${c} ELSE ${staged}.${c} END`,
    )
    .join(', ');
}

/**
 * Latest version wins; unchanged-TOAST columns keep the warehouse's value; a real row replaces an inferred one.
 * An UPDATE of the members the dimension holds, then a plain INSERT of the others (an anti-join), not one
 * `INSERT … ON CONFLICT DO UPDATE`: its speculative insertion of every row cost about twice the insert itself
 * (bench/README.md, "Why the loader stays below half of COPY"). The UPDATE runs first, so no row is both
 * updated and inserted; the load lock keeps other loads out, and a key inserted by anyone else in between fails
 * the load on the primary key, which rolls it back whole. A batch stages one version per key (a dimension's
 * window reads each key's latest, queries/loader/dim_*.sql; a new key staged twice fails the INSERT).
 * Returns the rows written (updated and inserted).
 */
export async function upsertDimension(client: pg.ClientBase, table: DimensionTableName): Promise<number> {
  const key = WAREHOUSE_TABLES[table].primaryKey;
  const name = stagingTable(table);
  const columns = loadedColumns(table).map((c) => c.name);
  const others = columns.filter((c) => c !== key);
  await client.query(
    `UPDATE ${name} AS s SET ${keepUnchanged(others, 'd', 's')}
     FROM public.${table} AS d WHERE d.${key} = s.${key} AND s._unchanged IS NOT NULL AND s._op <> 'd'`,
  );
  const updated = await client.query(
    `UPDATE public.${table} AS d SET ${others.map((c) => `${c} = s.${c}`).join(', ')}
     FROM ${name} AS s WHERE d.${key} = s.${key} AND s._op <> 'd'`,
  );
  const inserted = await client.query(
    `INSERT INTO public.${table} (${columns.join(', ')})
     SELECT ${columns.join(', ')} FROM ${name} AS s
     WHERE s._op <> 'd' AND NOT EXISTS (SELECT 1 FROM public.${table} AS d WHERE d.${key} = s.${key})`,
  );
  await client.query(
    `DELETE FROM pipeline.inferred_member WHERE dimension = $1
     AND member_id IN (SELECT ${key}::text FROM ${name} WHERE _op <> 'd')`,
    [table],
  );
  return (updated.rowCount ?? 0) + (inserted.rowCount ?? 0);
}

/**
 * A dimension row deleted at the source goes when no fact row references it; a referenced one stays (the
 * facts' history still needs it). Runs after the facts are appended so this batch's references count.
 */
export async function deleteDimensionRows(client: pg.ClientBase, table: DimensionTableName): Promise<number> {
  const key = WAREHOUSE_TABLES[table].primaryKey;
  const references = WAREHOUSE_FOREIGN_KEYS.filter((fk) => fk.target === table).map(
    (fk) => `NOT EXISTS (SELECT 1 FROM public.${fk.table} AS f WHERE f.${fk.column} = d.${key})`,
  );
  const result = await client.query(
    `DELETE FROM public.${table} AS d USING ${stagingTable(table)} AS s
     WHERE s._op = 'd' AND d.${key} = s.${key}${references.map((r) => ` AND ${r}`).join('')}`,
  );
  return result.rowCount ?? 0;
}

/**
 * The references {@link inferMembers} completes: every one but dim_date's (its rows are generated for every
 * referenced date, loader/dim-date.ts, and a date without one is a loader bug).
 */
export function infersMembers(fk: WarehouseForeignKey): boolean {
  return fk.target !== 'dim_date';
}

/**
 * Placeholder rows for every dimension key a staged fact references that the dimension lacks. Afterwards every
 * reference it completes ({@link infersMembers}) finds its row: a key is either present or inserted here (the
 * insert skips only a key present by then), and the load lock keeps other loads out until the append.
 */
export async function inferMembers(
  client: pg.ClientBase,
  facts: readonly FactTableName[],
): Promise<InferredMember[]> {
  const inferred: InferredMember[] = [];
  for (const fk of WAREHOUSE_FOREIGN_KEYS) {
    if (!facts.includes(fk.table as FactTableName) || !infersMembers(fk)) continue;
    const targetColumns = WAREHOUSE_TABLES[fk.target].columns;
    const values = targetColumns.map((c) => {
      if (c.name === fk.targetColumn) return `m.${c.name}`;
      if (!c.nullable && c.type === 'varchar') return `'unknown'`;
      return 'NULL';
    });
    const result = await client.query<{ member_id: string }>(
      `WITH missing AS (
         SELECT DISTINCT s.${fk.column} AS ${fk.targetColumn} FROM ${stagingTable(fk.table)} AS s
         WHERE NOT EXISTS (SELECT 1 FROM public.${fk.target} AS d WHERE d.${fk.targetColumn} = s.${fk.column})
       ), added AS (
         INSERT INTO public.${fk.target} (${targetColumns.map((c) => c.name).join(', ')})
         SELECT ${values.join(', ')} FROM missing AS m ON CONFLICT DO NOTHING
         RETURNING ${fk.targetColumn}::text AS member_id
       )
       INSERT INTO pipeline.inferred_member (dimension, member_id)
       SELECT $1, member_id FROM added ON CONFLICT DO NOTHING RETURNING member_id`,
      [fk.target],
    );
    for (const row of result.rows) inferred.push({ dimension: fk.target, memberId: row.member_id });
  }
  return inferred;
}
