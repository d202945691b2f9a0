/**
 * @module
 * The QueryEngine port offline: DuckDB over the lake's Parquet files, through the views of
 * {@link DuckDbCatalog}. Values come back as the exact text Athena would print: decimals at their scale,
 * timestamps `YYYY-MM-DD HH:MM:SS.mmm`, dates `YYYY-MM-DD`, booleans `true`/`false`.
 */
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, DuckDBTypeId, type Json } from '@duckdb/node-api';
import { csvRecord } from '../core/csv-record.ts';
import { DEFAULT_MEMORY_BOUNDS, type MemoryBounds } from '../core/memory-bounds.ts';
import type {
  LineResult,
  QueryEngine,
  QueryEngineCapabilities,
  QueryParameter,
  QueryResult,
  ValueKind,
} from '../core/ports/query-engine.ts';
import { DuckDbCatalog, type DuckDbCatalogOptions } from './duckdb-catalog.ts';

/** A query DuckDB refused or failed; the message carries DuckDB's own reason. */
export class DuckDbQueryError extends Error {
  override readonly name = 'DuckDbQueryError';
}

/** Options of {@link DuckDbQueryEngine.open}. */
export interface DuckDbQueryEngineOptions extends DuckDbCatalogOptions {
  /** Queries that run at once. @default 2 */
  readonly connections?: number;
  /** DuckDB's memory; each part @default from DEFAULT_MEMORY_BOUNDS (core/memory-bounds.ts). */
  readonly memory?: {
    readonly limitBytes?: number;
    readonly threads?: number;
    /** Where it spills; created only when it does. @default `<lakeDir>/.duckdb-tmp` */
    readonly tempDirectory?: string;
  };
}

/** DuckDB's part of the bounds, spilling to `tempDirectory`. */
export function duckDbMemory(
  bounds: MemoryBounds,
  tempDirectory: string,
): NonNullable<DuckDbQueryEngineOptions['memory']> {
  return { limitBytes: bounds.duckdbMemoryBytes, threads: bounds.duckdbThreads, tempDirectory };
}

const TIMESTAMP_TEXT = /^(\d{4,}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(?:\.(\d+))?$/;

/**
 * A {@link QueryEngine} on an in-process DuckDB. Each query first refreshes the catalog's views (a table whose
 * first file just landed must stop being empty), then runs with `?` parameters bound positionally on a free
 * connection of a small pool.
 */
export class DuckDbQueryEngine implements QueryEngine {
  readonly #instance: DuckDBInstance;
  readonly #connections: readonly DuckDBConnection[];
  readonly #idle: DuckDBConnection[];
  readonly #waiting: ((connection: DuckDBConnection) => void)[] = [];
  readonly #catalog: DuckDbCatalog;
  readonly #shapes = new Map<string, ResultShape>();
  /** The view refresh in flight: concurrent queries share one instead of racing to replace views. */
  #refreshing: Promise<void> | undefined;

  private constructor(instance: DuckDBInstance, connections: DuckDBConnection[], catalog: DuckDbCatalog) {
    this.#instance = instance;
    this.#connections = connections;
    this.#idle = [...connections];
    this.#catalog = catalog;
  }

  /**
   * Opens an in-memory DuckDB with the lake's views. No extension is ever downloaded (offline,
   * deterministic). `connections` queries run at once (the loader reads its tables in parallel). DuckDB holds
   * at most `memory.limitBytes` and spills the rest (a large sort, a window over a big transaction) to
   * `memory.tempDirectory` (core/memory-bounds.ts).
   */
  static async open(options: DuckDbQueryEngineOptions): Promise<DuckDbQueryEngine> {
    const memory = options.memory ?? {};
    const instance = await DuckDBInstance.create(':memory:', {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      memory_limit: `${Math.max(1, Math.floor((memory.limitBytes ?? DEFAULT_MEMORY_BOUNDS.duckdbMemoryBytes) / 1024 / 1024))}MiB`,
      threads: String(memory.threads ?? DEFAULT_MEMORY_BOUNDS.duckdbThreads),
      // Never the working directory, DuckDB's own default for an in-memory database.
      temp_directory: memory.tempDirectory ?? join(options.lakeDir, '.duckdb-tmp'),
    });
    const connections: DuckDBConnection[] = [];
    for (let i = 0; i < Math.max(1, options.connections ?? 2); i++)
      connections.push(await instance.connect());
    // Lake files are written once and never change (atomic rename), so their footers can be cached: the
    // loader re-reads the same files every second, and the catalog's inspection of a new file parses the
    // footer the run's queries then read. GLOBAL: in DuckDB 1.5 a plain SET is the session's (LOCAL scope),
    // so it held for one of the engine's connections only and the footers were parsed again on the others.
    await connections[0]?.run('SET GLOBAL parquet_metadata_cache = true');
    // The catalog has its own connection: it inspects new files and replaces views while queries run.
    const catalog = new DuckDbCatalog(await instance.connect(), options);
    await catalog.ensureTables();
    return new DuckDbQueryEngine(instance, connections, catalog);
  }

  /** The catalog behind the views (for `locate`). */
  get catalog(): DuckDbCatalog {
    return this.#catalog;
  }

  /**
   * The file floor: the views leave out the lake files entirely below it (the loader's previous cut), so a
   * run's cost does not grow with the files it already consumed.
   */
  readonly capabilities: QueryEngineCapabilities = {
    fileFloor: { set: (floor) => this.#catalog.setFloor(floor) },
  };

  async query(sql: string, parameters: readonly QueryParameter[] = []): Promise<QueryResult> {
    await this.#refresh();
    const connection = await this.#acquire();
    try {
      return await run(connection, sql, parameters, this.#shapes);
    } finally {
      this.#release(connection);
    }
  }

  async *queryBatches(
    sql: string,
    parameters: readonly QueryParameter[],
    batchRows: number,
  ): AsyncGenerator<QueryResult> {
    await this.#refresh();
    const connection = await this.#acquire();
    try {
      yield* streamBatches(connection, sql, parameters, this.#shapes, batchRows);
    } finally {
      this.#release(connection);
    }
  }

  /**
   * The rows as CSV records rendered by DuckDB itself (one string per row crosses into JavaScript, not one per
   * value: turning each value into a string was most of a large loader read's cost on the main thread).
   */
  async *queryLines(
    sql: string,
    parameters: readonly QueryParameter[],
    batchRows: number,
  ): AsyncGenerator<LineResult> {
    await this.#refresh();
    const connection = await this.#acquire();
    try {
      yield* streamLines(connection, sql, parameters, this.#shapes, batchRows);
    } finally {
      this.#release(connection);
    }
  }

  /**
   * The bytes DuckDB's buffer manager holds now (`duckdb_memory()`, what `memory_limit` bounds), read on a
   * connection of its own so a query in flight does not delay it (`npm run bench -- memory` samples it).
   */
  async memoryBytes(): Promise<number> {
    const connection = await this.#instance.connect();
    try {
      const reader = await connection.runAndReadAll(
        'SELECT CAST(sum(memory_usage_bytes) AS BIGINT) FROM duckdb_memory()',
      );
      return Number(reader.getRows()[0]?.[0] ?? 0);
    } finally {
      connection.closeSync();
    }
  }

  async close(): Promise<void> {
    // Wait for every connection to be idle, then close.
    const all = await Promise.all(this.#connections.map(() => this.#acquire()));
    await this.#refreshing?.catch(() => undefined);
    for (const connection of all) connection.closeSync();
    this.#catalog.close();
    this.#instance.closeSync();
  }

  #refresh(): Promise<void> {
    this.#refreshing ??= this.#catalog.ensureTables().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  #acquire(): Promise<DuckDBConnection> {
    const connection = this.#idle.pop();
    if (connection) return Promise.resolve(connection);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(connection: DuckDBConnection): void {
    const next = this.#waiting.shift();
    if (next) next(connection);
    else this.#idle.push(connection);
  }
}

/** Whole-number types (`query --format json` prints them as numbers when exact). */
const INTEGER_TYPES = new Set<DuckDBTypeId>([
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.UBIGINT,
]);

/**
 * Result types DuckDB itself prints exactly as Athena does once cast to VARCHAR (decimals at their scale,
 * dates `YYYY-MM-DD`, booleans `true`/`false`, timestamps then cut to milliseconds). A result of only these
 * types is fetched as strings: DuckDB formats them natively, several times faster than converting each
 * value through its JSON form in JavaScript, which dominated large loader reads.
 */
const TEXT_CASTABLE = new Set<DuckDBTypeId>([
  DuckDBTypeId.VARCHAR,
  DuckDBTypeId.BOOLEAN,
  ...INTEGER_TYPES,
  DuckDBTypeId.DECIMAL,
  DuckDBTypeId.DATE,
  DuckDBTypeId.TIMESTAMP,
  DuckDBTypeId.TIMESTAMP_MS,
]);

/** A statement's result columns and their types. */
interface ResultShape {
  readonly typeIds: readonly DuckDBTypeId[];
  readonly columns: readonly string[];
}

/** Statements whose shape is remembered (ad-hoc queries must not grow the cache without bound). */
const MAX_SHAPES = 256;

/** How one statement is read: its result's shape, and whether it is fetched as text (see TEXT_CASTABLE). */
async function readingPlan(
  connection: DuckDBConnection,
  sql: string,
  shapes: Map<string, ResultShape>,
): Promise<{
  readonly shape: ResultShape;
  readonly asText: boolean;
  readonly timestamps: readonly number[];
}> {
  let shape = shapes.get(sql);
  if (shape === undefined) {
    // Preparing binds every file of the views read; the loader runs the same statements every second,
    // and their result types never change, so a statement's shape is learned once.
    const prepared = await connection.prepare(sql);
    const count = prepared.columnCount;
    shape = {
      typeIds: Array.from({ length: count }, (_, i) => prepared.columnTypeId(i)),
      columns: Array.from({ length: count }, (_, i) => prepared.columnName(i)),
    };
    if (shapes.size < MAX_SHAPES) shapes.set(sql, shape);
  }
  const asText = shape.typeIds.length > 0 && shape.typeIds.every((t) => TEXT_CASTABLE.has(t));
  const timestamps = shape.typeIds
    .map((t, i) => (t === DuckDBTypeId.TIMESTAMP || t === DuckDBTypeId.TIMESTAMP_MS ? i : -1))
    .filter((i) => i >= 0);
  return { shape, asText, timestamps };
}

/** Rows fetched as text with their timestamps cut to milliseconds, in place. */
function textRows(rows: (string | null)[][], timestamps: readonly number[]): (string | null)[][] {
  if (timestamps.length > 0) {
    for (const row of rows) {
      for (const i of timestamps) {
        const value = row[i];
        if (value != null) row[i] = millisecondText(value);
      }
    }
  }
  return rows;
}

async function run(
  connection: DuckDBConnection,
  sql: string,
  parameters: readonly QueryParameter[],
  shapes: Map<string, ResultShape>,
): Promise<QueryResult> {
  try {
    const { shape, asText, timestamps } = await readingPlan(connection, sql, shapes);
    const { typeIds, columns } = shape;
    const kinds = typeIds.map(valueKind);
    if (asText) {
      const text = await connection.prepare(textSql(sql));
      if (parameters.length > 0) text.bind([...parameters]);
      const reader = await text.runAndReadAll();
      return { columns, rows: textRows(reader.getRows() as (string | null)[][], timestamps), kinds };
    }
    const reader =
      parameters.length > 0
        ? await connection.runAndReadAll(sql, [...parameters])
        : await connection.runAndReadAll(sql);
    const rows = reader.getRowsJson().map((row) => row.map((value, i) => toText(value, typeIds[i])));
    return { columns, rows, kinds };
  } catch (error) {
    throw new DuckDbQueryError(`DuckDB query failed: ${(error as Error).message}`, { cause: error });
  }
}

/** The statement with every column cast to text; a projection keeps its input's order, so ORDER BY holds. */
function textSql(sql: string): string {
  return `SELECT CAST(COLUMNS(*) AS VARCHAR) FROM (${sql}) AS result`;
}

/**
 * The statement's rows `batchRows` at a time from a streaming result: DuckDB produces the next chunk only when
 * it is fetched, so no more than a batch (and DuckDB's own bounded memory) is held.
 */
async function* streamBatches(
  connection: DuckDBConnection,
  sql: string,
  parameters: readonly QueryParameter[],
  shapes: Map<string, ResultShape>,
  batchRows: number,
): AsyncGenerator<QueryResult> {
  let yielded = false;
  let rows: (string | null)[][] = [];
  let shape: ResultShape;
  let kinds: ValueKind[];
  try {
    const plan = await readingPlan(connection, sql, shapes);
    shape = plan.shape;
    kinds = shape.typeIds.map(valueKind);
    const prepared = await connection.prepare(plan.asText ? textSql(sql) : sql);
    if (parameters.length > 0) prepared.bind([...parameters]);
    const result = await prepared.stream();
    const chunks = plan.asText ? result.yieldRows() : result.yieldRowsJson();
    for await (const chunk of chunks) {
      const converted = plan.asText
        ? textRows(chunk as (string | null)[][], plan.timestamps)
        : (chunk as Json[][]).map((row) => row.map((value, i) => toText(value, shape.typeIds[i])));
      for (const row of converted) rows.push(row);
      while (rows.length >= batchRows) {
        const full = rows.length === batchRows ? rows : rows.splice(0, batchRows);
        if (full === rows) rows = [];
        yielded = true;
        yield { columns: shape.columns, rows: full, kinds };
      }
    }
  } catch (error) {
    throw new DuckDbQueryError(`DuckDB query failed: ${(error as Error).message}`, { cause: error });
  }
  if (rows.length > 0 || !yielded) yield { columns: shape.columns, rows, kinds };
}

/**
 * {@link streamBatches} as records: the statement wrapped to render each row as its record in SQL when every
 * column is text-castable (the values DuckDB prints are those the rows carry: timestamps cut to milliseconds as
 * `millisecondText` cuts them), else each converted row rendered in JavaScript.
 */
async function* streamLines(
  connection: DuckDBConnection,
  sql: string,
  parameters: readonly QueryParameter[],
  shapes: Map<string, ResultShape>,
  batchRows: number,
): AsyncGenerator<LineResult> {
  let plan: Awaited<ReturnType<typeof readingPlan>>;
  try {
    plan = await readingPlan(connection, sql, shapes);
  } catch (error) {
    throw new DuckDbQueryError(`DuckDB query failed: ${(error as Error).message}`, { cause: error });
  }
  const { columns } = plan.shape;
  if (!plan.asText || new Set(columns).size !== columns.length) {
    for await (const batch of streamBatches(connection, sql, parameters, shapes, batchRows))
      yield { columns: batch.columns, lines: batch.rows.map(csvRecord) };
    return;
  }
  let yielded = false;
  let lines: string[] = [];
  try {
    const prepared = await connection.prepare(lineSql(sql, plan.shape));
    if (parameters.length > 0) prepared.bind([...parameters]);
    const result = await prepared.stream();
    for await (const chunk of result.yieldRows()) {
      for (const row of chunk) lines.push(row[0] as string);
      while (lines.length >= batchRows) {
        const full = lines.length === batchRows ? lines : lines.splice(0, batchRows);
        if (full === lines) lines = [];
        yielded = true;
        yield { columns, lines: full };
      }
    }
  } catch (error) {
    throw new DuckDbQueryError(`DuckDB query failed: ${(error as Error).message}`, { cause: error });
  }
  if (lines.length > 0 || !yielded) yield { columns, lines };
}

/**
 * The statement with each row rendered as one record (core/csv-record.ts): every value quoted, a quote in text
 * doubled, NULL empty. A projection keeps its input's order, so ORDER BY holds.
 */
function lineSql(sql: string, shape: ResultShape): string {
  const fields = shape.columns.map((name, i) => {
    const column = `result."${name.replaceAll('"', '""')}"`;
    const type = shape.typeIds[i];
    const text =
      type === DuckDBTypeId.TIMESTAMP || type === DuckDBTypeId.TIMESTAMP_MS
        ? `strftime(${column}, '%Y-%m-%d %H:%M:%S.%g')`
        : type === DuckDBTypeId.VARCHAR
          ? `replace(${column}, '"', '""')`
          : `CAST(${column} AS VARCHAR)`;
    return `CASE WHEN ${column} IS NULL THEN '' ELSE concat('"', ${text}, '"') END`;
  });
  // One concat of every field: a chain of || built each intermediate string, about half again DuckDB's CPU.
  return `SELECT concat(${fields.join(", ',', ")}) AS line FROM (${sql}) AS result`;
}

function valueKind(typeId: DuckDBTypeId): ValueKind {
  if (INTEGER_TYPES.has(typeId)) return 'integer';
  if (typeId === DuckDBTypeId.DECIMAL) return 'decimal';
  if (typeId === DuckDBTypeId.FLOAT || typeId === DuckDBTypeId.DOUBLE) return 'float';
  if (typeId === DuckDBTypeId.BOOLEAN) return 'boolean';
  return 'text';
}

/** One JSON-form DuckDB value as lossless text. */
function toText(value: Json, typeId: DuckDBTypeId | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') {
    if (typeId === DuckDBTypeId.TIMESTAMP || typeId === DuckDBTypeId.TIMESTAMP_MS)
      return millisecondText(value);
    return value;
  }
  return JSON.stringify(value);
}

/** `YYYY-MM-DD HH:MM:SS` with exactly three fraction digits, as Athena prints a timestamp(3). */
function millisecondText(value: string): string {
  const match = TIMESTAMP_TEXT.exec(value);
  if (!match) return value;
  const fraction = (match[2] ?? '').padEnd(3, '0').slice(0, 3);
  return `${match[1]}.${fraction}`;
}
