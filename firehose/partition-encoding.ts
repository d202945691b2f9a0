/**
 * @module
 * Record format conversion and Parquet encoding of one partition buffer: its transformed records in, one
 * Parquet object (when any record converts) and each record's conversion failure out.
 *
 * A pure function of the table and the record bytes, so it can run on the delivery stream's thread
 * ({@link inProcessEncoder}) or in a worker (`LambdaWorkerPool.encoder`), which leaves the main thread to
 * accept records while another core converts and compresses.
 */
import { type AnyLakeTableName, anyLakeTable } from '../core/schema/lake-tables.ts';
import { writeLakeParquetColumns } from '../lake/parquet-writer.ts';
import { type RecordConverter, recordConverter } from './format-conversion.ts';

/** Why one record failed conversion (it goes to `format-conversion-failed`). */
export interface ConversionFailure {
  readonly errorCode: string;
  readonly errorMessage: string;
}

/** The outcome of one partition buffer. */
export interface PartitionEncoding {
  /** The Parquet object of the records that converted; undefined when none did. */
  readonly body: Uint8Array | undefined;
  /** Rows in `body`. */
  readonly rows: number;
  /** One entry per record, in order: undefined when it converted, else its failure. */
  readonly failures: readonly (ConversionFailure | undefined)[];
}

/** Converts and encodes one partition buffer of `table`, wherever it runs. */
export type PartitionEncoder = (
  table: AnyLakeTableName,
  records: readonly Uint8Array[],
) => Promise<PartitionEncoding>;

/** One converter per table and thread: its column readers keep small caches worth reusing. */
const CONVERTERS = new Map<AnyLakeTableName, RecordConverter>();

/** Converts `records` of `table` and encodes the rows of those that converted as one Parquet file. */
export function encodePartition(table: AnyLakeTableName, records: readonly Uint8Array[]): PartitionEncoding {
  let converter = CONVERTERS.get(table);
  if (!converter) {
    converter = recordConverter(anyLakeTable(table));
    CONVERTERS.set(table, converter);
  }
  const columns = converter.emptyColumns();
  let rows = 0;
  let converted = 0;
  const failures = records.map((data): ConversionFailure | undefined => {
    const result = converter.convertInto(data, columns);
    if (!result.ok) return { errorCode: result.errorCode, errorMessage: result.errorMessage };
    rows += result.rows;
    converted++;
    return undefined;
  });
  const body = converted > 0 ? writeLakeParquetColumns(anyLakeTable(table), columns) : undefined;
  return { body, rows, failures };
}

/** A {@link PartitionEncoder} on the calling thread. */
export const inProcessEncoder: PartitionEncoder = async (table, records) => encodePartition(table, records);
