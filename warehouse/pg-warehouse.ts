/**
 * @module
 * The Warehouse port on PostgreSQL. One `load` is one transaction: take the load lock, check the cut is still
 * the batch's `fromCut`, COPY every table into temporary staging tables, upsert dimensions, infer missing
 * members, record deletes of orders and append the fact versions not loaded yet (each fact row holds its own
 * version), delete dimension rows deleted at the source that nothing references, record the cut, the load
 * history and lag samples, commit. Bulk only: COPY and set-based SQL, never a row at a time.
 */
import type pg from 'pg';
import { formatLsn } from '../core/lsn.ts';
import {
  type Cut,
  CutMovedError,
  type LoadBatch,
  type LoadReport,
  type Warehouse,
} from '../core/ports/warehouse.ts';
import {
  type DimensionTableName,
  type FactTableName,
  isFactTable,
  isWarehouseTableName,
  WAREHOUSE_TABLES,
  type WarehouseTableName,
} from '../core/schema/warehouse-tables.ts';
import { createClient, createPool } from '../postgres/connections.ts';
import { deleteDimensionRows, inferMembers, insertDates, upsertDimension } from './dimension-writes.ts';
import { appendFact, prepareFact, skipRowByRowChecks, verifyReferences } from './fact-append.ts';
import { measureLatency, recordLoad } from './load-record.ts';
import { stageRows } from './star-staging.ts';
import { WarehouseLoadError } from './warehouse-load-error.ts';

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

/** PostgreSQL error code of a missing relation. */
const UNDEFINED_TABLE = '42P01';

/**
 * The PostgreSQL star-schema warehouse. Its tables are the typed star schema (`core/schema/warehouse-tables.ts`)
 * as `warehouse/warehouse-migration.ts` creates them; every statement takes its identifiers from there.
 */
export class PgWarehouse implements Warehouse {
  readonly #pool: pg.Pool;
  readonly #connection: pg.ClientConfig;
  readonly #beforeCommit: (() => Promise<void>) | undefined;

  constructor(options: PgWarehouseOptions) {
    this.#connection = {
      connectionString: options.url,
      ssl: options.tls === 'require' ? { rejectUnauthorized: true } : undefined,
    };
    this.#pool = createPool({ ...this.#connection, max: options.maxConnections ?? 2 });
    this.#beforeCommit = options.beforeCommit;
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

  async *currentKeys(
    table: FactTableName | DimensionTableName,
    batchRows: number,
  ): AsyncGenerator<readonly string[]> {
    if (!Number.isInteger(batchRows) || batchRows <= 0)
      throw new RangeError(`currentKeys reads a positive whole number of keys at a time, not ${batchRows}.`);
    const spec = WAREHOUSE_TABLES[table];
    const [key, from] = spec.kind === 'fact' ? [spec.orderKey, spec.currentView] : [spec.primaryKey, table];
    // A cursor in a read-only snapshot: the keys a batch at a time, all as of the same moment. On a connection
    // of its own, not the pool's: a load in progress holds the pool's (the loader Lambda's only one) while it
    // reads a re-read's window, which reads these keys (loader/complete-reads.ts).
    const client = createClient(this.#connection);
    await client.connect();
    let open = false;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      open = true;
      await client.query(
        `DECLARE current_keys NO SCROLL CURSOR FOR SELECT ${key}::text AS key FROM public.${from} ORDER BY ${key}`,
      );
      for (;;) {
        const result = await client.query<{ key: string }>(`FETCH ${batchRows} FROM current_keys`);
        if (result.rows.length === 0) break;
        yield result.rows.map((row) => row.key);
      }
      await client.query('COMMIT');
      open = false;
    } finally {
      if (open) await client.query('ROLLBACK').catch(() => undefined);
      await client.end().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  async load(batch: LoadBatch): Promise<LoadReport> {
    const client = await this.#pool.connect();
    const startedAt = new Date();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [LOAD_LOCK]);
      await this.#checkCut(client, batch.fromCut);
      const rowsWritten: Partial<Record<WarehouseTableName, number>> = {};
      // In the batch's order; a streamed table with no row is not staged.
      const staged = new Set<WarehouseTableName>();
      for (const rows of batch.tables) {
        if (!isWarehouseTableName(rows.table)) {
          throw new WarehouseLoadError(`The batch holds an unknown table "${rows.table}".`);
        }
        if (await stageRows(client, rows)) staged.add(rows.table);
      }
      const dimensions = [...staged].filter((t) => !isFactTable(t));
      for (const table of dimensions) {
        rowsWritten[table] =
          table === 'dim_date' ? await insertDates(client) : await upsertDimension(client, table);
      }
      const facts = [...staged].filter((t): t is FactTableName => isFactTable(t));
      const deletions: Partial<Record<FactTableName, number>> = {};
      for (const fact of facts) deletions[fact] = await prepareFact(client, fact);
      const inferredMembers = await inferMembers(client, facts);
      await verifyReferences(client, facts);
      const checksOff = await skipRowByRowChecks(client);
      for (const fact of facts) {
        rowsWritten[fact] = (await appendFact(client, fact)) + (deletions[fact] ?? 0);
      }
      if (checksOff) await client.query('SET LOCAL session_replication_role = origin');
      for (const table of dimensions) {
        if (table !== 'dim_date') {
          const deleted = await deleteDimensionRows(client, table);
          if (deleted > 0) rowsWritten[table] = (rowsWritten[table] ?? 0) + deleted;
        }
      }
      const latency = await measureLatency(client, [...staged], batch.fromCut, batch.toCut);
      await recordLoad(client, batch, startedAt, rowsWritten, inferredMembers, latency);
      await this.#beforeCommit?.();
      await client.query('COMMIT');
      return { rowsWritten, inferredMembers, latency: latency.summary };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (error instanceof CutMovedError || error instanceof WarehouseLoadError) throw error;
      if ((error as { code?: string }).code === UNDEFINED_TABLE) {
        throw new WarehouseLoadError(
          `The warehouse lacks a table the load needs (${(error as Error).message}); run the warehouse ` +
            'migration first (`totesys-stream up` or `sync` runs it), or check the warehouse URL.',
          { cause: error },
        );
      }
      throw new WarehouseLoadError(
        `Loading the warehouse to cut ${formatLsn(BigInt(batch.toCut.lsn))} failed and was rolled back: ${(error as Error).message}`,
        { cause: error },
      );
    } finally {
      client.release();
    }
  }

  async #checkCut(client: pg.ClientBase, expected: Cut | null): Promise<void> {
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
}

export { WarehouseLoadError };
