/**
 * @module
 * The QueryEngine port offline: DuckDB over the lake's Parquet files, through the views of
 * {@link DuckDbCatalog}. Values come back as the exact text Athena would print: decimals at their scale,
 * timestamps `YYYY-MM-DD HH:MM:SS.mmm`, dates `YYYY-MM-DD`, booleans `true`/`false`.
 */
import { type DuckDBConnection, DuckDBInstance, DuckDBTypeId, type Json } from '@duckdb/node-api';
import type { QueryEngine, QueryParameter, QueryResult } from '../core/ports/query-engine.ts';
import { DuckDbCatalog, type DuckDbCatalogOptions } from './duckdb-catalog.ts';

/** A query DuckDB refused or failed; the message carries DuckDB's own reason. */
export class DuckDbQueryError extends Error {
  override readonly name = 'DuckDbQueryError';
}

const TIMESTAMP_TEXT = /^(\d{4,}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(?:\.(\d+))?$/;

/**
 * A {@link QueryEngine} on an in-process DuckDB. Each query first refreshes the catalog's views (a table whose
 * first file just landed must stop being empty), then runs with `?` parameters bound positionally.
 */
export class DuckDbQueryEngine implements QueryEngine {
  readonly #instance: DuckDBInstance;
  readonly #connection: DuckDBConnection;
  readonly #catalog: DuckDbCatalog;
  /** Queries run one at a time: the views are shared, and a refresh must not race a bind. */
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(instance: DuckDBInstance, connection: DuckDBConnection, catalog: DuckDbCatalog) {
    this.#instance = instance;
    this.#connection = connection;
    this.#catalog = catalog;
  }

  /** Opens an in-memory DuckDB with the lake's views. No extension is ever downloaded (offline, deterministic). */
  static async open(options: DuckDbCatalogOptions): Promise<DuckDbQueryEngine> {
    const instance = await DuckDBInstance.create(':memory:', {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
    const connection = await instance.connect();
    // Lake files are written once and never change (atomic rename), so their footers can be cached: the
    // loader re-reads the same files every second.
    await connection.run('SET parquet_metadata_cache = true');
    const catalog = new DuckDbCatalog(connection, options);
    await catalog.ensureTables();
    return new DuckDbQueryEngine(instance, connection, catalog);
  }

  /** The catalog behind the views (for `locate`). */
  get catalog(): DuckDbCatalog {
    return this.#catalog;
  }

  query(sql: string, parameters: readonly QueryParameter[] = []): Promise<QueryResult> {
    const run = this.#queue.then(() => this.#run(sql, parameters));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.#queue;
    this.#connection.closeSync();
    this.#instance.closeSync();
  }

  async #run(sql: string, parameters: readonly QueryParameter[]): Promise<QueryResult> {
    await this.#catalog.ensureTables();
    let reader: Awaited<ReturnType<DuckDBConnection['runAndReadAll']>>;
    try {
      reader =
        parameters.length > 0
          ? await this.#connection.runAndReadAll(sql, [...parameters])
          : await this.#connection.runAndReadAll(sql);
    } catch (error) {
      throw new DuckDbQueryError(`DuckDB query failed: ${(error as Error).message}`, { cause: error });
    }
    const typeIds = reader.columnTypes().map((type) => type.typeId);
    const rows = reader.getRowsJson().map((row) => row.map((value, i) => toText(value, typeIds[i])));
    return { columns: reader.columnNames(), rows };
  }
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
