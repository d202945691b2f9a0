/**
 * @module
 * Writes lake rows as one Parquet file with the lake table's schema, as Firehose's record format conversion
 * does on AWS: business and metadata columns in lake schema order (the `dt` partition lives in the object path, not
 * in the file), every column optional, Snappy compression.
 *
 * Types are the Parquet encodings Athena, DuckDB and hyparquet read back as the Glue types: `decimal(p,s)` is
 * INT64 DECIMAL(p,s) of the unscaled value (`decimal(10,2)`: hundredths) (exact, never a float), `timestamp` is INT64 TIMESTAMP(MILLIS) not adjusted
 * to UTC (Glue's `timestamp` has no zone; the values are UTC wall time), `date` is INT32 DATE.
 */
import type { SchemaElement } from 'hyparquet';
import { ByteWriter, ParquetWriter, parquetWriteBuffer } from 'hyparquet-writer';
import {
  type AnyLakeTable,
  DECIMAL_SHAPES,
  type LakeColumn,
  type LakeColumnType,
  lakeColumns,
} from '../core/schema/lake-tables.ts';
import { dateToEpochDays, type LakeRow, type LakeValue } from './lake-value.ts';

/**
 * One stored Parquet value: the lake value (see `LakeValue`), except that a `date` is its day count since
 * 1970-01-01 (Parquet's DATE). `null` is SQL NULL.
 */
export type ParquetCell = number | bigint | string | boolean | null;

/** A row value that does not have the JavaScript type its column's Glue type needs (a bug upstream). */
export class LakeParquetError extends Error {
  override readonly name = 'LakeParquetError';
}

/** Rows per row group: big enough for Athena to read efficiently, small enough to bound writer memory. */
const ROW_GROUP_ROWS = 100_000;

const PARQUET_TYPES: { readonly [T in LakeColumnType]: Omit<SchemaElement, 'name'> } = {
  int: { type: 'INT32' },
  bigint: { type: 'INT64' },
  string: { type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } },
  boolean: { type: 'BOOLEAN' },
  date: { type: 'INT32', converted_type: 'DATE', logical_type: { type: 'DATE' } },
  // The Parquet spec asks writers to add the legacy TIMESTAMP_MILLIS annotation to local timestamps too, so
  // that readers which only know converted types (older Hive paths) still see a timestamp.
  timestamp: {
    type: 'INT64',
    converted_type: 'TIMESTAMP_MILLIS',
    logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MILLIS' },
  },
  'decimal(10,2)': int64Decimal(DECIMAL_SHAPES['decimal(10,2)']),
  'decimal(18,8)': int64Decimal(DECIMAL_SHAPES['decimal(18,8)']),
};

/** An exact decimal as INT64 of its unscaled value (every lake decimal has at most 18 digits). */
function int64Decimal(shape: { precision: number; scale: number }): Omit<SchemaElement, 'name'> {
  return {
    type: 'INT64',
    converted_type: 'DECIMAL',
    precision: shape.precision,
    scale: shape.scale,
    logical_type: { type: 'DECIMAL', precision: shape.precision, scale: shape.scale },
  };
}

/** The JavaScript type each Glue type's lake values have (see `LakeValue`). */
const VALUE_TYPES: { readonly [T in LakeColumnType]: 'number' | 'bigint' | 'string' | 'boolean' } = {
  int: 'number',
  bigint: 'bigint',
  string: 'string',
  boolean: 'boolean',
  date: 'string',
  timestamp: 'bigint',
  'decimal(10,2)': 'bigint',
  'decimal(18,8)': 'bigint',
};

/**
 * The Parquet schema of a lake table's files: root, then one optional leaf per column (`columns`: the lake
 * table's by default; a state snapshot's add `dt`).
 */
export function lakeParquetSchema(
  table: AnyLakeTable,
  columns: readonly LakeColumn[] = lakeColumns(table),
): SchemaElement[] {
  return [
    { name: 'root', num_children: columns.length },
    ...columns.map(
      (column): SchemaElement => ({
        name: column.name,
        repetition_type: 'OPTIONAL',
        ...PARQUET_TYPES[column.type],
      }),
    ),
  ];
}

/**
 * Encodes `rows` (typed with `parseJsonValue`) as a Parquet file of `table`. A column missing from a row is
 * NULL.
 *
 * @throws {LakeParquetError} when a value's JavaScript type does not match its column, naming the table, column
 * and row index.
 */
export function writeLakeParquet(table: AnyLakeTable, rows: readonly LakeRow[]): Uint8Array {
  return writeLakeParquetColumns(
    table,
    lakeColumns(table).map((column) => columnValues(table, column, rows)),
  );
}

/**
 * Encodes columns of Parquet cells, one array per column of `lakeColumns(table)` in that order, all of one
 * length, as a Parquet file of `table`. The cells are not checked: they must already have their column's
 * type (the record format conversion reads them with per-column readers that guarantee it).
 */
export function writeLakeParquetColumns(table: AnyLakeTable, columns: readonly ParquetCell[][]): Uint8Array {
  const columnData = lakeColumns(table).map((column, index) => ({
    name: column.name,
    data: columns[index] ?? [],
  }));
  const buffer = parquetWriteBuffer({
    columnData,
    schema: lakeParquetSchema(table),
    codec: 'SNAPPY',
    rowGroupSize: ROW_GROUP_ROWS,
    createdBy: 'totesys-stream (hyparquet-writer)',
  });
  return new Uint8Array(buffer);
}

/**
 * A Parquet file of `table` written a row group at a time, for outputs larger than what should be held as
 * rows: cells are buffered up to one row group ({@link ROW_GROUP_ROWS} rows), encoded, and only the encoded
 * bytes are kept. `bytes` tells how large the file has grown, so a caller can cut objects at a target size.
 */
export class LakeParquetStream {
  readonly #columns: readonly LakeColumn[];
  readonly #output = new ByteWriter();
  readonly #writer: ParquetWriter;
  #pending: ParquetCell[][];
  #rows = 0;

  /** Cells of `columns` (the lake table's by default), in that order. */
  constructor(table: AnyLakeTable, columns: readonly LakeColumn[] = lakeColumns(table)) {
    this.#columns = columns;
    this.#writer = new ParquetWriter({
      writer: this.#output,
      schema: lakeParquetSchema(table, columns),
      codec: 'SNAPPY',
      createdBy: 'totesys-stream (hyparquet-writer)',
    });
    this.#pending = columns.map(() => []);
  }

  /** Rows appended so far. */
  get rows(): number {
    return this.#rows;
  }

  /** Encoded bytes so far (row groups written; the buffered one not yet). */
  get bytes(): number {
    return this.#output.offset;
  }

  /** Appends rows given as columns (see {@link writeLakeParquetColumns}); a full row group is encoded at once. */
  append(columns: readonly ParquetCell[][]): void {
    const count = columns[0]?.length ?? 0;
    for (let index = 0; index < this.#pending.length; index++) {
      const target = this.#pending[index]!;
      for (const cell of columns[index] ?? []) target.push(cell);
    }
    this.#rows += count;
    if ((this.#pending[0]?.length ?? 0) >= ROW_GROUP_ROWS) this.#flush();
  }

  /** Encodes the buffered rows and the footer; the stream is done. */
  finish(): Uint8Array {
    this.#flush();
    this.#writer.finish();
    return new Uint8Array(this.#output.getBuffer());
  }

  #flush(): void {
    if ((this.#pending[0]?.length ?? 0) === 0) return;
    this.#writer.write({
      columnData: this.#columns.map((column, index) => ({
        name: column.name,
        data: this.#pending[index] ?? [],
      })),
      rowGroupSize: ROW_GROUP_ROWS,
    });
    this.#pending = this.#columns.map(() => []);
  }
}

function columnValues(table: AnyLakeTable, column: LakeColumn, rows: readonly LakeRow[]): ParquetCell[] {
  const expected = VALUE_TYPES[column.type];
  const values = new Array<ParquetCell>(rows.length);
  let lastDate: string | undefined;
  let lastDays = 0;
  for (let index = 0; index < rows.length; index++) {
    const value: LakeValue | undefined = rows[index]?.[column.name];
    if (value === null || value === undefined) {
      values[index] = null;
      continue;
    }
    if (typeof value !== expected) {
      throw new LakeParquetError(
        `Lake table ${table.name}, column ${column.name} (${column.type}), row ${index}: expected a ${expected} ` +
          `value but got a ${typeof value}; type rows with parseJsonValue from lake/lake-value.ts first.`,
      );
    }
    if (column.type === 'int' && !isInt32(value as number)) {
      throw new LakeParquetError(
        `Lake table ${table.name}, column ${column.name} (int), row ${index}: not a 32-bit integer; ` +
          'type rows with parseJsonValue from lake/lake-value.ts first.',
      );
    }
    if (column.type === 'date') {
      // Rows of one file mostly share a few dates: convert each distinct run once.
      if (value !== lastDate) {
        lastDate = value as string;
        lastDays = epochDays(table, column, index, lastDate);
      }
      values[index] = lastDays;
    } else {
      values[index] = value;
    }
  }
  return values;
}

function epochDays(table: AnyLakeTable, column: LakeColumn, index: number, date: string): number {
  try {
    return dateToEpochDays(date);
  } catch (error) {
    throw new LakeParquetError(
      `Lake table ${table.name}, column ${column.name} (date), row ${index}: not a YYYY-MM-DD calendar date; ` +
        'type rows with parseJsonValue from lake/lake-value.ts first.',
      { cause: error },
    );
  }
}

function isInt32(value: number): boolean {
  return Number.isInteger(value) && value >= -2_147_483_648 && value <= 2_147_483_647;
}
