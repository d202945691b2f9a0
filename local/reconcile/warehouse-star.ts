/**
 * @module
 * The warehouse side of reconcile, read inside one repeatable-read transaction with the cut: dimension rows,
 * each order's current state through the `current_*` views (deleted orders left out), the dimension keys fact
 * history references, the history check and the generated dim_date.
 */
import type pg from 'pg';
import { LAKE_TABLES } from '../../glue/index.ts';
import { DIM_DATE_COLUMNS, dimDateRow } from '../../loader/dim-date.ts';
import { CURRENT_VIEWS } from '../../warehouse/warehouse-ddl.ts';
import { FACT_TABLE_NAMES, type WarehouseTableName } from '../../warehouse/warehouse-tables.ts';
import type { SourcedTable } from './source-star.ts';
import type { Difference } from './star-comparison.ts';
import { type StarRows, textRows } from './star-rows.ts';

type FactTable = (typeof FACT_TABLE_NAMES)[number];

function isFact(table: WarehouseTableName): table is FactTable {
  return (FACT_TABLE_NAMES as readonly string[]).includes(table);
}

function currentView(table: FactTable): (typeof CURRENT_VIEWS)[number] {
  return CURRENT_VIEWS.find((v) => v.fact === table)!;
}

/** The compared columns of a star table: all of them but a fact's surrogate record id. */
export async function comparedColumns(client: pg.ClientBase, table: SourcedTable): Promise<string[]> {
  const result = await client.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1
     ORDER BY ordinal_position`,
    [table],
  );
  const recordId = isFact(table) ? currentView(table).recordId : undefined;
  return result.rows.map((r) => r.column_name).filter((c) => c !== recordId);
}

/** A dimension's rows, or a fact's current rows (one per order, deleted ones left out). */
export async function warehouseRows(
  client: pg.ClientBase,
  table: SourcedTable,
  columns: readonly string[],
): Promise<StarRows> {
  const from = isFact(table) ? currentView(table).view : table;
  return textRows(client, `SELECT * FROM public.${from}`, columns, LAKE_TABLES[table].keyColumn);
}

/** Dimension keys some fact row references (the history keeps them), per dimension. */
export async function referencedKeys(client: pg.ClientBase): Promise<Map<WarehouseTableName, Set<string>>> {
  const result = await client.query<{ target: WarehouseTableName; source: string; source_column: string }>(
    `SELECT rc.relname AS target, c.relname AS source, a.attname AS source_column
     FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
     JOIN pg_class rc ON rc.oid = k.confrelid
     WHERE k.contype = 'f' AND n.nspname = 'public'`,
  );
  const keys = new Map<WarehouseTableName, Set<string>>();
  for (const fk of result.rows) {
    if (!(FACT_TABLE_NAMES as readonly string[]).includes(fk.source) || fk.target === 'dim_date') continue;
    const values = await client.query<{ v: string }>(
      `SELECT DISTINCT ${fk.source_column}::text AS v FROM public.${fk.source}`,
    );
    const set = keys.get(fk.target) ?? new Set<string>();
    for (const row of values.rows) set.add(row.v);
    keys.set(fk.target, set);
  }
  return keys;
}

/** Each order's fact rows are exactly the versions recorded in pipeline.fact_version, no more, no fewer. */
export async function historyDifferences(client: pg.ClientBase, table: FactTable): Promise<Difference[]> {
  const key = LAKE_TABLES[table].keyColumn;
  const result = await client.query<{ order_id: string }>(
    `SELECT coalesce(f.order_id, v.order_id)::text AS order_id
     FROM (SELECT ${key} AS order_id, count(*) AS n FROM public.${table} GROUP BY 1) AS f
     FULL JOIN (SELECT order_id, count(*) AS n FROM pipeline.fact_version WHERE fact_table = $1 GROUP BY 1) AS v
       ON v.order_id = f.order_id
     WHERE f.n IS DISTINCT FROM v.n`,
    [table],
  );
  return result.rows.map((r) => ({ table, key: r.order_id, kind: 'history' as const }));
}

/** dim_date rows are what the generator gives, and cover every date a fact references. */
export async function dateDifferences(
  client: pg.ClientBase,
): Promise<{ rows: number; differences: Difference[] }> {
  const differences: Difference[] = [];
  const rows = await textRows(client, 'SELECT * FROM public.dim_date', DIM_DATE_COLUMNS, 'date_id');
  for (const [date, row] of rows) {
    const expected = dimDateRow(date);
    const differing = DIM_DATE_COLUMNS.filter((c, i) => row[c] !== expected[i]);
    if (differing.length > 0)
      differences.push({ table: 'dim_date', key: date, kind: 'column-differs', columns: differing });
  }
  const dateColumns = await client.query<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns
     WHERE table_schema = 'public' AND table_name = ANY($1) AND data_type = 'date'`,
    [FACT_TABLE_NAMES],
  );
  for (const { table_name, column_name } of dateColumns.rows) {
    const missing = await client.query<{ d: string }>(
      `SELECT DISTINCT ${column_name}::text AS d FROM public.${table_name}
       WHERE ${column_name} NOT IN (SELECT date_id FROM public.dim_date)`,
    );
    for (const row of missing.rows)
      differences.push({ table: 'dim_date', key: row.d, kind: 'missing-in-warehouse' });
  }
  return { rows: rows.size, differences };
}
