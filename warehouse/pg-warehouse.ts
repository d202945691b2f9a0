/**
 * @module
 * The Warehouse port on PostgreSQL. One `load` is one transaction: take the load lock, check the cut is still
 * the batch's `fromCut`, COPY every table into temporary staging tables, upsert dimensions, infer missing
 * members, append fact versions not yet in `pipeline.fact_version`, delete dimension rows deleted at the source
 * that nothing references, record the cut, the load history and lag samples, commit. Bulk only: COPY and
 * set-based SQL, never a row at a time.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Cut, TableRows } from '../core/ports/warehouse.ts';
import { LAKE_TABLES } from '../glue/index.ts';
import {
  CutMovedError,
  type InferredMember,
  type LoaderBatch,
  type LoaderReport,
  type LoaderWarehouse,
  type LoadLatency,
} from '../loader/loader-warehouse.ts';
import { FACT_TABLE_NAMES, WAREHOUSE_TABLE_NAMES, type WarehouseTableName } from './warehouse-tables.ts';

/** Advisory lock key serialising loads of one warehouse (any value unique to the loader). */
const LOAD_LOCK = 7_316_005;
/** Rows per COPY chunk written to the socket. */
const COPY_CHUNK_ROWS = 2_000;

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

/** A load that failed; the transaction was rolled back and the warehouse is unchanged. */
export class WarehouseLoadError extends Error {
  override readonly name = 'WarehouseLoadError';
}

interface ColumnInfo {
  readonly name: string;
  readonly dataType: string;
  readonly nullable: boolean;
}

interface ForeignKey {
  readonly table: WarehouseTableName;
  readonly column: string;
  readonly target: WarehouseTableName;
  readonly targetColumn: string;
}

interface StarSchema {
  readonly columns: ReadonlyMap<WarehouseTableName, readonly ColumnInfo[]>;
  readonly primaryKeys: ReadonlyMap<WarehouseTableName, string>;
  readonly foreignKeys: readonly ForeignKey[];
}

type Client = pg.PoolClient;

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
      for (const fact of facts) await prepareFact(client, schema, fact);
      const inferredMembers = await inferMembers(client, schema, facts);
      await verifyReferences(client, schema, facts);
      const checksOff = await skipRowByRowChecks(client);
      for (const fact of facts) rowsWritten[fact] = await appendFact(client, schema, fact);
      if (checksOff) await client.query('SET LOCAL session_replication_role = origin');
      for (const rows of batch.tables) {
        if (rows.table !== 'dim_date' && !isFact(rows.table)) {
          const deleted = await deleteDimensionRows(client, schema, rows.table);
          if (deleted > 0) rowsWritten[rows.table] = (rowsWritten[rows.table] ?? 0) + deleted;
        }
      }
      const latency = await measureLatency(client, [...staged.keys()], batch.fromCut);
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

type FactTable = (typeof FACT_TABLE_NAMES)[number];

function isFact(table: WarehouseTableName): table is FactTable {
  return (FACT_TABLE_NAMES as readonly string[]).includes(table);
}

function stageName(table: WarehouseTableName): string {
  return `stage_${table}`;
}

/** Star columns of a table that the loader writes (everything but a fact's surrogate record id). */
function dataColumns(schema: StarSchema, table: WarehouseTableName): readonly ColumnInfo[] {
  const all = schema.columns.get(table) ?? [];
  return isFact(table) ? all.filter((c) => c.name !== schema.primaryKeys.get(table)) : all;
}

const VERSION_TYPES: Readonly<Record<string, string>> = {
  _op: 'text',
  _lsn: 'numeric(20,0)',
  _seq: 'integer',
  _commit_ts: 'timestamp(3)',
  _unchanged: 'text',
};

/** A temporary staging table shaped like the star table (no constraints) plus the version columns; COPY in. */
async function stage(client: Client, schema: StarSchema, rows: TableRows): Promise<void> {
  const table = rows.table;
  const known = new Set(dataColumns(schema, table).map((c) => c.name));
  for (const column of rows.columns) {
    if (!known.has(column) && !(column in VERSION_TYPES)) {
      throw new WarehouseLoadError(
        `The batch's ${table} rows carry column "${column}", which ${table} lacks.`,
      );
    }
  }
  const starColumns = rows.columns.filter((c) => known.has(c));
  const versionColumns = rows.columns.filter((c) => c in VERSION_TYPES);
  const name = stageName(table);
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

function* csvChunks(
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
function csvField(value: string | null): string {
  return value === null ? '' : `"${value.replaceAll('"', '""')}"`;
}

async function insertDates(client: Client, schema: StarSchema): Promise<number> {
  const columns = dataColumns(schema, 'dim_date').map((c) => c.name);
  const result = await client.query(
    `INSERT INTO public.dim_date (${columns.join(', ')}) SELECT ${columns.join(', ')} FROM ${stageName('dim_date')}
     ON CONFLICT (date_id) DO NOTHING`,
  );
  return result.rowCount ?? 0;
}

/** SET list that keeps the current value of each column named in `_unchanged`. */
function keepUnchanged(columns: readonly string[], current: string, staged: string): string {
  return columns
    .map(
      (c) =>
        `${c} = CASE WHEN '${c}' = ANY (string_to_array(${staged}._unchanged, ',')) THEN ${current}.${c} ELSE ${staged}.${c} END`,
    )
    .join(', ');
}

/** Latest version wins; unchanged-TOAST columns keep the warehouse's value; a real row replaces an inferred one. */
async function upsertDimension(
  client: Client,
  schema: StarSchema,
  table: WarehouseTableName,
): Promise<number> {
  const key = schema.primaryKeys.get(table);
  const name = stageName(table);
  const columns = dataColumns(schema, table).map((c) => c.name);
  const others = columns.filter((c) => c !== key);
  await client.query(
    `UPDATE ${name} AS s SET ${keepUnchanged(others, 'd', 's')}
     FROM public.${table} AS d WHERE d.${key} = s.${key} AND s._unchanged IS NOT NULL AND s._op <> 'd'`,
  );
  const result = await client.query(
    `INSERT INTO public.${table} AS d (${columns.join(', ')})
     SELECT ${columns.join(', ')} FROM ${name} WHERE _op <> 'd'
     ON CONFLICT (${key}) DO UPDATE SET ${others.map((c) => `${c} = excluded.${c}`).join(', ')}`,
  );
  await client.query(
    `DELETE FROM pipeline.inferred_member WHERE dimension = $1
     AND member_id IN (SELECT ${key}::text FROM ${name} WHERE _op <> 'd')`,
    [table],
  );
  return result.rowCount ?? 0;
}

/**
 * A dimension row deleted at the source goes when no fact row references it; a referenced one stays (the
 * facts' history still needs it). Runs after the facts are appended so this batch's references count.
 */
async function deleteDimensionRows(
  client: Client,
  schema: StarSchema,
  table: WarehouseTableName,
): Promise<number> {
  const key = schema.primaryKeys.get(table);
  const references = schema.foreignKeys
    .filter((fk) => fk.target === table)
    .map((fk) => `NOT EXISTS (SELECT 1 FROM public.${fk.table} AS f WHERE f.${fk.column} = d.${key})`);
  const result = await client.query(
    `DELETE FROM public.${table} AS d USING ${stageName(table)} AS s
     WHERE s._op = 'd' AND d.${key} = s.${key}${references.map((r) => ` AND ${r}`).join('')}`,
  );
  return result.rowCount ?? 0;
}

function orderColumn(table: FactTable): string {
  return LAKE_TABLES[table].keyColumn;
}

/** The latest loaded version of each order staged for `table`, as a join-able subquery aliased `w`. */
function latestLoaded(schema: StarSchema, table: FactTable): string {
  const recordId = schema.primaryKeys.get(table);
  return `(SELECT f.* FROM public.${table} AS f JOIN (
      SELECT DISTINCT ON (order_id) record_id FROM pipeline.fact_version
      WHERE fact_table = '${table}' AND order_id IN (SELECT ${orderColumn(table)} FROM ${stageName(table)})
      ORDER BY order_id, lsn DESC, seq DESC
    ) AS v ON v.record_id = f.${recordId}) AS w`;
}

/**
 * Before appending: drop versions already loaded (the anti-join that makes replays harmless), fill the
 * unchanged-TOAST columns of each order's first staged version from its latest loaded version, and drop a
 * snapshot re-read identical to that version.
 */
async function prepareFact(client: Client, schema: StarSchema, table: FactTable): Promise<void> {
  const name = stageName(table);
  const order = orderColumn(table);
  const columns = dataColumns(schema, table).map((c) => c.name);
  await client.query(
    `DELETE FROM ${name} AS s USING pipeline.fact_version AS v
     WHERE v.fact_table = $1 AND v.order_id = s.${order} AND v.lsn = s._lsn AND v.seq = s._seq`,
    [table],
  );
  await client.query(
    `UPDATE ${name} AS s SET ${keepUnchanged(
      columns.filter((c) => c !== order),
      'w',
      's',
    )}
     FROM ${latestLoaded(schema, table)} WHERE w.${order} = s.${order} AND s._unchanged IS NOT NULL`,
  );
  // Only an order's first staged version is compared with the warehouse; later re-reads were compared with
  // their predecessor in the batch already (loader/load-batch.ts).
  const same = columns.map((c) => `s.${c} IS NOT DISTINCT FROM w.${c}`).join(' AND ');
  await client.query(
    `DELETE FROM ${name} WHERE ctid IN (
       SELECT s.ctid FROM (
         SELECT DISTINCT ON (${order}) ctid, * FROM ${name} ORDER BY ${order}, _lsn, _seq
       ) AS s JOIN ${latestLoaded(schema, table)} ON w.${order} = s.${order}
       WHERE s._op = 'r' AND ${same})`,
  );
  const required = dataColumns(schema, table).filter((c) => !c.nullable);
  if (required.length === 0) return;
  const missing = await client.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${name} WHERE ${required.map((c) => `${c.name} IS NULL`).join(' OR ')}`,
  );
  if (Number(missing.rows[0]?.n ?? 0) > 0) {
    throw new WarehouseLoadError(
      `${missing.rows[0]?.n} ${table} versions lack a NOT NULL value even after filling unchanged columns from ` +
        'the previous version (an update of an order the warehouse never saw). Re-snapshot the source table.',
    );
  }
}

/** Placeholder rows for every dimension key a staged fact references that the dimension lacks. */
async function inferMembers(
  client: Client,
  schema: StarSchema,
  facts: readonly FactTable[],
): Promise<InferredMember[]> {
  const inferred: InferredMember[] = [];
  for (const fk of schema.foreignKeys) {
    if (!facts.includes(fk.table as FactTable) || fk.target === 'dim_date') continue;
    const targetColumns = schema.columns.get(fk.target) ?? [];
    const values = targetColumns.map((c) => {
      if (c.name === fk.targetColumn) return `m.${c.name}`;
      if (!c.nullable && c.dataType === 'character varying') return `'unknown'`;
      return 'NULL';
    });
    const result = await client.query<{ member_id: string }>(
      `WITH missing AS (
         SELECT DISTINCT s.${fk.column} AS ${fk.targetColumn} FROM ${stageName(fk.table)} AS s
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

/**
 * Every foreign key of the staged facts finds its row, checked set-based (one anti-join per key) before the
 * append: dimensions were upserted, members inferred and dim_date generated for every referenced date, so a
 * miss here is a loader bug and the load stops naming it.
 */
async function verifyReferences(
  client: Client,
  schema: StarSchema,
  facts: readonly FactTable[],
): Promise<void> {
  for (const fk of schema.foreignKeys) {
    if (!facts.includes(fk.table as FactTable)) continue;
    const result = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${stageName(fk.table)} AS s
       WHERE NOT EXISTS (SELECT 1 FROM public.${fk.target} AS d WHERE d.${fk.targetColumn} = s.${fk.column})`,
    );
    const missing = Number(result.rows[0]?.n ?? 0);
    if (missing > 0) {
      throw new WarehouseLoadError(
        `${missing} ${fk.table} versions reference ${fk.target} rows that do not exist (${fk.table}.${fk.column}); ` +
          'nothing was loaded. This is a loader bug: report it with the cut LSN.',
      );
    }
  }
}

/**
 * PostgreSQL checks foreign keys with a trigger per row and key, which costs more than the insert itself at
 * bulk sizes. {@link verifyReferences} has just checked the same keys set-based inside this transaction (and
 * the load lock keeps other loads out), so the row-by-row triggers are skipped for the append when the role
 * may do so (superuser, rds_superuser); otherwise they run as usual.
 */
async function skipRowByRowChecks(client: Client): Promise<boolean> {
  await client.query('SAVEPOINT replication_role');
  try {
    await client.query('SET LOCAL session_replication_role = replica');
    await client.query('RELEASE SAVEPOINT replication_role');
    return true;
  } catch {
    await client.query('ROLLBACK TO SAVEPOINT replication_role');
    return false;
  }
}

/**
 * Appends the staged versions in commit order with record ids continuing the table's highest: deterministic
 * under the load lock, so a rerun after a crash numbers rows exactly as a clean run would.
 */
async function appendFact(client: Client, schema: StarSchema, table: FactTable): Promise<number> {
  const recordId = schema.primaryKeys.get(table) ?? '';
  const order = orderColumn(table);
  const columns = dataColumns(schema, table).map((c) => c.name);
  const result = await client.query(
    `WITH base AS (SELECT coalesce(max(${recordId}), 0) AS top FROM public.${table}),
     numbered AS (
       SELECT s.*, base.top + row_number() OVER (ORDER BY s._lsn, s._seq, s.${order}) AS record_id
       FROM ${stageName(table)} AS s CROSS JOIN base
     ),
     appended AS (
       INSERT INTO public.${table} (${recordId}, ${columns.join(', ')})
       SELECT record_id, ${columns.join(', ')} FROM numbered
     )
     INSERT INTO pipeline.fact_version (fact_table, order_id, lsn, seq, record_id)
     SELECT $1, ${order}, _lsn, _seq, record_id FROM numbered`,
    [table],
  );
  // Keep the serial's sequence past the ids we assigned, for anyone inserting with the default.
  await client.query(
    `SELECT setval(pg_get_serial_sequence('public.${table}', '${recordId}'),
       greatest(coalesce((SELECT max(${recordId}) FROM public.${table}), 0), 1))`,
  );
  return result.rowCount ?? 0;
}

/** Commit-to-visible latency over the staged changes newer than the previous cut, measured at commit time. */
async function measureLatency(
  client: Client,
  tables: readonly WarehouseTableName[],
  fromCut: Cut | null,
): Promise<LoadLatency | null> {
  const sources = tables
    .filter((t) => t !== 'dim_date')
    .map((t) => `SELECT _commit_ts FROM ${stageName(t)} WHERE _lsn > $1`);
  if (sources.length === 0) return null;
  const result = await client.query<{
    p50: number | null;
    p95: number | null;
    max: number | null;
    n: string;
  }>(
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s) AS p50,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY s) AS p95, max(s) AS max, count(*) AS n
     FROM (SELECT extract(epoch FROM (clock_timestamp() AT TIME ZONE 'UTC') - _commit_ts)::double precision AS s
       FROM (${sources.join(' UNION ALL ')}) AS staged) AS latencies`,
    [fromCut?.lsn ?? '-1'],
  );
  const row = result.rows[0];
  if (!row || row.p50 === null || row.p95 === null || row.max === null) return null;
  return { p50: row.p50, p95: row.p95, max: row.max, changes: Number(row.n) };
}

async function record(
  client: Client,
  batch: LoaderBatch,
  startedAt: Date,
  rowsWritten: Partial<Record<WarehouseTableName, number>>,
  inferredMembers: readonly InferredMember[],
  latency: LoadLatency | null,
): Promise<void> {
  await client.query(
    `INSERT INTO pipeline.cut (id, lsn, commit_ts, loaded_at) VALUES (1, $1, $2, now())
     ON CONFLICT (id) DO UPDATE SET lsn = excluded.lsn, commit_ts = excluded.commit_ts, loaded_at = excluded.loaded_at`,
    [batch.toCut.lsn, batch.toCut.commitTs],
  );
  await client.query(
    `INSERT INTO pipeline.load_history (from_lsn, to_lsn, to_commit_ts, started_at, finished_at, rows_per_table,
       inferred_members, latency_p50_s, latency_p95_s, latency_max_s)
     VALUES ($1, $2, $3, $4, clock_timestamp(), $5, $6, $7, $8, $9)`,
    [
      batch.fromCut?.lsn ?? null,
      batch.toCut.lsn,
      batch.toCut.commitTs,
      startedAt,
      JSON.stringify(rowsWritten),
      JSON.stringify(inferredMembers),
      latency?.p50 ?? null,
      latency?.p95 ?? null,
      latency?.max ?? null,
    ],
  );
  const samples: { stage: string; table: string | null; seconds: number }[] = [];
  if (batch.toCut.commitTs) {
    samples.push({
      stage: 'warehouse',
      table: null,
      seconds: (Date.now() - Date.parse(batch.toCut.commitTs)) / 1000,
    });
  }
  if (latency) samples.push({ stage: 'end_to_end', table: null, seconds: latency.p95 });
  for (const watermark of batch.watermarks ?? []) {
    if (!watermark.emittedAt) continue;
    const emitted = Date.parse(`${watermark.emittedAt.replace(' ', 'T')}Z`);
    samples.push({ stage: 'lake', table: watermark.table, seconds: (Date.now() - emitted) / 1000 });
  }
  if (samples.length === 0) return;
  await client.query(
    `INSERT INTO pipeline.lag_sample (stage, table_name, lag_seconds)
     SELECT * FROM unnest($1::text[], $2::text[], $3::double precision[])`,
    [samples.map((s) => s.stage), samples.map((s) => s.table), samples.map((s) => Math.max(0, s.seconds))],
  );
}
