/**
 * @module
 * The transformation of market observations (README, "Market data"): the same Lambda and response contract as
 * the change events of `firehose-transformation.ts`, for the records of a market delivery stream. A record's
 * `data` is one or more newline-terminated observation rows of the stream's market lake table, all of one fetch
 * (the collectors pack them so). Each row is read with the table's column types exactly as Firehose's
 * conversion will read it, its key and required columns checked, and written back in canonical form under the
 * partition key `dt` = the UTC day of its `fetched_at`. A row that does not fit fails its record whole.
 */
import { type LakeColumn, lakeColumns } from '../core/schema/lake-tables.ts';
import type { MarketLakeTable } from '../core/schema/market-lake-tables.ts';
import { formatJsonValue, LakeValueError, parseJsonRow } from '../lake/lake-value.ts';
import { RecordRejectedError } from './record-rejected-error.ts';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The lake rows of one record and their partition day, or a thrown {@link RecordRejectedError}. */
export function observationRows(table: MarketLakeTable, bytes: Uint8Array): { data: string; dt: string } {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch (error) {
    throw new RecordRejectedError('Record data is not UTF-8 text.', { table: table.name }, { cause: error });
  }
  const columns = lakeColumns(table);
  const required = columns.filter((c) => !table.nullableColumns.includes(c.name));
  let dt: string | undefined;
  let data = '';
  let count = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    count++;
    const row = readRow(table, columns, line, count);
    for (const column of required) {
      if (row[column.name] === null) {
        throw new RecordRejectedError(
          `Observation ${count} of the record has no ${column.name}; every ${table.name} row needs one.`,
          { table: table.name, column: column.name },
        );
      }
    }
    const object = Object.fromEntries(
      columns.map((column) => [column.name, formatJsonValue(column, row[column.name] ?? null)]),
    );
    const day = String(object['fetched_at']).slice(0, 10);
    if (dt !== undefined && day !== dt) {
      throw new RecordRejectedError(
        'Packed observations span two fetch days (dt partitions); a record must hold one fetch.',
        { table: table.name, column: 'fetched_at' },
      );
    }
    dt = day;
    data += `${JSON.stringify(object)}\n`;
  }
  if (dt === undefined)
    throw new RecordRejectedError('Record data holds no observation.', { table: table.name });
  return { data, dt };
}

function readRow(table: MarketLakeTable, columns: readonly LakeColumn[], line: string, count: number) {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    // JSON.parse's message quotes the input: keep values out of the reason.
    throw new RecordRejectedError(`Observation ${count} of the record is not JSON.`, { table: table.name });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RecordRejectedError(`Observation ${count} of the record is not a JSON object.`, {
      table: table.name,
    });
  }
  try {
    return parseJsonRow(columns, parsed as Record<string, unknown>);
  } catch (error) {
    if (!(error instanceof LakeValueError)) throw error;
    throw new RecordRejectedError(`Observation ${count} of the record: ${error.message}`, {
      table: table.name,
      column: error.column,
    });
  }
}
