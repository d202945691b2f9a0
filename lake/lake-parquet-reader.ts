/**
 * @module
 * Reads a lake table's Parquet object back as the cells `lake/parquet-writer.ts` writes, one row group at a
 * time, so compaction copies values exactly and holds one row group in memory, however large the partition.
 *
 * Parquet encodes one Glue type in several ways: the local Firehose writes `decimal(10,2)` as INT64 hundredths
 * and `timestamp` as INT64 milliseconds, while the Hive Parquet writer behind Firehose's record format
 * conversion on AWS uses FIXED_LEN_BYTE_ARRAY decimals and INT96 timestamps. Every encoding is normalised
 * here to the one the writer takes ({@link ParquetCell}); decimals never pass through a float (hyparquet's own
 * decimal conversion does, so the reader asks it for the unscaled integer instead).
 */
import { type FileMetaData, parquetMetadata, parquetRead, type SchemaElement } from 'hyparquet';
import {
  type AnyLakeTable,
  type AnyLakeTableName,
  DECIMAL_SHAPES,
  type LakeColumn,
  lakeColumns,
} from '../core/schema/lake-tables.ts';
import type { ParquetCell } from './parquet-writer.ts';

/**
 * A lake object that cannot be read as its table's Parquet: names the object and what to do, and carries its
 * key and table so that whoever meets it can quarantine it (lake/unreadable-objects.ts).
 */
export class LakeParquetReadError extends Error {
  override readonly name = 'LakeParquetReadError';
  /** The object's key (`<lake table>/dt=…/<name>.parquet`). */
  readonly key: string;
  readonly table: AnyLakeTableName;

  constructor(message: string, object: { key: string; table: AnyLakeTableName; cause?: unknown }) {
    super(message, object.cause === undefined ? undefined : { cause: object.cause });
    this.key = object.key;
    this.table = object.table;
  }
}

/** One row group of a lake object: one array of cells per column of `lakeColumns(table)`, in that order. */
export type LakeColumnCells = ParquetCell[][];

/** A lake object opened for reading: its row count and largest `_lsn`, and its row groups on demand. */
export interface LakeParquetObject {
  readonly rows: number;
  /**
   * The largest `_lsn` of the object (from the footer's statistics when present), null when it has no rows or
   * belongs to a market table (which has no `_lsn`).
   */
  readonly maxLsn: bigint | null;
  /** The row groups in file order. */
  rowGroups(): AsyncGenerator<LakeColumnCells>;
}

/**
 * Opens a lake object of `table` (`key` names it in errors); row groups come as cells of `columns` (the lake
 * table's by default; a state snapshot's add `dt`).
 */
export async function openLakeParquet(
  table: AnyLakeTable,
  key: string,
  bytes: Uint8Array,
  columns: readonly LakeColumn[] = lakeColumns(table),
): Promise<LakeParquetObject> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let metadata: FileMetaData;
  try {
    metadata = parquetMetadata(file);
  } catch (error) {
    throw new LakeParquetReadError(
      `Lake object ${key} of table ${table.name} is not a readable Parquet file; move it out of the table's ` +
        'prefix (it holds no row the lake can read) and compact again.',
      { key, table: table.name, cause: error },
    );
  }
  const present = new Set(metadata.schema.slice(1).map((element) => element.name));
  const missing = columns.filter((column) => !present.has(column.name)).map((c) => c.name);
  if (missing.length > 0) {
    throw new LakeParquetReadError(
      `Lake object ${key} of table ${table.name} lacks the columns ${missing.join(', ')} of the lake schema ` +
        '(core/schema/lake-tables.ts); it was not written by the pipeline: move it out of the table prefix.',
      { key, table: table.name },
    );
  }
  // Unscaled decimals: without their DECIMAL annotation hyparquet returns the stored integer or bytes.
  const rawMetadata: FileMetaData = {
    ...metadata,
    schema: metadata.schema.map((element) => (isDecimal(element) ? withoutAnnotation(element) : element)),
  };
  const rows = Number(metadata.num_rows);
  // Market tables have no `_lsn`: their objects are ordered by nothing but `fetched_at`.
  const maxLsn =
    rows === 0 || table.kind === 'observation'
      ? null
      : (lsnStatistic(metadata) ?? (await readPages(table, key, () => readMaxLsn(file, rawMetadata))));
  return {
    rows,
    maxLsn,
    async *rowGroups() {
      let start = 0;
      for (const group of metadata.row_groups) {
        const end = start + Number(group.num_rows);
        const read = await readPages(table, key, () => readRows(file, rawMetadata, columns, start, end));
        yield columns.map((column, index) =>
          read.map((row) => normalise(table, key, column, metadata.schema, row[index])),
        );
        start = end;
      }
    },
  };
}

/** Runs a read of the object's pages: a page that does not decode (a damaged object) names the object. */
async function readPages<T>(table: AnyLakeTable, key: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw new LakeParquetReadError(
      `Lake object ${key} of table ${table.name} has a footer but its pages cannot be read (a damaged ` +
        'object); move it out of the table prefix and compact again.',
      { key, table: table.name, cause: error },
    );
  }
}

async function readRows(
  file: ArrayBuffer,
  metadata: FileMetaData,
  columns: readonly LakeColumn[],
  rowStart: number,
  rowEnd: number,
): Promise<unknown[][]> {
  let rows: unknown[][] = [];
  await parquetRead({
    file,
    metadata,
    columns: columns.map((column) => column.name),
    rowStart,
    rowEnd,
    parsers: RAW_PARSERS,
    onComplete: (read: unknown[][]) => {
      rows = read;
    },
  });
  return rows;
}

/** Parsers that keep the stored integers (the writer's encodings) instead of building `Date`s. */
const RAW_PARSERS = {
  timestampFromMilliseconds: (millis: bigint) => ({ millis: BigInt(millis) }),
  timestampFromMicroseconds: (micros: bigint) => ({ millis: BigInt(micros) / 1000n }),
  timestampFromNanoseconds: (nanos: bigint) => ({ millis: BigInt(nanos) / 1_000_000n }),
  dateFromDays: (days: number) => ({ days }),
};

function normalise(
  table: AnyLakeTable,
  key: string,
  column: LakeColumn,
  schema: readonly SchemaElement[],
  value: unknown,
): ParquetCell {
  if (value === null || value === undefined) return null;
  switch (column.type) {
    case 'decimal(10,2)':
    case 'decimal(18,8)': {
      const element = schema.find((e) => e.name === column.name);
      const unscaled = value instanceof Uint8Array ? twosComplement(value) : BigInt(value as number | bigint);
      const want = DECIMAL_SHAPES[column.type].scale;
      const scale = element?.scale ?? want;
      // A lake decimal is its unscaled value at the type's scale; a file written at another scale is rescaled
      // exactly.
      if (scale === want) return unscaled;
      if (scale < want) return unscaled * 10n ** BigInt(want - scale);
      const divisor = 10n ** BigInt(scale - want);
      if (unscaled % divisor !== 0n) throw cellError(table, key, column, `has more than ${want} decimals`);
      return unscaled / divisor;
    }
    case 'timestamp':
      if (typeof value === 'object' && 'millis' in value) return (value as { millis: bigint }).millis;
      if (typeof value === 'bigint') return value;
      throw cellError(table, key, column, 'is not a Parquet timestamp');
    case 'date':
      if (typeof value === 'object' && 'days' in value) return (value as { days: number }).days;
      if (typeof value === 'number') return value;
      throw cellError(table, key, column, 'is not a Parquet date');
    case 'bigint':
      return BigInt(value as number | bigint);
    case 'int':
      return Number(value);
    case 'boolean':
      return Boolean(value);
    case 'string':
      if (typeof value === 'string') return value;
      if (value instanceof Uint8Array) return new TextDecoder().decode(value);
      throw cellError(table, key, column, 'is not a string');
  }
}

function cellError(table: AnyLakeTable, key: string, column: LakeColumn, what: string): LakeParquetReadError {
  return new LakeParquetReadError(
    `Lake object ${key} of table ${table.name}: a value of column ${column.name} (${column.type}) ${what}; ` +
      'the object does not follow the lake schema (core/schema/lake-tables.ts): move it out of the table prefix.',
    { key, table: table.name },
  );
}

/** The largest `_lsn` from the row groups' statistics, or undefined when a row group has none. */
function lsnStatistic(metadata: FileMetaData): bigint | null | undefined {
  let max: bigint | null = null;
  for (const group of metadata.row_groups) {
    const chunk = group.columns.find((c) => c.meta_data?.path_in_schema.join('.') === '_lsn');
    const value = chunk?.meta_data?.statistics?.max_value;
    if (typeof value !== 'bigint' && typeof value !== 'number') return undefined;
    const lsn = BigInt(value);
    if (max === null || lsn > max) max = lsn;
  }
  return max;
}

async function readMaxLsn(file: ArrayBuffer, metadata: FileMetaData): Promise<bigint | null> {
  let max: bigint | null = null;
  await parquetRead({
    file,
    metadata,
    columns: ['_lsn'],
    onComplete: (rows: unknown[][]) => {
      for (const [value] of rows) {
        if (value === null || value === undefined) continue;
        const lsn = BigInt(value as number | bigint);
        if (max === null || lsn > max) max = lsn;
      }
    },
  });
  return max;
}

function isDecimal(element: SchemaElement): boolean {
  return element.converted_type === 'DECIMAL' || element.logical_type?.type === 'DECIMAL';
}

function withoutAnnotation(element: SchemaElement): SchemaElement {
  const { converted_type: _converted, logical_type: _logical, ...rest } = element;
  return rest;
}

/** A big-endian two's complement integer (Parquet's FIXED_LEN_BYTE_ARRAY decimal). */
function twosComplement(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  const bits = BigInt(bytes.length * 8);
  return bytes.length > 0 && (bytes[0]! & 0x80) !== 0 ? value - (1n << bits) : value;
}
