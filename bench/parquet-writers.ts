/**
 * @module
 * `npm run bench -- lake --writers`: the lake's Parquet encoder (hyparquet-writer, `lake/parquet-writer.ts`)
 * beside DuckDB's own Parquet writer, both fed the same converted columns: every object the local Firehose
 * wrote in the run, read back as cells (`lake/lake-parquet-reader.ts`), is encoded again by each writer.
 * DuckDB is fed through its appender (data chunks of typed values) and writes with `COPY … TO (FORMAT
 * PARQUET, COMPRESSION SNAPPY)`. Outside the clocks, each output is read back by the other library (hyparquet
 * reads DuckDB's file, DuckDB reads hyparquet-writer's) and must hold the cells fed in; the columns' Parquet
 * types and annotations in DuckDB's files are compared with the lake's (`lakeParquetSchema`).
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BIGINT,
  BOOLEAN,
  DATE,
  DECIMAL,
  type DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  type DuckDBType,
  type DuckDBValue,
  dateValue,
  decimalValue,
  INTEGER,
  TIMESTAMP_MS,
  timestampMillisValue,
  VARCHAR,
} from '@duckdb/node-api';
import { parquetMetadata } from 'hyparquet';
import {
  type AnyLakeTable,
  DECIMAL_SHAPES,
  LAKE_TABLES,
  type LakeColumnType,
  lakeColumns,
} from '../core/schema/lake-tables.ts';
import { openLakeParquet } from '../lake/lake-parquet-reader.ts';
import { type ParquetCell, writeLakeParquetColumns } from '../lake/parquet-writer.ts';

/** DuckDB's types for the lake's Glue types (a `date` cell is its day count, a `timestamp` its milliseconds). */
const DUCKDB_TYPES: Readonly<Record<LakeColumnType, DuckDBType>> = {
  int: INTEGER,
  bigint: BIGINT,
  string: VARCHAR,
  boolean: BOOLEAN,
  date: DATE,
  timestamp: TIMESTAMP_MS,
  'decimal(10,2)': DECIMAL(DECIMAL_SHAPES['decimal(10,2)'].precision, DECIMAL_SHAPES['decimal(10,2)'].scale),
  'decimal(18,8)': DECIMAL(DECIMAL_SHAPES['decimal(18,8)'].precision, DECIMAL_SHAPES['decimal(18,8)'].scale),
};

/** One lake cell as the DuckDB value of its column's type. */
function duckDbValue(type: LakeColumnType, cell: ParquetCell): DuckDBValue {
  if (cell === null) return null;
  switch (type) {
    case 'date':
      return dateValue(cell as number);
    case 'timestamp':
      return timestampMillisValue(cell as bigint);
    case 'decimal(10,2)':
    case 'decimal(18,8)':
      return decimalValue(cell as bigint, DECIMAL_SHAPES[type].precision, DECIMAL_SHAPES[type].scale);
    default:
      return cell;
  }
}

/** DuckDB's data chunks hold at most this many rows (its vector size). */
const CHUNK_ROWS = 2048;

/** One object's columns, as the Firehose's conversion produced them. */
interface ConvertedObject {
  readonly table: AnyLakeTable;
  readonly columns: ParquetCell[][];
}

/** The figures of the comparison. */
export interface WriterComparison {
  readonly objects: number;
  readonly rows: number;
  readonly hyparquet: { readonly seconds: number; readonly cpuSeconds: number; readonly bytes: number };
  readonly duckdb: { readonly seconds: number; readonly cpuSeconds: number; readonly bytes: number };
  /** Columns whose Parquet annotations in DuckDB's files differ from the lake schema's, `table.column: why`. */
  readonly schemaDifferences: readonly string[];
}

/** Every Parquet object under `bucketDir` (`<table>/dt=…/*.parquet`), read back as converted columns. */
async function convertedObjects(bucketDir: string): Promise<ConvertedObject[]> {
  const objects: ConvertedObject[] = [];
  for (const table of Object.values(LAKE_TABLES)) {
    const tableDir = join(bucketDir, table.name);
    const days = await readdir(tableDir).catch(() => [] as string[]);
    for (const day of days) {
      for (const name of (await readdir(join(tableDir, day))).filter((n) => n.endsWith('.parquet'))) {
        const key = join(table.name, day, name);
        const opened = await openLakeParquet(table, key, await readFile(join(tableDir, day, name)));
        const columns: ParquetCell[][] = lakeColumns(table).map(() => []);
        for await (const group of opened.rowGroups())
          group.forEach((cells, i) => {
            for (const cell of cells) columns[i]?.push(cell);
          });
        objects.push({ table, columns });
      }
    }
  }
  return objects;
}

/** Encodes every object with both writers, timed apart, then checks each output against the cells fed in. */
export async function compareParquetWriters(bucketDir: string, workDir: string): Promise<WriterComparison> {
  const objects = await convertedObjects(bucketDir);
  const rows = objects.reduce((sum, o) => sum + (o.columns[0]?.length ?? 0), 0);

  const ours: Uint8Array[] = [];
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  for (const object of objects) ours.push(writeLakeParquetColumns(object.table, object.columns));
  const hyparquet = {
    seconds: (performance.now() - started) / 1000,
    cpuSeconds: cpuSince(cpu0),
    bytes: ours.reduce((sum, b) => sum + b.byteLength, 0),
  };

  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await instance.connect();
  const theirs: Uint8Array[] = [];
  try {
    for (const table of Object.values(LAKE_TABLES)) {
      const columns = lakeColumns(table)
        .map((c) => `"${c.name}" ${DUCKDB_TYPES[c.type].toString()}`)
        .join(', ');
      await connection.run(`CREATE TABLE "${table.name}" (${columns})`);
    }
    const duckCpu0 = process.cpuUsage();
    const duckStarted = performance.now();
    for (const [index, object] of objects.entries()) {
      const path = join(workDir, `duckdb-${index}.parquet`);
      await writeWithDuckDb(connection, object, path);
      theirs.push(await readFile(path));
    }
    const duckdb = {
      seconds: (performance.now() - duckStarted) / 1000,
      cpuSeconds: cpuSince(duckCpu0),
      bytes: theirs.reduce((sum, b) => sum + b.byteLength, 0),
    };
    for (const [index, object] of objects.entries()) {
      await expectCells(object, theirs[index] as Uint8Array, 'DuckDB (read by hyparquet)');
      await expectDuckDbReads(connection, object, ours[index] as Uint8Array, join(workDir, 'ours.parquet'));
    }
    return {
      objects: objects.length,
      rows,
      hyparquet,
      duckdb,
      schemaDifferences: schemaDifferences(objects, ours, theirs),
    };
  } finally {
    connection.closeSync();
    instance.closeSync();
    await rm(join(workDir, 'ours.parquet'), { force: true });
    for (const index of objects.keys()) await rm(join(workDir, `duckdb-${index}.parquet`), { force: true });
  }
}

/** Appends an object's columns to its (empty) DuckDB table as data chunks of typed values. */
async function appendObject(connection: DuckDBConnection, object: ConvertedObject): Promise<void> {
  const lake = lakeColumns(object.table);
  const types = lake.map((c) => DUCKDB_TYPES[c.type]);
  const count = object.columns[0]?.length ?? 0;
  const appender = await connection.createAppender(object.table.name);
  for (let from = 0; from < count; from += CHUNK_ROWS) {
    const size = Math.min(CHUNK_ROWS, count - from);
    const chunk = DuckDBDataChunk.create(types, size);
    chunk.setColumns(
      lake.map((column, i) =>
        (object.columns[i] ?? []).slice(from, from + size).map((cell) => duckDbValue(column.type, cell)),
      ),
    );
    appender.appendDataChunk(chunk);
  }
  appender.closeSync();
}

/** One object through DuckDB: appended, then `COPY … TO` a Parquet file. */
async function writeWithDuckDb(connection: DuckDBConnection, object: ConvertedObject, path: string) {
  await appendObject(connection, object);
  await connection.run(`COPY "${object.table.name}" TO '${path}' (FORMAT PARQUET, COMPRESSION SNAPPY)`);
  await connection.run(`DELETE FROM "${object.table.name}"`);
}

/** The file holds exactly the cells fed in, as the lake's reader normalises them. */
async function expectCells(object: ConvertedObject, bytes: Uint8Array, writer: string): Promise<void> {
  const opened = await openLakeParquet(object.table, writer, bytes);
  const read: ParquetCell[][] = lakeColumns(object.table).map(() => []);
  for await (const group of opened.rowGroups())
    group.forEach((cells, i) => {
      for (const cell of cells) read[i]?.push(cell);
    });
  lakeColumns(object.table).forEach((column, i) => {
    const fed = object.columns[i] ?? [];
    const got = read[i] ?? [];
    const at = fed.findIndex((cell, row) => cell !== got[row]);
    if (got.length !== fed.length || at >= 0)
      throw new Error(`${writer}: ${object.table.name}.${column.name} reads back differently (row ${at}).`);
  });
}

/** DuckDB reads hyparquet-writer's file as the same rows it was fed (compared in DuckDB, row for row). */
async function expectDuckDbReads(
  connection: DuckDBConnection,
  object: ConvertedObject,
  bytes: Uint8Array,
  path: string,
): Promise<void> {
  await writeFile(path, bytes);
  const name = object.table.name;
  await appendObject(connection, object);
  const columns = lakeColumns(object.table)
    .map((c) => `"${c.name}"`)
    .join(', ');
  const reader = await connection.runAndReadAll(
    `SELECT (SELECT count(*) FROM (SELECT ${columns} FROM "${name}" EXCEPT ALL SELECT ${columns} FROM read_parquet('${path}')))
          + (SELECT count(*) FROM (SELECT ${columns} FROM read_parquet('${path}') EXCEPT ALL SELECT ${columns} FROM "${name}"))`,
  );
  await connection.run(`DELETE FROM "${name}"`);
  const differing = Number(reader.getRows()[0]?.[0] ?? -1);
  if (differing !== 0)
    throw new Error(
      `hyparquet-writer (read by DuckDB): ${name} has ${differing} rows that differ from the cells fed.`,
    );
}

/**
 * Columns whose physical type or meaning in DuckDB's files differs from hyparquet-writer's. DuckDB annotates
 * strings, dates and integers with the legacy converted type only (UTF8, DATE, INT_32), which means the same
 * as the logical type hyparquet-writer adds (STRING, DATE, none); timestamps and decimals are compared in full.
 */
function schemaDifferences(
  objects: readonly ConvertedObject[],
  ours: readonly Uint8Array[],
  theirs: readonly Uint8Array[],
): string[] {
  const legacy: Readonly<Record<string, string>> = {
    UTF8: '{"type":"STRING"}',
    DATE: '{"type":"DATE"}',
    INT_32: 'none',
    INT_64: 'none',
  };
  const schema = (bytes: Uint8Array) =>
    parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer)
      .schema.slice(1)
      .map((e) => {
        const meaning = e.logical_type
          ? JSON.stringify(e.logical_type)
          : e.converted_type
            ? (legacy[e.converted_type] ?? e.converted_type)
            : 'none';
        return [e.name, `${e.type} ${meaning}`] as const;
      });
  const differences = new Set<string>();
  objects.forEach((object, index) => {
    const expected = new Map(schema(ours[index] as Uint8Array));
    for (const [name, shape] of schema(theirs[index] as Uint8Array))
      if (expected.get(name) !== shape)
        differences.add(`${object.table.name}.${name}: ${shape} (the lake's: ${expected.get(name)})`);
  });
  return [...differences];
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}
