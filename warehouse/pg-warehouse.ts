/**
 * @module
 * The Warehouse port on PostgreSQL. One `load` is one transaction: take the load lock, check the cut is still
 * the batch's `fromCut`, COPY every table into temporary staging tables, upsert dimensions, infer missing
 * members, record deletes of orders and append fact versions not yet in `pipeline.fact_version`, delete
 * dimension rows deleted at the source that nothing references, record the cut, the load history and lag
 * samples, commit. Bulk only: COPY and
 * set-based SQL, never a row at a time.
 */
import pg from 'pg';
import type { Cut, TableRows } from '../core/ports/warehouse.ts';
import {
  CutMovedError,
  type LoaderBatch,
  type LoaderReport,
  type LoaderWarehouse,
} from '../loader/loader-warehouse.ts';
import { deleteDimensionRows, inferMembers, insertDates, upsertDimension } from './dimension-writes.ts';
import { appendFact, prepareFact, skipRowByRowChecks, verifyReferences } from './fact-append.ts';
import { measureLatency, record } from './load-record.ts';
import {
  type Client,
  type ColumnInfo,
  type FactTable,
  isFact,
  type StarSchema,
  WarehouseLoadError,
} from './star-schema-info.ts';
import { stage } from './star-staging.ts';
import { WAREHOUSE_TABLE_NAMES, type WarehouseTableName } from './warehouse-tables.ts';

/** Advisory lock key serialising loads of one warehouse (any value unique to the loader). */
const LOAD_LOCK = 7_316_005;

/** How to reach the warehouse. */
export interface PgWarehouseOptions {
  readonly url: string;
  /** `require`: TLS with certificate verification (RDS: set NODE_EXTRA_CA_CERTS to its CA bundle). */
  readonly tls?: 'require' | 'disable';
  /** Connections in the pool. @default 2 */
  readonly maxConnections?: number;
  /** Runs inside the load transaction just before COMMIT; tests use it to crash a load half-way. */
  readonly beforeCommit?: () => Promise<void>;
}

/** The PostgreSQL star-schema warehouse (schema from warehouse/warehouse-migration.ts). */
export class PgWarehouse implements LoaderWarehouse {
  readonly #pool: pg.Pool;
  readonly #beforeCommit: (() => Promise<void>) | undefined;
  #schema: StarSchema | undefined;

  constructor(options: PgWarehouseOptions) {
    this.#pool = new pg.Pool({
      connectionString: options.url,
      max: options.maxConnections ?? 2,
      ssl: options.tls === 'require' ? { rejectUnauthorized: true } : undefined,
    });
    this.#beforeCommit = options.beforeCommit;
    // An idle connection dropped by the server must not crash the process; the next query reconnects.
    this.#pool.on('error', () => undefined);
  }

  async currentCut(): Promise<Cut | null> {
    const result = await this.#pool.query<{ lsn: string; commit_ts: string | null }>(
      `SELECT lsn::text AS lsn,
         to_char(commit_ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS commit_ts
       FROM pipeline.cut WHERE id = 1`,
    );
    const row = result.rows[0];
    return row ? { lsn: row.lsn, commitTs: row.commit_ts } : null;
  }

  async rowCounts(): Promise<Readonly<Record<WarehouseTableName, number>>> {
    const sql = WAREHOUSE_TABLE_NAMES.map(
      (t) => `SELECT '${t}' AS table_name, count(*)::bigint AS n FROM public.${t}`,
    ).join(' UNION ALL ');
    const result = await this.#pool.query<{ table_name: WarehouseTableName; n: string }>(sql);
    return Object.fromEntries(result.rows.map((r) => [r.table_name, Number(r.n)])) as Record<
      WarehouseTableName,
      number
    >;
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  async load(batch: LoaderBatch): Promise<LoaderReport> {
    const client = await this.#pool.connect();
    const startedAt = new Date();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [LOAD_LOCK]);
      await this.#checkCut(client, batch.fromCut);
      const schema = await this.#starSchema(client);
      const rowsWritten: Partial<Record<WarehouseTableName, number>> = {};
      const staged = new Map<WarehouseTableName, TableRows>();
      for (const rows of batch.tables) {
        if (!(WAREHOUSE_TABLE_NAMES as readonly string[]).includes(rows.table)) {
          throw new WarehouseLoadError(`The batch holds an unknown table "${rows.table}".`);
        }
        await stage(client, schema, rows);
        staged.set(rows.table, rows);
      }
      for (const rows of batch.tables) {
        if (rows.table === 'dim_date') rowsWritten.dim_date = await insertDates(client, schema);
        else if (!isFact(rows.table))
          rowsWritten[rows.table] = await upsertDimension(client, schema, rows.table);
      }
      const facts = batch.tables.filter((t) => isFact(t.table)).map((t) => t.table as FactTable);
      const deletions: Partial<Record<FactTable, number>> = {};
      for (const fact of facts) deletions[fact] = await prepareFact(client, schema, fact);
      const inferredMembers = await inferMembers(client, schema, facts);
      await verifyReferences(client, schema, facts);
      const checksOff = await skipRowByRowChecks(client);
      for (const fact of facts) {
        rowsWritten[fact] = (await appendFact(client, schema, fact)) + (deletions[fact] ?? 0);
      }
      if (checksOff) await client.query('SET LOCAL session_replication_role = origin');
      for (const rows of batch.tables) {
        if (rows.table !== 'dim_date' && !isFact(rows.table)) {
          const deleted = await deleteDimensionRows(client, schema, rows.table);
          if (deleted > 0) rowsWritten[rows.table] = (rowsWritten[rows.table] ?? 0) + deleted;
        }
      }
      const latency = await measureLatency(client, [...staged.keys()], batch.fromCut, batch.toCut);
      await record(client, batch, startedAt, rowsWritten, inferredMembers, latency);
      await this.#beforeCommit?.();
      await client.query('COMMIT');
      return { rowsWritten, inferredMembers, latency };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (error instanceof CutMovedError || error instanceof WarehouseLoadError) throw error;
      throw new WarehouseLoadError(
        `Loading the warehouse to cut ${batch.toCut.lsn} failed and was rolled back: ${(error as Error).message}`,
        { cause: error },
      );
    } finally {
      client.release();
    }
  }

  async #checkCut(client: Client, expected: Cut | null): Promise<void> {
    const result = await client.query<{ lsn: string }>(
      'SELECT lsn::text AS lsn FROM pipeline.cut WHERE id = 1',
    );
    const current = result.rows[0]?.lsn ?? null;
    if (current !== (expected?.lsn ?? null)) {
      throw new CutMovedError(
        `The warehouse is at cut ${current ?? 'none'}, not ${expected?.lsn ?? 'none'} as this batch assumed: ` +
          'another loader run got there first. Nothing was written; the next run starts from the new cut.',
      );
    }
  }

  async #starSchema(client: Client): Promise<StarSchema> {
    if (this.#schema) return this.#schema;
    const columns = await client.query<{
      table_name: string;
      column_name: string;
      data_type: string;
      nullable: boolean;
    }>(
      `SELECT table_name, column_name, data_type, is_nullable = 'YES' AS nullable
       FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ANY($1)
       ORDER BY table_name, ordinal_position`,
      [WAREHOUSE_TABLE_NAMES],
    );
    const keys = await client.query<{ table_name: string; column_name: string }>(
      `SELECT c.relname AS table_name, a.attname AS column_name
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
       WHERE i.indisprimary AND n.nspname = 'public' AND c.relname = ANY($1)`,
      [WAREHOUSE_TABLE_NAMES],
    );
    const fks = await client.query<{
      table_name: string;
      column_name: string;
      target: string;
      target_column: string;
    }>(
      `SELECT c.relname AS table_name, a.attname AS column_name, rc.relname AS target, ra.attname AS target_column
       FROM pg_constraint k
       JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
       JOIN pg_class rc ON rc.oid = k.confrelid
       JOIN pg_attribute ra ON ra.attrelid = k.confrelid AND ra.attnum = k.confkey[1]
       WHERE k.contype = 'f' AND n.nspname = 'public' AND c.relname = ANY($1)
       ORDER BY c.relname, a.attname`,
      [WAREHOUSE_TABLE_NAMES],
    );
    const byTable = new Map<WarehouseTableName, ColumnInfo[]>();
    for (const row of columns.rows) {
      const list = byTable.get(row.table_name as WarehouseTableName) ?? [];
      list.push({ name: row.column_name, dataType: row.data_type, nullable: row.nullable });
      byTable.set(row.table_name as WarehouseTableName, list);
    }
    const missing = WAREHOUSE_TABLE_NAMES.filter((t) => !byTable.has(t));
    if (missing.length > 0) {
      throw new WarehouseLoadError(
        `The warehouse lacks the star tables ${missing.join(', ')}; run the warehouse migration first.`,
      );
    }
    this.#schema = {
      columns: byTable,
      primaryKeys: new Map(keys.rows.map((r) => [r.table_name as WarehouseTableName, r.column_name])),
      foreignKeys: fks.rows.map((r) => ({
        table: r.table_name as WarehouseTableName,
        column: r.column_name,
        target: r.target as WarehouseTableName,
        targetColumn: r.target_column,
      })),
    };
    return this.#schema;
  }
}

export { WarehouseLoadError };
