/**
 * @module
 * The warehouse side of reconcile, read inside one repeatable-read transaction with the cut: dimension rows,
 * each order's current state through the `current_*` views (deleted orders left out), the dimension keys fact
 * history references, and the generated dim_date.
 */
import type pg from 'pg';
import {
  businessKey,
  FACT_TABLE_NAMES,
  isFactTable,
  loadedColumns,
  WAREHOUSE_FOREIGN_KEYS,
  WAREHOUSE_TABLES,
  type WarehouseTableName,
} from '../../core/schema/warehouse-tables.ts';
import { DIM_DATE_COLUMNS, dimDateRow } from '../../loader/dim-date.ts';
import type { SourcedTable } from './source-star.ts';
import type { Difference } from './star-comparison.ts';
import { type StarRows, textRows } from './star-rows.ts';

/** The compared columns of a star table: all of them but a fact's surrogate record id. */
export function comparedColumns(table: SourcedTable): string[] {
  return loadedColumns(table).map((c) => c.name);
}

/** A dimension's rows, or a fact's current rows (one per order, deleted ones left out). */
export async function warehouseRows(
  client: pg.ClientBase,
  table: SourcedTable,
  columns: readonly string[],
): Promise<StarRows> {
  const definition = WAREHOUSE_TABLES[table];
  const from = definition.kind === 'fact' ? definition.currentView : table;
  return textRows(client, `SELECT * FROM public.${from}`, columns, businessKey(table));
}

/** Dimension keys some fact row references (the history keeps them), per dimension. */
export async function referencedKeys(client: pg.ClientBase): Promise<Map<WarehouseTableName, Set<string>>> {
  const keys = new Map<WarehouseTableName, Set<string>>();
  for (const fk of WAREHOUSE_FOREIGN_KEYS) {
    if (!isFactTable(fk.table) || fk.target === 'dim_date') continue;
    const values = await client.query<{ v: string }>(
      `SELECT DISTINCT ${fk.column}::text AS v FROM public.${fk.table}`,
    );
    const set = keys.get(fk.target) ?? new Set<string>();
    for (const row of values.rows) set.add(row.v);
    keys.set(fk.target, set);
  }
  return keys;
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
  for (const table of FACT_TABLE_NAMES) {
    for (const column of WAREHOUSE_TABLES[table].columns.filter((c) => c.type === 'date')) {
      const missing = await client.query<{ d: string }>(
        `SELECT DISTINCT ${column.name}::text AS d FROM public.${table}
         WHERE ${column.name} NOT IN (SELECT date_id FROM public.dim_date)`,
      );
      for (const row of missing.rows)
        differences.push({ table: 'dim_date', key: row.d, kind: 'missing-in-warehouse' });
    }
  }
  return { rows: rows.size, differences };
}
