/**
 * @module
 * The rows of small lake files a floored DuckDB catalog holds for the tables read as of the cut
 * (lake/lake-file-rows.ts): the views read exactly
 * what the files hold, every type to the last digit; the bounds send large files and the overflow to their
 * Parquet; a file no view needs any more, or gone from the lake, leaves.
 */
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { FileFloor } from '../../core/ports/query-engine.ts';
import { LAKE_TABLE_NAMES } from '../../core/schema/lake-tables.ts';
import { DuckDbCatalog } from '../../lake/duckdb-catalog.ts';
import { LakeFileRows } from '../../lake/lake-file-rows.ts';
import {
  BUCKET,
  type LakeChange,
  ROWS,
  SMALL_WORLD,
  T0,
  watermarks,
  writeLakeFiles,
} from '../loader/lake-fixtures.ts';

let lakeDir: string;
let instance: DuckDBInstance;
let connection: DuckDBConnection;

beforeEach(async () => {
  lakeDir = await mkdtemp(join(tmpdir(), 'lake-file-rows-'));
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
});

afterEach(async () => {
  instance.closeSync();
  await rm(lakeDir, { recursive: true, force: true });
});

/** Every table read as of the cut over its whole history: the tables whose files the catalog holds. */
function asOfEvery(aboveLsn: bigint): FileFloor['asOf'] {
  return new Map(
    LAKE_TABLE_NAMES.map((table) => [table, { snapshot: undefined, aboveLsn, dtFrom: '2022-11-03' }]),
  );
}

const FLOOR_0: FileFloor = { belowLsn: 0n, dtFrom: '2022-11-03', asOf: asOfEvery(-1n) };

/** Two loader runs under `floor`: a file is held from the second run that reads it. */
async function twoRuns(catalog: DuckDbCatalog, floor: FileFloor): Promise<void> {
  for (let run = 0; run < 2; run++) {
    catalog.setFloor(floor);
    await catalog.ensureTables();
  }
}

async function rows(sql: string): Promise<string[][]> {
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowsJson().map((row) => row.map((value) => JSON.stringify(value)));
}

/** What a view definition reads its rows from: held rows, and how many Parquet files or globs. */
async function sourcesOf(table: string): Promise<{ held: boolean; parquetFiles: number }> {
  const [[sql] = []] = (
    await connection.runAndReadAll(`SELECT sql FROM duckdb_views() WHERE view_name = '${table}'`)
  ).getRowsJson() as string[][];
  return {
    held: (sql ?? '').includes('$file_rows'),
    parquetFiles: (sql ?? '').split(".parquet'").length - 1,
  };
}

function salesOrders(ids: readonly number[], lsn: bigint): LakeChange[] {
  return ids.map((id, seq) => ({
    table: 'fact_sales_order',
    op: 'c',
    lsn,
    seq,
    commitTs: T0,
    row: ROWS.salesOrder(id),
  }));
}

it("reads every table's held rows exactly as its files hold them: every column, type and value", async () => {
  // Prepare: a small world in every table, with values that lose digits through a float or a Date.
  await writeLakeFiles(lakeDir, [
    ...SMALL_WORLD,
    ...salesOrders([7], 120n).map((change) => ({
      ...change,
      row: ROWS.salesOrder(7, { unit_price: '99999999.99', created_time: '23:59:59.999' }),
    })),
    ...watermarks(150n, T0),
  ]);
  const catalog = new DuckDbCatalog(connection, { lakeDir, bucket: BUCKET });

  // Act
  await twoRuns(catalog, FLOOR_0);

  // Assess: the views read held rows only, and what they read is what the files hold, both ways.
  expect(catalog.heldRows).toBeGreaterThan(LAKE_TABLE_NAMES.length);
  for (const table of LAKE_TABLE_NAMES) {
    const files = `read_parquet('${join(lakeDir, BUCKET, table, '*', '*.parquet')}', hive_partitioning = true, hive_types = {'dt': DATE})`;
    const columns = (await rows(`SELECT column_name FROM (DESCRIBE ${table})`)).map(([name]) =>
      JSON.parse(name as string),
    );
    const list = columns.map((name) => `"${name}"`).join(', ');
    expect(await sourcesOf(table), table).toEqual({ held: true, parquetFiles: 0 });
    expect(await rows(`SELECT ${list} FROM ${table} EXCEPT ALL SELECT ${list} FROM ${files}`), table).toEqual(
      [],
    );
    expect(await rows(`SELECT ${list} FROM ${files} EXCEPT ALL SELECT ${list} FROM ${table}`), table).toEqual(
      [],
    );
    expect(await rows(`SELECT count(*) FROM ${table}`)).toEqual(await rows(`SELECT count(*) FROM ${files}`));
  }
  expect(
    await rows('SELECT CAST(unit_price AS VARCHAR) FROM fact_sales_order WHERE sales_order_id = 7'),
  ).toEqual([['"99999999.99"']]);
});

it('reads a file above the size bound, and the files beyond the held rows, from their Parquet', async () => {
  // Prepare: files of one, two, three and two rows (in the catalog's order, by their random names); at most
  // two rows a file and three held in all.
  await writeLakeFiles(lakeDir, salesOrders([1], 100n));
  await writeLakeFiles(lakeDir, salesOrders([2, 3], 110n));
  await writeLakeFiles(lakeDir, salesOrders([4, 5, 6], 120n));
  await writeLakeFiles(lakeDir, salesOrders([7, 8], 130n));
  const catalog = new DuckDbCatalog(connection, {
    lakeDir,
    bucket: BUCKET,
    fileRows: { fileRows: 2, heldRows: 3 },
  });

  // Act
  await twoRuns(catalog, FLOOR_0);

  // Assess: in any order, the one-row file and one of the two-row files are held (3 rows); the three-row file is
  // too large and the other two-row file does not fit: both are read from their Parquet. Every row shows once.
  expect(catalog.heldRows).toBe(3);
  expect(await sourcesOf('fact_sales_order')).toEqual({ held: true, parquetFiles: 2 });
  expect(await rows('SELECT sales_order_id FROM fact_sales_order ORDER BY 1')).toEqual(
    ['1', '2', '3', '4', '5', '6', '7', '8'].map((id) => [id]),
  );
});

it('lets go of the rows of a file below the next floor, and of a file gone from the lake', async () => {
  // Prepare: three files held under a first floor.
  await writeLakeFiles(lakeDir, salesOrders([1], 100n));
  const [middle] = await writeLakeFiles(lakeDir, salesOrders([2], 200n));
  await writeLakeFiles(lakeDir, salesOrders([3], 300n));
  const catalog = new DuckDbCatalog(connection, { lakeDir, bucket: BUCKET });
  await twoRuns(catalog, FLOOR_0);
  expect(catalog.heldRows).toBe(3);

  // Act: the floor (and the snapshot) rise above the first file, and the middle file is deleted (compaction's
  // delete pass).
  await unlink(middle as string);
  catalog.setFloor({ belowLsn: 150n, dtFrom: '2022-11-03', asOf: asOfEvery(150n) });
  await catalog.ensureTables();

  // Assess
  expect(catalog.heldRows).toBe(1);
  expect(await rows('SELECT sales_order_id FROM fact_sales_order ORDER BY 1')).toEqual([['3']]);
  const [[held] = []] = await rows('SELECT count(*) FROM "fact_sales_order$file_rows"');
  expect(held).toBe('"1"');
});

it('holds nothing once the floor is lifted: the views read the globs again', async () => {
  // Prepare
  await writeLakeFiles(lakeDir, salesOrders([1, 2], 100n));
  const catalog = new DuckDbCatalog(connection, { lakeDir, bucket: BUCKET });
  await twoRuns(catalog, FLOOR_0);
  expect(catalog.heldRows).toBe(2);

  // Act
  catalog.setFloor(null);
  await catalog.ensureTables();

  // Assess
  expect(catalog.heldRows).toBe(0);
  // One Parquet source: the table's glob.
  expect(await sourcesOf('fact_sales_order')).toEqual({ held: false, parquetFiles: 1 });
  expect(await rows('SELECT count(*) FROM fact_sales_order')).toEqual([['"2"']]);
});

it('reads a file the first run that wants it from its Parquet, and holds it from the second', async () => {
  // Prepare
  await writeLakeFiles(lakeDir, salesOrders([1, 2], 100n));
  const catalog = new DuckDbCatalog(connection, { lakeDir, bucket: BUCKET });

  // Act
  catalog.setFloor(FLOOR_0);
  await catalog.ensureTables();
  const first = { held: catalog.heldRows, sources: await sourcesOf('fact_sales_order') };
  catalog.setFloor(FLOOR_0);
  await catalog.ensureTables();

  // Assess
  expect(first).toEqual({ held: 0, sources: { held: false, parquetFiles: 1 } });
  expect(catalog.heldRows).toBe(2);
  expect(await sourcesOf('fact_sales_order')).toEqual({ held: true, parquetFiles: 0 });
  expect(await rows('SELECT sales_order_id FROM fact_sales_order ORDER BY 1')).toEqual([['1'], ['2']]);
});

it('holds no file of a table the floor does not read as of the cut', async () => {
  // Prepare
  await writeLakeFiles(lakeDir, salesOrders([1, 2], 100n));
  const catalog = new DuckDbCatalog(connection, { lakeDir, bucket: BUCKET });

  // Act
  await twoRuns(catalog, { ...FLOOR_0, asOf: new Map() });

  // Assess
  expect(catalog.heldRows).toBe(0);
  expect(await sourcesOf('fact_sales_order')).toEqual({ held: false, parquetFiles: 1 });
  expect(await rows('SELECT count(*) FROM fact_sales_order')).toEqual([['"2"']]);
});

it('holds nothing of a call that fails: its transaction is rolled back whole, and the next call holds each row once', async () => {
  // Prepare: two good sales order files, and a department "file" that is not Parquet; each wanted once before.
  const good = [
    ...(await writeLakeFiles(lakeDir, salesOrders([1], 100n))),
    ...(await writeLakeFiles(lakeDir, salesOrders([2], 110n))),
  ].map((path) => ({ path: path as string, rows: 1 }));
  const bad = { path: join(lakeDir, 'not-parquet.parquet'), rows: 1 };
  await writeFile(bad.path, 'not a Parquet file');
  const fileRows = new LakeFileRows(connection);
  const wanted = new Map([
    ['fact_sales_order', good],
    ['department', [bad]],
  ] as const);
  await fileRows.hold(wanted);

  // Act: the sales orders' insert runs before the department's, which fails; then a call without the bad file.
  const failure = await fileRows.hold(wanted).then(
    () => undefined,
    (error: unknown) => error as Error,
  );
  const held = fileRows.heldRows;
  const unheld = await fileRows.hold(new Map([['fact_sales_order', good]]));

  // Assess
  expect(failure?.message).toMatch(
    /Could not hold the rows of small lake files.*Check that the files are Parquet/,
  );
  expect(held).toBe(0);
  expect(unheld.get('fact_sales_order')).toEqual([]);
  expect(fileRows.heldRows).toBe(2);
  expect(await rows('SELECT sales_order_id FROM "fact_sales_order$file_rows" ORDER BY 1')).toEqual([
    ['1'],
    ['2'],
  ]);
});
