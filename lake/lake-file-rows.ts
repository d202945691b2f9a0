/**
 * @module
 * The rows of the small lake files a floored catalog reads, held in DuckDB tables of the in-memory database
 * (lake/duckdb-catalog.ts). A loader run used to open every file its views list, in every query that reads the
 * table: a table read as of the cut lists every change file since its state snapshot (up to a minute of
 * deliveries locally, a file a second each), and DuckDB's fixed cost per file and scan was most of the run's
 * reads (bench/README.md, "A loader run's reads of small files"). Lake files are written once and never change
 * (atomic rename), so a file's rows can be read once and kept while the views need them. Only a file a second
 * run wants is held: most files are read by one run (a fact table's new delivery), and holding those would add
 * a read and a delete for nothing.
 *
 * What is held stays bounded: files of at most {@link FILE_ROWS_BOUNDS}.fileRows rows, at most
 * `heldRows` rows in all (the rest are read from their Parquet as before), and a file leaves as soon as no view
 * needs it. Each table's held rows are one table, `"<lake table>$file_rows"`, with the lake table's columns,
 * its `dt` and the file's path.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { LAKE_TABLE_NAMES, type LakeTableName } from '../core/schema/lake-tables.ts';
import {
  DUCKDB_TYPES,
  LAKE_PARQUET_OPTIONS,
  sqlLiteral as literal,
  sqlIdentifier as quote,
  viewColumns,
} from './duckdb-sql.ts';

/** How much {@link LakeFileRows} holds. */
export interface FileRowsBounds {
  /** A file with more rows than this is always read from its Parquet. */
  readonly fileRows: number;
  /** Rows held over every table at most: within DuckDB's memory limit (core/memory-bounds.ts) with room to spare. */
  readonly heldRows: number;
}

/**
 * The defaults: a local delivery of one table holds a few hundred to a few thousand rows, and at 1,000 changes/s
 * the four tables read as of the cut gather about 5,000 change rows between two snapshots; 20,000 held rows are
 * a few MiB of DuckDB's default 256.
 */
export const FILE_ROWS_BOUNDS: FileRowsBounds = { fileRows: 5_000, heldRows: 20_000 };

/** A file a view reads, with its row count (the catalog's inspection counts them). */
export interface CandidateFile {
  readonly path: string;
  readonly rows: number;
}

/** The column of a held row that names its file. */
const FILE_COLUMN = '$file';

/** The rows of small lake files, held for the catalog's views. */
export class LakeFileRows {
  readonly #connection: DuckDBConnection;
  readonly #bounds: FileRowsBounds;
  /** Files held per table: path -> rows. */
  readonly #held = new Map<LakeTableName, Map<string, number>>();
  #total = 0;
  #created = false;
  /** The files the previous call wanted and did not hold: a file is held from the second call that wants it. */
  #wantedBefore = new Set<string>();

  constructor(connection: DuckDBConnection, bounds: FileRowsBounds = FILE_ROWS_BOUNDS) {
    this.#connection = connection;
    this.#bounds = bounds;
  }

  /** Rows held now, over every table. */
  get heldRows(): number {
    return this.#total;
  }

  /** The table holding `table`'s rows (for the catalog's view of it). */
  static tableOf(table: LakeTableName): string {
    return quote(`${table}$file_rows`);
  }

  /** The `SELECT` of the held rows of `table` with the lake view's columns (see {@link tableOf}). */
  static select(table: LakeTableName): string {
    return `SELECT ${quotedColumns(table).join(', ')} FROM ${LakeFileRows.tableOf(table)}`;
  }

  /**
   * Holds, of each table's `wanted` files, the small ones the previous call wanted too, as far as the bounds
   * allow, and lets go of every held file not wanted; returns per table the wanted files it does not hold (to be
   * read from Parquet). One DuckDB transaction: a query on another connection sees the held rows before or after
   * it, never half of a file.
   */
  async hold(
    wanted: ReadonlyMap<LakeTableName, readonly CandidateFile[]>,
  ): Promise<Map<LakeTableName, string[]>> {
    const statements: string[] = [];
    const release: [LakeTableName, string[]][] = [];
    for (const [table, held] of this.#held) {
      const keep = new Set((wanted.get(table) ?? []).map((file) => file.path));
      const gone = [...held.keys()].filter((path) => !keep.has(path));
      if (gone.length === 0) continue;
      release.push([table, gone]);
      statements.push(
        `DELETE FROM ${LakeFileRows.tableOf(table)} WHERE ${quote(FILE_COLUMN)} IN (${gone.map(literal).join(', ')})`,
      );
    }
    // Released first, so the room they free can hold this run's new files.
    let total = this.#total;
    for (const [table, gone] of release)
      for (const path of gone) total -= this.#held.get(table)?.get(path) ?? 0;
    const unheld = new Map<LakeTableName, string[]>();
    const added: [LakeTableName, CandidateFile[]][] = [];
    const wantedNow = new Set<string>();
    for (const [table, files] of wanted) {
      const held = this.#held.get(table);
      const fresh: CandidateFile[] = [];
      const rest: string[] = [];
      for (const file of files) {
        if (held?.has(file.path)) continue;
        wantedNow.add(file.path);
        // A file one run reads (a fact table's new delivery, a large transaction's objects) is read from its
        // Parquet: holding it would cost a second read and a delete. One wanted again is kept by the floor
        // (the change files above an as-of snapshot), and every run after reads it.
        const again = this.#wantedBefore.has(file.path);
        if (again && file.rows <= this.#bounds.fileRows && total + file.rows <= this.#bounds.heldRows) {
          fresh.push(file);
          total += file.rows;
        } else rest.push(file.path);
      }
      unheld.set(table, rest);
      if (fresh.length === 0) continue;
      added.push([table, fresh]);
      const columns = quotedColumns(table).join(', ');
      statements.push(
        `INSERT INTO ${LakeFileRows.tableOf(table)} SELECT ${columns}, filename AS ${quote(FILE_COLUMN)} ` +
          `FROM read_parquet([${fresh.map((file) => literal(file.path)).join(', ')}], ${LAKE_PARQUET_OPTIONS}, ` +
          'filename = true)',
      );
    }
    if (statements.length > 0) await this.#inTransaction([...this.#creation(), ...statements]);
    for (const [table, gone] of release) {
      const held = this.#held.get(table);
      for (const path of gone) held?.delete(path);
    }
    for (const [table, fresh] of added) {
      const held = this.#held.get(table) ?? new Map<string, number>();
      this.#held.set(table, held);
      for (const file of fresh) held.set(file.path, file.rows);
    }
    this.#total = total;
    this.#wantedBefore = wantedNow;
    return unheld;
  }

  /** Lets go of every held row (the views read every file's glob again). */
  async clear(): Promise<void> {
    if (!this.#created || [...this.#held.values()].every((held) => held.size === 0)) return;
    await this.#inTransaction(LAKE_TABLE_NAMES.map((table) => `DELETE FROM ${LakeFileRows.tableOf(table)}`));
    this.#held.clear();
    this.#total = 0;
    this.#wantedBefore.clear();
  }

  /** The held rows' tables, before the first statement that uses them (one call into DuckDB for both). */
  #creation(): string[] {
    if (this.#created) return [];
    return LAKE_TABLE_NAMES.map((table) => {
      const columns = viewColumns(table).map(
        (column) => `${quote(column.name)} ${DUCKDB_TYPES[column.type]}`,
      );
      return `CREATE TABLE IF NOT EXISTS ${LakeFileRows.tableOf(table)} (${columns.join(', ')}, ${quote(FILE_COLUMN)} VARCHAR)`;
    });
  }

  async #inTransaction(statements: readonly string[]): Promise<void> {
    try {
      await this.#connection.run(['BEGIN TRANSACTION', ...statements, 'COMMIT'].join(';\n'));
      this.#created = true;
    } catch (error) {
      // A failed statement leaves the transaction open on this connection: nothing of it may stay.
      await this.#connection.run('ROLLBACK').catch(() => undefined);
      throw new Error(
        `Could not hold the rows of small lake files for the catalog's views: ${(error as Error).message}. ` +
          'Check that the files are Parquet written with the lake schema (core/schema/lake-tables.ts).',
        { cause: error },
      );
    }
  }
}

/** A lake table's view columns, quoted. */
function quotedColumns(table: LakeTableName): string[] {
  return viewColumns(table).map((column) => quote(column.name));
}
