/**
 * @module
 * The lake's catalog offline: every lake table from `core/schema/lake-tables.ts` (and the market tables of
 * `core/schema/market-lake-tables.ts`) as a DuckDB view over
 * `<lakeDir>/<bucket>/<table>/dt=YYYY-MM-DD/*.parquet`, with `dt` read from the path (hive partitioning) as a
 * DATE. A table without files yet is a typed empty view, so queries over it return no rows instead of failing.
 */
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { latestViewSelect, marketLatestViewSelect } from '../core/latest-view-sql.ts';
import type { FileFloor } from '../core/ports/query-engine.ts';
import {
  latestViewName,
  SNAPSHOT_PARTITION_COLUMN,
  snapshotColumns,
  snapshotTableName,
} from '../core/schema/lake-snapshots.ts';
import {
  type AnyLakeTableName,
  LAKE_TABLE_NAMES,
  LAKE_TABLES,
  type LakeTableLocation,
  type LakeTableName,
} from '../core/schema/lake-tables.ts';
import { MARKET_LAKE_TABLE_NAMES } from '../core/schema/market-lake-tables.ts';
import {
  DUCKDB_TYPES,
  LAKE_PARQUET_OPTIONS,
  sqlLiteral as literal,
  sqlIdentifier as quote,
  viewColumns,
} from './duckdb-sql.ts';
import { FsObjectStore } from './fs-object-store.ts';
import { type CandidateFile, type FileRowsBounds, LakeFileRows } from './lake-file-rows.ts';
import { ObjectStoreStateSnapshots } from './object-store-state-snapshots.ts';

/** Where a {@link DuckDbCatalog} finds the lake. */
export interface DuckDbCatalogOptions {
  /** The lake directory: buckets are its subdirectories, as the local object store lays them out. */
  readonly lakeDir: string;
  /** The lake bucket (a subdirectory of `lakeDir`). */
  readonly bucket: string;
  /** The bucket's ObjectStore, to share one; by default one over `lakeDir` and `bucket`. */
  readonly store?: FsObjectStore;
  /** How many rows of small files a floored catalog holds in DuckDB (lake/lake-file-rows.ts); by default its bounds. */
  readonly fileRows?: FileRowsBounds;
}

/** A view could not be created over a lake table's files. */
export class DuckDbCatalogError extends Error {
  override readonly name = 'DuckDbCatalogError';
}

/** What the catalog remembers of one immutable lake file. */
interface LakeFile {
  /** Largest `_lsn` in the file (null for a file without rows). */
  readonly maxLsn: bigint | null;
  /** Whether the file holds a change (any `_op` but the watermark `w`). */
  readonly hasChanges: boolean;
  /** Rows in the file. */
  readonly rows: number;
}

/** A CDC table's view as a refresh computes it, and how many files it reads (null: the whole glob). */
interface TableView {
  readonly name: LakeTableName;
  readonly sql: string;
  readonly files: number | null;
}

/** A view's statements in a refresh's batch: what to remember once they ran, and what to say if they fail. */
interface ViewStatement {
  readonly sql: readonly string[];
  readonly done: () => void;
  readonly error: (message: string) => string;
}

/**
 * Lake tables as DuckDB views. `ensureTables` (re)creates every view; call it before a query so a table whose
 * first files just landed stops being the empty view.
 *
 * Without a floor, a view reads its table's glob (every file, re-listed at each bind): what ad-hoc queries
 * want. With a floor ({@link DuckDbCatalog.setFloor}), a view reads an explicit list of the files that can
 * hold rows at or above it: the local Firehose writes about a file per second per stream, mostly watermarks,
 * and a long-running lake must not make every loader run open all of them. Each file is inspected once
 * (lake files are written once, by atomic rename, and never change).
 */
export class DuckDbCatalog {
  readonly #connection: DuckDBConnection;
  /** Lists the lake (the ObjectStore port) and names each object's file for DuckDB. */
  readonly #store: FsObjectStore;
  /** The SQL each view was last created with, so an unchanged view is not replaced. */
  readonly #views = new Map<AnyLakeTableName, string>();
  /** Files seen per table: path -> what they hold. */
  readonly #files = new Map<LakeTableName, Map<string, LakeFile>>();
  /**
   * The statement each snapshot and `_latest` view was last created with, by view name: an unchanged one is not
   * run again, one that names an earlier snapshot again is, and the map holds two entries per table however many
   * snapshots compaction publishes.
   */
  readonly #derivedViews = new Map<string, string>();
  readonly #snapshots: ObjectStoreStateSnapshots;
  /** The rows of the small files the floored views read, held in DuckDB instead of opened by every query. */
  readonly #fileRows: LakeFileRows;
  /** Files each view reads (null: the whole glob). */
  readonly #viewFiles = new Map<LakeTableName, number | null>();
  #floor: FileFloor | null = null;
  /**
   * Whether the views match the floor last set. With a floor, views are refreshed once per floor (once per
   * loader run): every query of the run then reads the same files, and the run lists directories once.
   */
  #current = false;

  constructor(connection: DuckDBConnection, options: DuckDbCatalogOptions) {
    this.#connection = connection;
    this.#store = options.store ?? new FsObjectStore(options.lakeDir, options.bucket);
    this.#snapshots = new ObjectStoreStateSnapshots(this.#store);
    this.#fileRows = new LakeFileRows(connection, options.fileRows);
  }

  locate(table: LakeTableName): LakeTableLocation {
    return { table, location: this.#location(table), partitionColumn: 'dt' };
  }

  #location(table: AnyLakeTableName): string {
    return join(this.#store.root, table);
  }

  /** Leaves out of the views the files entirely below the floor (see {@link FileFloor}); null reads all. */
  setFloor(floor: FileFloor | null): void {
    // A floor moving down for some table (a warehouse rebuilt from scratch, a cut whose commit time went back
    // a day, a snapshot the run cannot use) needs files this catalog forgot or never listed: start over.
    const previous = this.#floor;
    if (
      floor !== null &&
      previous !== null &&
      LAKE_TABLE_NAMES.some((name) => floorFell(previous, floor, name))
    ) {
      this.#files.clear();
    }
    this.#floor = floor;
    this.#current = false;
  }

  /** Closes the catalog's connection. */
  close(): void {
    this.#connection.closeSync();
  }

  /** Rows of small files the views read from DuckDB's memory instead of their Parquet (lake/lake-file-rows.ts). */
  get heldRows(): number {
    return this.#fileRows.heldRows;
  }

  /** How many files each view reads now (null: every file of the table, through its glob). */
  viewFileCounts(): ReadonlyMap<LakeTableName, number | null> {
    return this.#viewFiles;
  }

  async ensureTables(): Promise<void> {
    const floor = this.#floor;
    if (floor !== null && this.#current) {
      // The floor bounds the CDC tables only: a market table's first files must show whatever the floor. A
      // market view over its glob re-lists itself at each bind, so only a table still without files is looked
      // at again, not every market table on every query of the run.
      await this.#runViewStatements(await this.#marketViewStatements('empty only'));
      return;
    }
    // Every table's listing at once, then one inspection of every table's new files, then one batch of the
    // views that changed: a refresh used to list, inspect and replace table after table.
    const whole = floor === null || floor.belowLsn < 0n;
    // Views over the globs read every file from its Parquet: no row is held for them.
    if (whole) await this.#fileRows.clear();
    const tables = whole
      ? await Promise.all(LAKE_TABLE_NAMES.map((name) => this.#wholeTableView(name)))
      : await this.#flooredTableViews(floor);
    const statements: ViewStatement[] = [];
    for (const { name, sql, files } of tables) {
      this.#viewFiles.set(name, files);
      if (this.#views.get(name) === sql) continue;
      statements.push({
        sql: [sql],
        done: () => this.#views.set(name, sql),
        error: (message) =>
          `Could not create the DuckDB view of lake table ${name} over ${this.locate(name).location}: ` +
          `${message}. Check that its files are Parquet written with the lake schema (core/schema/lake-tables.ts).`,
      });
    }
    statements.push(...(await this.#marketViewStatements('every table')));
    statements.push(...(await this.#latestViewStatements()));
    await this.#runViewStatements(statements);
    // A floor set while this refresh ran is not covered by it: leave the views stale for the next query.
    if (floor !== null && floor === this.#floor) this.#current = true;
  }

  /**
   * Runs the statements as one batch (one call into DuckDB for the whole refresh). When the batch fails, they are
   * run one at a time (each replaces a view, so running one twice is harmless) to name the view that failed.
   */
  async #runViewStatements(statements: readonly ViewStatement[]): Promise<void> {
    if (statements.length === 0) return;
    try {
      await this.#connection.run(statements.flatMap((statement) => statement.sql).join(';\n'));
      for (const statement of statements) statement.done();
      return;
    } catch {
      // Found again below, with the view it belongs to.
    }
    for (const statement of statements) {
      try {
        for (const sql of statement.sql) await this.#connection.run(sql);
      } catch (error) {
        throw new DuckDbCatalogError(statement.error((error as Error).message), { cause: error });
      }
      statement.done();
    }
  }

  /** A CDC table's view without a floor (or one below every row): its whole glob, or the empty view. */
  async #wholeTableView(name: LakeTableName): Promise<TableView> {
    // Every file is needed, and the glob says so without listing them in the view's SQL.
    const hasFiles = await this.#containsParquet(name);
    return { name, sql: hasFiles ? this.#fileView(name, null) : emptyView(name), files: hasFiles ? null : 0 };
  }

  /**
   * Every CDC table's view under `floor`: the tables listed at once, their new files inspected in one query, the
   * small ones of the tables read as of the cut held in DuckDB (lake/lake-file-rows.ts), the rest read from their
   * Parquet.
   */
  async #flooredTableViews(floor: FileFloor): Promise<TableView[]> {
    const fresh = await Promise.all(LAKE_TABLE_NAMES.map((name) => this.#listPartitions(name, floor)));
    const paths = fresh.flatMap((listed) => listed.paths);
    if (paths.length > 0) {
      const inspected = await this.#inspect(paths);
      for (const listed of fresh)
        for (const path of listed.paths) listed.known.set(path, inspected.get(path) as LakeFile);
    }
    const needed = new Map<LakeTableName, CandidateFile[]>();
    for (const name of LAKE_TABLE_NAMES) {
      const known = this.#files.get(name);
      needed.set(
        name,
        this.#neededFiles(name, floor).map((path) => ({ path, rows: known?.get(path)?.rows ?? 0 })),
      );
    }
    // Only a table read as of the cut keeps files from run to run (its changes above the snapshot); any other
    // table's files leave at the next floor, and holding them made DuckDB's memory peak twice as high while a
    // large transaction loaded (bench/README.md, "A loader run's reads of small files").
    const unheld = await this.#fileRows.hold(new Map([...needed].filter(([name]) => floor.asOf.has(name))));
    return LAKE_TABLE_NAMES.map((name) => {
      const files = needed.get(name) ?? [];
      const parquet = unheld.get(name) ?? files.map((file) => file.path);
      return {
        name,
        sql: this.#flooredView(name, files.length > parquet.length, parquet),
        files: files.length,
      };
    });
  }

  /** A floored view: the table's held rows (when it has any) and the files read from their Parquet. */
  #flooredView(name: LakeTableName, held: boolean, parquet: readonly string[]): string {
    if (!held) return parquet.length > 0 ? this.#fileView(name, parquet) : emptyView(name);
    const rows = LakeFileRows.select(name);
    if (parquet.length === 0) return `CREATE OR REPLACE VIEW ${quote(name)} AS ${rows}`;
    return `${this.#fileView(name, parquet)} UNION ALL ${rows}`;
  }

  /**
   * Each table's `<table>_snapshot` view over its current state snapshot's files (core/schema/lake-snapshots.ts)
   * and its `<table>_latest` view, the snapshot plus the changes after it (core/latest-view-sql.ts): the
   * statements of those that changed.
   */
  async #latestViewStatements(): Promise<ViewStatement[]> {
    // While a floor holds, an as-of table's snapshot is the one the loader's parameters name: a compaction
    // publishing a newer one during the run must not empty the `snapshot_lsn` the queries ask for.
    const manifests = await Promise.all(
      LAKE_TABLE_NAMES.map(
        async (name) => this.#floor?.asOf.get(name)?.snapshot ?? (await this.#snapshots.current(name)),
      ),
    );
    const statements: ViewStatement[] = [];
    LAKE_TABLE_NAMES.forEach((name, i) => {
      const manifest = manifests[i];
      const snapshotSql =
        manifest === undefined
          ? emptySnapshotView(name)
          : `CREATE OR REPLACE VIEW ${quote(snapshotTableName(name))} AS SELECT *, ${literal(manifest.folder)} ` +
            `AS "snapshot_lsn" FROM read_parquet([${manifest.objects.map((key) => literal(this.#store.localPath(key))).join(', ')}])`;
      const latestSql = `CREATE OR REPLACE VIEW ${quote(latestViewName(name))} AS ${latestViewSelect(name, manifest)}`;
      const views: [string, string][] = [
        [snapshotTableName(name), snapshotSql],
        [latestViewName(name), latestSql],
      ];
      for (const [view, sql] of views) {
        if (this.#derivedViews.get(view) === sql) continue;
        statements.push({
          sql: [sql],
          done: () => this.#derivedViews.set(view, sql),
          error: (message) =>
            `Could not create the DuckDB views over the state snapshot of lake table ${name}: ` +
            `${message}. Delete snapshots/${name}/current.json; the next compaction takes a new one.`,
        });
      }
    });
    return statements;
  }

  /**
   * The market tables' views (README, "Market data"): each over its whole glob (a few rows a day; no floor, since
   * observations have no LSN), and its `<table>_latest` view of each key's newest fetch. `empty only` looks only
   * at the tables whose view is still the empty one.
   */
  async #marketViewStatements(which: 'every table' | 'empty only'): Promise<ViewStatement[]> {
    const tables = MARKET_LAKE_TABLE_NAMES.filter(
      (name) => which === 'every table' || this.#views.get(name) !== this.#fileView(name, null),
    );
    const found = await Promise.all(tables.map((name) => this.#containsParquet(name)));
    const statements: ViewStatement[] = [];
    tables.forEach((name, i) => {
      const sql = found[i] ? this.#fileView(name, null) : emptyView(name);
      if (this.#views.get(name) === sql) return;
      const latestSql = `CREATE OR REPLACE VIEW ${quote(`${name}_latest`)} AS ${marketLatestViewSelect(name)}`;
      statements.push({
        sql: [sql, latestSql],
        done: () => this.#views.set(name, sql),
        error: (message) =>
          `Could not create the DuckDB views of market lake table ${name} over ${this.#location(name)}: ` +
          `${message}. Check that its files are Parquet written with the lake schema (core/schema/market-lake-tables.ts).`,
      });
    });
    return statements;
  }

  /**
   * Lists the table's partitions a floored run reads: forgets the files gone from them and returns those not
   * seen before, to be inspected (`known` is the table's memory of its files, where they go once inspected).
   */
  async #listPartitions(
    name: LakeTableName,
    floor: FileFloor,
  ): Promise<{ readonly known: Map<string, LakeFile>; readonly paths: string[] }> {
    const known = this.#files.get(name) ?? new Map<string, LakeFile>();
    this.#files.set(name, known);
    const from = firstDayRead(floor, name);
    const paths: string[] = [];
    // Every query of the table prunes on dt from `from`: older partitions are never read, so they are not even
    // listed, and a run's listing does not grow with the lake's age (README, "What a loader run reads").
    const partitions = await this.#store.listPrefixes(`${name}/dt=`, { startAfter: `${name}/dt=${from}` });
    const listed = await Promise.all(partitions.map((partition) => this.#store.listKeys(partition)));
    partitions.forEach((partition, i) => {
      const present = new Set(
        (listed[i] ?? []).filter((key) => key.endsWith('.parquet')).map((key) => this.#store.localPath(key)),
      );
      for (const path of present) if (!known.has(path)) paths.push(path);
      // A file gone from a partition still listed (compacted, or removed by hand) must leave the view, or
      // reads fail.
      const partitionDir = this.#store.localPath(partition.slice(0, -1));
      for (const path of known.keys())
        if (path.startsWith(`${partitionDir}/`) && !present.has(path)) known.delete(path);
    });
    return { known, paths };
  }

  /** The table's files that can hold a row at or above the floor, or a change above an as-of table's snapshot. */
  #neededFiles(name: LakeTableName, floor: FileFloor): string[] {
    const known = this.#files.get(name) ?? new Map<string, LakeFile>();
    const asOf = floor.asOf.get(name);
    const from = firstDayRead(floor, name);
    const needed: string[] = [];
    for (const [path, file] of known) {
      const above = file.maxLsn !== null && file.maxLsn >= floor.belowLsn;
      const changeAfterSnapshot =
        asOf !== undefined && file.hasChanges && file.maxLsn !== null && file.maxLsn > asOf.aboveLsn;
      const day = dayOfPath(path);
      if (day >= from && (above || changeAfterSnapshot)) {
        needed.push(path);
      } else if (day < from) {
        // Below the floor in a partition never listed again: nothing will ask for it (the floor only rises,
        // see setFloor), so forgetting it keeps memory bounded over a long run.
        known.delete(path);
      }
    }
    return needed.sort();
  }

  /** Each file's largest `_lsn`, whether it holds a change and its rows: read once per file, in one query. */
  async #inspect(paths: readonly string[]): Promise<Map<string, LakeFile>> {
    const list = paths.map(literal).join(', ');
    const reader = await this.#connection.runAndReadAll(
      `SELECT filename, CAST(max(_lsn) AS VARCHAR) AS max_lsn, coalesce(bool_or(_op <> 'w'), false) AS changes, ` +
        'count(*) AS rows ' +
        `FROM read_parquet([${list}], filename = true) GROUP BY filename`,
    );
    const found = new Map<string, LakeFile>();
    for (const [filename, maxLsn, changes, rows] of reader.getRowsJson()) {
      found.set(String(filename), {
        maxLsn: maxLsn === null ? null : BigInt(String(maxLsn)),
        hasChanges: changes === true,
        rows: Number(rows),
      });
    }
    // A file without rows yields no group: it holds nothing any query needs.
    for (const path of paths)
      if (!found.has(path)) found.set(path, { maxLsn: null, hasChanges: false, rows: 0 });
    return found;
  }

  #fileView(name: AnyLakeTableName, files: readonly string[] | null): string {
    const columns = viewColumns(name).map((c) => quote(c.name));
    const source =
      files === null
        ? literal(join(this.#location(name), '*', '*.parquet'))
        : `[${files.map(literal).join(', ')}]`;
    return (
      `CREATE OR REPLACE VIEW ${quote(name)} AS SELECT ${columns.join(', ')} FROM read_parquet(${source}, ` +
      `${LAKE_PARQUET_OPTIONS})`
    );
  }

  /** True when some `dt=` partition of the table holds a `.parquet` object. */
  async #containsParquet(name: AnyLakeTableName): Promise<boolean> {
    for (const partition of await this.#store.listPrefixes(`${name}/dt=`)) {
      const keys = await this.#store.listKeys(partition);
      if (keys.some((key) => key.endsWith('.parquet'))) return true;
    }
    return false;
  }
}

/** The first partition day any query of a floored run reads of `name`. */
function firstDayRead(floor: FileFloor, name: LakeTableName): string {
  const asOf = floor.asOf.get(name);
  return asOf !== undefined && asOf.dtFrom < floor.dtFrom ? asOf.dtFrom : floor.dtFrom;
}

/** True when `next` may need, for `name`, a file `previous` let the catalog skip or forget. */
function floorFell(previous: FileFloor, next: FileFloor, name: LakeTableName): boolean {
  if (next.belowLsn < previous.belowLsn || firstDayRead(next, name) < firstDayRead(previous, name))
    return true;
  const before = previous.asOf.get(name);
  const after = next.asOf.get(name);
  return after !== undefined && (before === undefined || after.aboveLsn < before.aboveLsn);
}

/** The day of a lake file's path (`.../dt=YYYY-MM-DD/<name>.parquet`). */
function dayOfPath(path: string): string {
  const at = path.lastIndexOf('/dt=');
  return path.slice(at + 4, path.indexOf('/', at + 1));
}

/** A view with the table's columns and types and no rows. */
function emptyView(name: AnyLakeTableName): string {
  const columns = viewColumns(name).map((c) => `CAST(NULL AS ${DUCKDB_TYPES[c.type]}) AS ${quote(c.name)}`);
  return `CREATE OR REPLACE VIEW ${quote(name)} AS SELECT ${columns.join(', ')} WHERE false`;
}

/** A snapshot view with the snapshot's columns and no rows (a table without a snapshot yet). */
function emptySnapshotView(name: LakeTableName): string {
  const columns = [...snapshotColumns(LAKE_TABLES[name]), SNAPSHOT_PARTITION_COLUMN].map(
    (c) => `CAST(NULL AS ${DUCKDB_TYPES[c.type]}) AS ${quote(c.name)}`,
  );
  return `CREATE OR REPLACE VIEW ${quote(snapshotTableName(name))} AS SELECT ${columns.join(', ')} WHERE false`;
}
