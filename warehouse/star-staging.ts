/**
 * @module
 * Staging: each table's new rows COPYed into a temporary table shaped like the star table plus the
 * version columns, so every later step is set-based SQL.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { TableRows } from '../core/ports/warehouse.ts';
import { loadedColumns, type WarehouseTableName } from '../core/schema/warehouse-tables.ts';
import { WarehouseLoadError } from './warehouse-load-error.ts';

/** Rows per COPY chunk written to the socket. */
export const COPY_CHUNK_ROWS = 2_000;

/** The temporary staging table of a star table. */
export function stagingTable(table: WarehouseTableName): string {
  return `stage_${table}`;
}

/** The version columns a batch's rows may carry besides the star columns, with their staging types. */
export const VERSION_TYPES: Readonly<Record<string, string>> = {
  _op: 'text',
  _lsn: 'numeric(20,0)',
  _seq: 'integer',
  _commit_ts: 'timestamp(3)',
  _unchanged: 'text',
};

/** A temporary staging table shaped like the star table (no constraints) plus the version columns; COPY in. */
export async function stageRows(client: pg.ClientBase, rows: TableRows): Promise<void> {
  const table = rows.table;
  const known = new Set(loadedColumns(table).map((c) => c.name));
  for (const column of rows.columns) {
    if (!known.has(column) && !(column in VERSION_TYPES)) {
      throw new WarehouseLoadError(
        `The batch's ${table} rows carry column "${column}", which ${table} lacks.`,
      );
    }
  }
  const starColumns = rows.columns.filter((c) => known.has(c));
  const versionColumns = rows.columns.filter((c) => c in VERSION_TYPES);
  const name = stagingTable(table);
  await client.query(
    `CREATE TEMP TABLE ${name} ON COMMIT DROP AS SELECT ${starColumns.join(', ')} FROM public.${table} WITH NO DATA`,
  );
  if (versionColumns.length > 0) {
    await client.query(
      `ALTER TABLE ${name} ${versionColumns.map((c) => `ADD COLUMN ${c} ${VERSION_TYPES[c]}`).join(', ')}`,
    );
  }
  if (rows.rows.length === 0) return;
  const order = [...starColumns, ...versionColumns].map((c) => rows.columns.indexOf(c));
  const copy = client.query(
    copyFrom(`COPY ${name} (${[...starColumns, ...versionColumns].join(', ')}) FROM STDIN (FORMAT csv)`),
  );
  await pipeline(Readable.from(csvChunks(rows.rows, order)), copy);
  // Temporary tables are never auto-analysed: without statistics the joins below would be planned blind.
  await client.query(`ANALYZE ${name}`);
}

export function* csvChunks(
  rows: readonly (readonly (string | null)[])[],
  order: readonly number[],
): Generator<string> {
  let chunk = '';
  let count = 0;
  for (const row of rows) {
    chunk += `${order.map((i) => csvField(row[i] ?? null)).join(',')}\n`;
    if (++count === COPY_CHUNK_ROWS) {
      yield chunk;
      chunk = '';
      count = 0;
    }
  }
  if (chunk !== '') yield chunk;
}

/** CSV field: NULL is an unquoted empty field, every value is quoted (so '' stays an empty string). */
export function csvField(value: string | null): string {
  return value === null ? '' : `"${value.replaceAll('"', '""')}"`;
}
