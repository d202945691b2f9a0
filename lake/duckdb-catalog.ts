/**
 * @module
 * The Catalog port offline: every lake table from `glue/` as a DuckDB view over
 * `<lakeDir>/<bucket>/<table>/dt=YYYY-MM-DD/*.parquet`, with `dt` read from the path (hive partitioning) as a
 * DATE. A table without files yet is a typed empty view, so queries over it return no rows instead of failing.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Catalog, LakeTableLocation } from '../core/ports/catalog.ts';
import {
  LAKE_TABLE_NAMES,
  LAKE_TABLES,
  type LakeColumnType,
  type LakeTableName,
  lakeColumns,
  PARTITION_COLUMN,
} from '../glue/index.ts';

/** The DuckDB type each Glue type reads as (what the Parquet writer's encodings come back as). */
const DUCKDB_TYPES: { readonly [T in LakeColumnType]: string } = {
  int: 'INTEGER',
  bigint: 'BIGINT',
  string: 'VARCHAR',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
  'decimal(10,2)': 'DECIMAL(10,2)',
};

/** Where a {@link DuckDbCatalog} finds the lake. */
export interface DuckDbCatalogOptions {
  /** The lake directory: buckets are its subdirectories, as the local object store lays them out. */
  readonly lakeDir: string;
  /** The lake bucket (a subdirectory of `lakeDir`). */
  readonly bucket: string;
}

/** A view could not be created over a lake table's files. */
export class DuckDbCatalogError extends Error {
  override readonly name = 'DuckDbCatalogError';
}

/**
 * Lake tables as DuckDB views. `ensureTables` (re)creates every view; call it before a query so a table whose
 * first files just landed stops being the empty view. A view over files re-lists its glob each time a query
 * binds it, so files landing later in a non-empty table are seen without a refresh.
 */
export class DuckDbCatalog implements Catalog {
  readonly #connection: DuckDBConnection;
  readonly #root: string;
  /** Whether each view currently reads files (true) or is the typed empty view (false). */
  readonly #hasFiles = new Map<LakeTableName, boolean>();

  constructor(connection: DuckDBConnection, options: DuckDbCatalogOptions) {
    this.#connection = connection;
    this.#root = join(options.lakeDir, options.bucket);
  }

  locate(table: LakeTableName): LakeTableLocation {
    return { table, location: join(this.#root, table), partitionColumn: 'dt' };
  }

  async ensureTables(): Promise<void> {
    for (const name of LAKE_TABLE_NAMES) {
      const hasFiles = await this.#containsParquet(join(this.#root, name));
      if (this.#hasFiles.get(name) === hasFiles) continue;
      const sql = hasFiles ? this.#fileView(name) : emptyView(name);
      try {
        await this.#connection.run(sql);
      } catch (error) {
        throw new DuckDbCatalogError(
          `Could not create the DuckDB view of lake table ${name} over ${this.locate(name).location}: ` +
            `${(error as Error).message}. Check that its files are Parquet written with the glue/ schema.`,
          { cause: error },
        );
      }
      this.#hasFiles.set(name, hasFiles);
    }
  }

  #fileView(name: LakeTableName): string {
    const columns = [
      ...lakeColumns(LAKE_TABLES[name]).map((c) => quote(c.name)),
      quote(PARTITION_COLUMN.name),
    ];
    const glob = join(this.locate(name).location, '*', '*.parquet').replaceAll("'", "''");
    return (
      `CREATE OR REPLACE VIEW ${quote(name)} AS SELECT ${columns.join(', ')} FROM read_parquet('${glob}', ` +
      `hive_partitioning = true, hive_types = {'dt': DATE})`
    );
  }

  /** True when some `dt=*` directory under `dir` holds a `.parquet` file. */
  async #containsParquet(dir: string): Promise<boolean> {
    const partitions = await listDir(dir);
    for (const partition of partitions) {
      if (!partition.startsWith('dt=')) continue;
      const files = await listDir(join(dir, partition));
      if (files.some((file) => file.endsWith('.parquet'))) return true;
    }
    return false;
  }
}

/** A view with the table's columns and types and no rows. */
function emptyView(name: LakeTableName): string {
  const columns = [...lakeColumns(LAKE_TABLES[name]), PARTITION_COLUMN].map(
    (c) => `CAST(NULL AS ${DUCKDB_TYPES[c.type]}) AS ${quote(c.name)}`,
  );
  return `CREATE OR REPLACE VIEW ${quote(name)} AS SELECT ${columns.join(', ')} WHERE false`;
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Identifiers come from glue/ only; quoting keeps names like `_op` unambiguous. */
function quote(identifier: string): string {
  return `"${identifier}"`;
}
