/**
 * @module
 * Staging: each table's new rows COPYed into a temporary table shaped like the star table plus the
 * version columns, so every later step is set-based SQL. Streamed rows are COPYed a batch at a time as they
 * arrive, in one COPY per table; a batch of CSV records (core/csv-record.ts) is sent as it is.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { csvRecord } from '../core/csv-record.ts';
import type { RowBatch, StreamedTableRows, TableRows } from '../core/ports/warehouse.ts';
import {
  businessKey,
  loadedColumns,
  WAREHOUSE_FOREIGN_KEYS,
  type WarehouseTableName,
} from '../core/schema/warehouse-tables.ts';
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

/**
 * A temporary staging table shaped like the star table (no constraints) plus the version columns; COPY in.
 * Returns whether the table was staged: rows given whole always are; streamed rows only when a batch holds a
 * row (or for dim_date, whose upsert runs on every load).
 */
export async function stageRows(
  client: pg.ClientBase,
  rows: TableRows | StreamedTableRows,
): Promise<boolean> {
  const batches = 'batches' in rows ? rows.batches : oneBatch(rows);
  const iterator = batches[Symbol.asyncIterator]();
  try {
    return await stageBatches(client, rows, iterator);
  } finally {
    // A load that failed half-way must not leave the source's query open (a lake read holds a connection).
    await iterator.return?.();
  }
}

async function stageBatches(
  client: pg.ClientBase,
  rows: TableRows | StreamedTableRows,
  iterator: AsyncIterator<RowBatch>,
): Promise<boolean> {
  const table = rows.table;
  let next = await iterator.next();
  let first: RowBatch | undefined = next.done ? undefined : next.value;
  // Streamed batches with no row stage nothing until one holds a row.
  while ('batches' in rows && first !== undefined && batchSize(first) === 0) {
    next = await iterator.next();
    if (next.done) break;
    first = next.value;
  }
  if (first === undefined) return false;
  const empty = batchSize(first) === 0;
  if ('batches' in rows && empty && table !== 'dim_date') return false;
  const columns = first.columns;
  const known = new Set(loadedColumns(table).map((c) => c.name));
  for (const column of columns) {
    if (!known.has(column) && !(column in VERSION_TYPES)) {
      throw new WarehouseLoadError(
        `The batch's ${table} rows carry column "${column}", which ${table} lacks.`,
      );
    }
  }
  const starColumns = columns.filter((c) => known.has(c));
  const versionColumns = columns.filter((c) => c in VERSION_TYPES);
  const name = stagingTable(table);
  await client.query(
    `CREATE TEMP TABLE ${name} ON COMMIT DROP AS SELECT ${starColumns.join(', ')} FROM public.${table} WITH NO DATA`,
  );
  if (versionColumns.length > 0) {
    await client.query(
      `ALTER TABLE ${name} ${versionColumns.map((c) => `ADD COLUMN ${c} ${VERSION_TYPES[c]}`).join(', ')}`,
    );
  }
  if (empty) return true;
  // The COPY names the columns in the batch's own order, so records made elsewhere (a query engine's) go in as
  // they are.
  const copy = client.query(copyFrom(`COPY ${name} (${columns.join(', ')}) FROM STDIN (FORMAT csv)`));
  const head = first;
  async function* csv(): AsyncGenerator<string> {
    yield* batchCsv(head);
    for (;;) {
      const batch = await iterator.next();
      if (batch.done) return;
      if (batch.value.columns.join() !== columns.join())
        throw new WarehouseLoadError(`The batch's ${table} rows change columns from one batch to the next.`);
      yield* batchCsv(batch.value);
    }
  }
  await pipeline(Readable.from(csv()), copy);
  // Temporary tables are never auto-analysed: without statistics the joins below would be planned blind.
  // Only the columns they join or filter on (and the row count), from a sample of 3,000 rows (statistics
  // target 10; the default's 30,000-row sample of every text column cost more than the COPY did). The setting
  // lasts until the load's transaction ends, and only ANALYZE reads it.
  const planned = new Set([businessKey(table), ...referencingColumns(table), '_op', '_lsn', '_seq']);
  const analysed = [...starColumns, ...versionColumns].filter((c) => planned.has(c));
  await client.query('SET LOCAL default_statistics_target = 10');
  await client.query(`ANALYZE ${name} (${analysed.join(', ')})`);
  return true;
}

function batchSize(batch: RowBatch): number {
  return 'lines' in batch ? batch.lines.length : batch.rows.length;
}

/** A batch's CSV, {@link COPY_CHUNK_ROWS} records a chunk. */
function* batchCsv(batch: RowBatch): Generator<string> {
  if ('rows' in batch) {
    yield* csvChunks(batch.rows);
    return;
  }
  const { lines } = batch;
  for (let i = 0; i < lines.length; i += COPY_CHUNK_ROWS) {
    const end = Math.min(lines.length, i + COPY_CHUNK_ROWS);
    let chunk = '';
    for (let j = i; j < end; j++) chunk += `${lines[j]}\n`;
    yield chunk;
  }
}

/** The columns of `table` that reference a dimension (the fact appends check and infer them set-based). */
function referencingColumns(table: WarehouseTableName): string[] {
  return WAREHOUSE_FOREIGN_KEYS.filter((fk) => fk.table === table).map((fk) => fk.column);
}

async function* oneBatch(rows: TableRows): AsyncGenerator<RowBatch> {
  yield rows;
}

/** Rows as CSV records (core/csv-record.ts), {@link COPY_CHUNK_ROWS} a chunk. */
function* csvChunks(rows: readonly (readonly (string | null)[])[]): Generator<string> {
  // String appends into one chunk: this runs once per staged row, and an array joined per row was most of the
  // loader's garbage once.
  let chunk = '';
  let count = 0;
  for (const row of rows) {
    chunk += `${csvRecord(row)}\n`;
    if (++count === COPY_CHUNK_ROWS) {
      yield chunk;
      chunk = '';
      count = 0;
    }
  }
  if (chunk !== '') yield chunk;
}
