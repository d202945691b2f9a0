/**
 * @module
 * Per-column readers for record format conversion: a JSON attribute in, the value the Parquet writer stores
 * out (`ParquetCell`), with the column's type decided once rather than per value.
 *
 * Each reader is `parseJsonValue` (lake/lake-value.ts) followed by the Parquet encoding of the result (a
 * date becomes its epoch day). A fast path handles the canonical form the transformation writes (an int as
 * a JSON number, a decimal as `"123.45"`, a repeated `_commit_ts`...); anything else goes through
 * `parseJsonValue` itself, so what is accepted, refused and with which message is unchanged.
 */
import type { LakeColumn, LakeColumnType } from '../core/schema/lake-tables.ts';
import { canonicalDateDays, dateToEpochDays, parseJsonValue } from '../lake/lake-value.ts';
import type { ParquetCell } from '../lake/parquet-writer.ts';

/** Reads one JSON attribute (`undefined` when absent) of a column. @throws {LakeValueError} */
export type ColumnReader = (value: unknown) => ParquetCell;

/** At most 18 digits always fits a signed 64-bit integer. */
const CANONICAL_BIGINT = /^-?\d{1,18}$/;
/** Up to 8 whole and exactly 2 fraction digits: always inside decimal(10,2), read by dropping the point. */
const CANONICAL_DECIMAL = /^-?\d{1,8}\.\d\d$/;

/** The reader of `column`. Readers keep a one-value cache, so each call makes a fresh one. */
export function columnReader(column: LakeColumn): ColumnReader {
  return READERS[column.type](column);
}

const READERS: { readonly [T in LakeColumnType]: (column: LakeColumn) => ColumnReader } = {
  int: (column) => (value) => {
    // `| 0` is the identity on 32-bit integers (and turns -0 into 0, as the BigInt round trip does).
    if (typeof value === 'number' && (value | 0) === value) return value | 0;
    return parseJsonValue(column, value);
  },
  bigint: (column) =>
    cached((value) => {
      if (typeof value === 'string' && CANONICAL_BIGINT.test(value)) return BigInt(value);
      if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
      return parseJsonValue(column, value);
    }),
  'decimal(10,2)': (column) => (value) => {
    if (typeof value === 'string' && CANONICAL_DECIMAL.test(value)) {
      return BigInt(value.slice(0, -3) + value.slice(-2));
    }
    return parseJsonValue(column, value);
  },
  'decimal(18,8)': (column) => (value) => parseJsonValue(column, value),
  date: (column) =>
    cached((value) => {
      const days = typeof value === 'string' ? canonicalDateDays(value) : undefined;
      if (days !== undefined) return days;
      const date = parseJsonValue(column, value);
      return date === null ? null : dateToEpochDays(date as string);
    }),
  timestamp: (column) => cached((value) => parseJsonValue(column, value)),
  string: (column) => (value) => (typeof value === 'string' ? value : parseJsonValue(column, value)),
  boolean: (column) => (value) => (typeof value === 'boolean' ? value : parseJsonValue(column, value)),
};

/**
 * Remembers the last string read: rows of one file repeat dates, LSNs and commit times in runs (the events
 * of one transaction), and these are the costly values to read.
 */
function cached(read: ColumnReader): ColumnReader {
  let lastText: string | undefined;
  let lastValue: ParquetCell = null;
  return (value) => {
    if (value === null || value === undefined) return null;
    if (typeof value !== 'string') return read(value);
    if (value === lastText) return lastValue;
    const result = read(value);
    lastText = value;
    lastValue = result;
    return result;
  };
}
