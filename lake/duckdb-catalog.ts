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
  anyLakeTable,
  LAKE_TABLE_NAMES,
  LAKE_TABLES,
  type LakeColumnType,
  type LakeTableLocation,
  type LakeTableName,
  lakeColumns,
  PARTITION_COLUMN,
} from '../core/schema/lake-tables.ts';
import { MARKET_LAKE_TABLE_NAMES } from '../core/schema/market-lake-tables.ts';
import { FsObjectStore } from './fs-object-store.ts';
import { ObjectStoreStateSnapshots } from './object-store-state-snapshots.ts';

/** The DuckDB type each Glue type reads as (what the Parquet writer's encodings come back as). */
const DUCKDB_TYPES: { readonly [T in LakeColumnType]: string } = {
  int: 'INTEGER',
  bigint: 'BIGINT',
  string: 'VARCHAR',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
  'decimal(10,2)': 'DECIMAL(10,2)',
  'decimal(18,8)': 'DECIMAL(18,8)',
};

/** Where a {@link DuckDbCatalog} finds the lake. */
export interface DuckDbCatalogOptions {
  /** The lake directory: buckets are its subdirectories, as the local object store lays them out. */
  readonly lakeDir: string;
  /** The lake bucket (a subdirectory of `lakeDir`). */
  readonly bucket: string;
  /** The bucket's ObjectStore, to share one; by default one over `lakeDir` and `bucket`. */
  readonly store?: FsObjectStore;
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

  /** How many files each view reads now (null: every file of the table, through its glob). */
  viewFileCounts(): ReadonlyMap<LakeTableName, number | null> {
    return this.#viewFiles;
  }

  async ensureTables(): Promise<void> {
    const floor = this.#floor;
    if (floor !== null && this.#current) {
      // The floor bounds the CDC tables only: a market table's first files must show whatever the floor.
      await this.#ensureMarketViews();
      return;
    }
    for (const name of LAKE_TABLE_NAMES) {
      let sql: string;
      if (floor === null || floor.belowLsn < 0n) {
        // No floor, or one below every row (a warehouse without a cut): every file is needed, and the glob
        // says so without listing them in the view's SQL.
        const hasFiles = await this.#containsParquet(name);
        sql = hasFiles ? this.#fileView(name, null) : emptyView(name);
        this.#viewFiles.set(name, hasFiles ? null : 0);
      } else {
        const files = await this.#neededFiles(name, floor);
        sql = files.length > 0 ? this.#fileView(name, files) : emptyView(name);
        this.#viewFiles.set(name, files.length);
      }
      if (this.#views.get(name) === sql) continue;
      try {
        await this.#connection.run(sql);
      } catch (error) {
        throw new DuckDbCatalogError(
          `Could not create the DuckDB view of lake table ${name} over ${this.locate(name).location}: ` +
            `${(error as Error).message}. Check that its files are Parquet written with the lake schema (core/schema/lake-tables.ts).`,
          { cause: error },
        );
      }
      this.#views.set(name, sql);
    }
    await this.#ensureMarketViews();
    await this.#ensureLatestViews();
    // A floor set while this refresh ran is not covered by it: leave the views stale for the next query.
    if (floor !== null && floor === this.#floor) this.#current = true;
  }

  /**
   * Each table's `<table>_snapshot` view over its current state snapshot's files (core/schema/lake-snapshots.ts)
   * and its `<table>_latest` view, the snapshot plus the changes after it (core/latest-view-sql.ts).
   */
  async #ensureLatestViews(): Promise<void> {
    for (const name of LAKE_TABLE_NAMES) {
      // While a floor holds, an as-of table's snapshot is the one the loader's parameters name: a compaction
      // publishing a newer one during the run must not empty the `snapshot_lsn` the queries ask for.
      const manifest = this.#floor?.asOf.get(name)?.snapshot ?? (await this.#snapshots.current(name));
      const snapshotSql =
        manifest === undefined
          ? emptySnapshotView(name)
          : `CREATE OR REPLACE VIEW ${quote(snapshotTableName(name))} AS SELECT *, ${literal(manifest.folder)} ` +
            `AS "snapshot_lsn" FROM read_parquet([${manifest.objects.map((key) => literal(this.#store.localPath(key))).join(', ')}])`;
      const latestSql = `CREATE OR REPLACE VIEW ${quote(latestViewName(name))} AS ${latestViewSelect(name, manifest)}`;
      const statements: [string, string][] = [
        [snapshotTableName(name), snapshotSql],
        [latestViewName(name), latestSql],
      ];
      for (const [view, sql] of statements) {
        if (this.#derivedViews.get(view) === sql) continue;
        try {
          await this.#connection.run(sql);
        } catch (error) {
          throw new DuckDbCatalogError(
            `Could not create the DuckDB views over the state snapshot of lake table ${name}: ` +
              `${(error as Error).message}. Delete snapshots/${name}/current.json; the next compaction takes a new one.`,
            { cause: error },
          );
        }
        this.#derivedViews.set(view, sql);
      }
    }
  }

  /**
   * The market tables' views (README, "Market data"): each over its whole glob (a few rows a day; no floor, since
   * observations have no LSN), and its `<table>_latest` view of each key's newest fetch.
   */
  async #ensureMarketViews(): Promise<void> {
    for (const name of MARKET_LAKE_TABLE_NAMES) {
      const hasFiles = await this.#containsParquet(name);
      const sql = hasFiles ? this.#fileView(name, null) : emptyView(name);
      const latestSql = `CREATE OR REPLACE VIEW ${quote(`${name}_latest`)} AS ${marketLatestViewSelect(name)}`;
      if (this.#views.get(name) === sql) continue;
      try {
        await this.#connection.run(sql);
        await this.#connection.run(latestSql);
      } catch (error) {
        throw new DuckDbCatalogError(
          `Could not create the DuckDB views of market lake table ${name} over ${this.#location(name)}: ` +
            `${(error as Error).message}. Check that its files are Parquet written with the lake schema (core/schema/market-lake-tables.ts).`,
          { cause: error },
        );
      }
      this.#views.set(name, sql);
    }
  }

  /** The table's files that can hold a row at or above the floor, or a change above an as-of table's snapshot. */
  async #neededFiles(name: LakeTableName, floor: FileFloor): Promise<string[]> {
    const known = this.#files.get(name) ?? new Map<string, LakeFile>();
    this.#files.set(name, known);
    const asOf = floor.asOf.get(name);
    const from = firstDayRead(floor, name);
    const fresh: string[] = [];
    // Every query of the table prunes on dt from `from`: older partitions are never read, so they are not even
    // listed, and a run's listing does not grow with the lake's age (README, "What a loader run reads").
    for (const partition of await this.#store.listPrefixes(`${name}/dt=`, {
      startAfter: `${name}/dt=${from}`,
    })) {
      const present = new Set(
        (await this.#store.list(partition))
          .filter((object) => object.key.endsWith('.parquet'))
          .map((object) => this.#store.localPath(object.key)),
      );
      for (const path of present) if (!known.has(path)) fresh.push(path);
      // A file gone from a partition still listed (compacted, or removed by hand) must leave the view, or
      // reads fail.
      const partitionDir = this.#store.localPath(partition.slice(0, -1));
      for (const path of known.keys())
        if (path.startsWith(`${partitionDir}/`) && !present.has(path)) known.delete(path);
    }
    if (fresh.length > 0) for (const [path, file] of await this.#inspect(fresh)) known.set(path, file);
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

  /** Each file's largest `_lsn` and whether it holds a change: read once per file, in one query. */
  async #inspect(paths: readonly string[]): Promise<Map<string, LakeFile>> {
    const list = paths.map(literal).join(', ');
    const reader = await this.#connection.runAndReadAll(
      `SELECT filename, CAST(max(_lsn) AS VARCHAR) AS max_lsn, coalesce(bool_or(_op <> 'w'), false) AS changes ` +
        `FROM read_parquet([${list}], filename = true) GROUP BY filename`,
    );
    const found = new Map<string, LakeFile>();
    for (const [filename, maxLsn, changes] of reader.getRowsJson()) {
      found.set(String(filename), {
        maxLsn: maxLsn === null ? null : BigInt(String(maxLsn)),
        hasChanges: changes === true,
      });
    }
    // A file without rows yields no group: it holds nothing any query needs.
    for (const path of paths) if (!found.has(path)) found.set(path, { maxLsn: null, hasChanges: false });
    return found;
  }

  #fileView(name: AnyLakeTableName, files: readonly string[] | null): string {
    const columns = [
      ...lakeColumns(anyLakeTable(name)).map((c) => quote(c.name)),
      quote(PARTITION_COLUMN.name),
    ];
    const source =
      files === null
        ? literal(join(this.#location(name), '*', '*.parquet'))
        : `[${files.map(literal).join(', ')}]`;
    return (
      `CREATE OR REPLACE VIEW ${quote(name)} AS SELECT ${columns.join(', ')} FROM read_parquet(${source}, ` +
      `hive_partitioning = true, hive_types = {'dt': DATE})`
    );
  }

  /** True when some `dt=` partition of the table holds a `.parquet` object. */
  async #containsParquet(name: AnyLakeTableName): Promise<boolean> {
    for (const partition of await this.#store.listPrefixes(`${name}/dt=`)) {
      const objects = await this.#store.list(partition);
      if (objects.some((object) => object.key.endsWith('.parquet'))) return true;
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

/** A SQL string literal. */
function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** A view with the table's columns and types and no rows. */
function emptyView(name: AnyLakeTableName): string {
  const columns = [...lakeColumns(anyLakeTable(name)), PARTITION_COLUMN].map(
    (c) => `CAST(NULL AS ${DUCKDB_TYPES[c.type]}) AS ${quote(c.name)}`,
  );
  return `CREATE OR REPLACE VIEW ${quote(name)} AS SELECT ${columns.join(', ')} WHERE false`;
}

/** A snapshot view with the snapshot's columns and no rows (a table without a snapshot yet). */
function emptySnapshotView(name: LakeTableName): string {
  const columns = [...snapshotColumns(LAKE_TABLES[name]), SNAPSHOT_PARTITION_COLUMN].map(
    (c) => `CAST(NULL AS ${DUCKDB_TYPES[c.type]}) AS ${quote(c.name)}`,
  );
  return `CREATE OR REPLACE VIEW ${quote(snapshotTableName(name))} AS SELECT ${columns.join(', ')} WHERE false`;
}

/** Identifiers come from the lake schema (core/schema/) only; quoting keeps names like `_op` unambiguous. */
function quote(identifier: string): string {
  return `"${identifier}"`;
}
