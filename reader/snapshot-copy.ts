/**
 * @module
 * Exact snapshot points and table copies under them.
 *
 * `CREATE_REPLICATION_SLOT ... (SNAPSHOT 'export')` returns the slot's consistent point and the name of a
 * snapshot that sees exactly the transactions committed before it. While the replication connection that made
 * it stays open and idle, other connections can adopt the snapshot with `SET TRANSACTION SNAPSHOT` and COPY the
 * tables: every row is then either in the copy or in the stream after the consistent point, never both and
 * never neither.
 */
import { StringDecoder } from 'node:string_decoder';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { RowImage, SourceValue } from '../core/change-event.ts';
import { type Lsn, parseLsn } from '../core/lsn.ts';
import { type Clock, SYSTEM_CLOCK } from '../core/ports/clock.ts';
import { SOURCE_TABLES, type SourceTableName } from '../core/schema/source-tables.ts';
import { createClient } from '../postgres/connections.ts';
import { readerConnection, unescapeCopyField, type ValueDecoder, valueDecoder } from './source-values.ts';

/** A snapshot held open by its replication connection. */
export interface ExportedSnapshot {
  readonly slot: string;
  /** Changes committed after this LSN are not in the snapshot; the slot streams them. */
  readonly consistentPoint: Lsn;
  readonly snapshotName: string;
  /** When the snapshot was taken: the `commit_ts` of its `r` events. */
  readonly takenAt: Date;
  /**
   * Runs one statement on the replication connection (simple protocol: no parameters, so literals must be
   * escaped). A temporary slot can only be read by the connection that created it, and the exported snapshot
   * is gone once this connection runs anything, so adopt the snapshot first.
   */
  query<R extends pg.QueryResultRow>(sql: string): Promise<pg.QueryResult<R>>;
  /** Closes the replication connection: the snapshot (and a temporary slot) goes away. */
  close(): Promise<void>;
}

/** The slot or snapshot could not be created. */
export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
}

/**
 * Creates a logical slot (pgoutput) with an exported snapshot. A temporary slot only marks an exact point for
 * a re-read and disappears with the connection.
 */
export async function createExportedSnapshot(
  connection: pg.ClientConfig,
  slot: string,
  temporary: boolean,
  clock: Clock = SYSTEM_CLOCK,
): Promise<ExportedSnapshot> {
  const client = createClient({
    ...readerConnection(connection),
    replication: 'database',
  } as pg.ClientConfig);
  await client.connect();
  try {
    const result = await client.query<{ consistent_point: string; snapshot_name: string }>(
      `CREATE_REPLICATION_SLOT ${client.escapeIdentifier(slot)} ${temporary ? 'TEMPORARY ' : ''}` +
        "LOGICAL pgoutput (SNAPSHOT 'export')",
    );
    const row = result.rows[0]!;
    return {
      slot,
      consistentPoint: parseLsn(row.consistent_point),
      snapshotName: row.snapshot_name,
      takenAt: new Date(clock.now()),
      query: (sql) => client.query(sql),
      close: () => client.end().catch(() => undefined),
    };
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new SnapshotError(
      `Could not create replication slot "${slot}" with an exported snapshot: ${(error as Error).message}. ` +
        'Check max_replication_slots and max_wal_senders have room, and that the role has REPLICATION ' +
        '(RDS: rds_replication).',
      { cause: error },
    );
  }
}

/** Receives the copied rows of one table in order, a batch at a time; awaited (backpressure). */
export type RowSink = (rows: readonly RowImage[], bytes: number) => Promise<void>;

/** Options of {@link copyTable}. */
export interface CopyTableOptions {
  readonly connection: pg.ClientConfig;
  readonly snapshotName: string;
  readonly table: SourceTableName;
  /** Approximate bytes of rows per sink call. */
  readonly batchBytes: number;
  readonly sink: RowSink;
}

/**
 * Copies one table under the snapshot with `COPY ... TO STDOUT` (text format), decoding every value with the
 * stream path's decoders. Returns the number of rows.
 */
export async function copyTable(options: CopyTableOptions): Promise<number> {
  const client = createClient(readerConnection(options.connection));
  await client.connect();
  let sinkFailed = false;
  const sink: RowSink = async (rows, bytes) => {
    try {
      await options.sink(rows, bytes);
    } catch (error) {
      sinkFailed = true;
      throw error;
    }
  };
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`SET TRANSACTION SNAPSHOT ${client.escapeLiteral(options.snapshotName)}`);
    const columns = await columnDecoders(client, options.table);
    const names = columns.map((column) => column.name);
    const sql = `COPY public.${client.escapeIdentifier(options.table)} (${names.map((n) => client.escapeIdentifier(n)).join(', ')}) TO STDOUT`;
    const stream = client.query(copyTo(sql));
    const decoder = new StringDecoder('utf8');
    let pending = '';
    let batch: RowImage[] = [];
    let batchBytes = 0;
    let rows = 0;
    for await (const chunk of stream) {
      const text = pending + decoder.write(chunk as Buffer);
      let start = 0;
      for (;;) {
        const end = text.indexOf('\n', start);
        if (end < 0) break;
        batch.push(decodeRow(text, start, end, columns, options.table));
        batchBytes += end - start + 16 * columns.length;
        start = end + 1;
        rows += 1;
        if (batchBytes >= options.batchBytes) {
          await sink(batch, batchBytes);
          batch = [];
          batchBytes = 0;
        }
      }
      pending = text.slice(start);
    }
    if (pending.length > 0 || decoder.end().length > 0) {
      throw new SnapshotError(`COPY of table ${options.table} ended in the middle of a row.`);
    }
    if (batch.length > 0) await sink(batch, batchBytes);
    await client.query('COMMIT');
    return rows;
  } catch (error) {
    // Errors of the sink (the ChangeStream) are the caller's own; only database errors get wrapped here.
    if (error instanceof SnapshotError || sinkFailed) throw error;
    throw new SnapshotError(
      `Could not copy table ${options.table} under snapshot ${options.snapshotName}: ${(error as Error).message}. ` +
        'An exported snapshot only lives while the connection that created it is open.',
      { cause: error },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

interface ColumnDecoder {
  readonly name: string;
  readonly decode: ValueDecoder;
}

/** The table's columns in catalog order with their decoders, checked against source-tables.ts. */
async function columnDecoders(client: pg.Client, table: SourceTableName): Promise<ColumnDecoder[]> {
  const result = await client.query<{ name: string; oid: number }>(
    `SELECT attname AS name, atttypid::int AS oid FROM pg_attribute
      WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [`public.${client.escapeIdentifier(table)}`],
  );
  const known = new Set(SOURCE_TABLES[table].columns.map((column) => column.name));
  // Identifiers only from the known list: a column the catalog has but source-tables.ts lacks is skipped.
  return result.rows
    .filter((row) => known.has(row.name))
    .map((row) => ({ name: row.name, decode: valueDecoder(row.oid) }));
}

/** Decodes the COPY text line `text[start, end)` straight into a row, without splitting it first. */
function decodeRow(
  text: string,
  start: number,
  end: number,
  columns: readonly ColumnDecoder[],
  table: SourceTableName,
): RowImage {
  const row: Record<string, SourceValue> = {};
  let pos = start;
  const last = columns.length - 1;
  for (let i = 0; i <= last; i++) {
    const tab = text.indexOf('\t', pos);
    const stop = i === last ? end : tab;
    if ((i < last && (tab < 0 || tab >= end)) || (i === last && tab >= 0 && tab < end)) {
      throw new SnapshotError(
        `COPY of table ${table} returned a row whose field count is not ${columns.length}.`,
      );
    }
    const column = columns[i]!;
    const raw = text.slice(pos, stop);
    row[column.name] =
      raw === '\\N' ? null : column.decode(raw.includes('\\') ? unescapeCopyField(raw) : raw);
    pos = stop + 1;
  }
  return row;
}
