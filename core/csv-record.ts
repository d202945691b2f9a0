/**
 * @module
 * One row of lossless text values as one CSV record, in the form PostgreSQL's `COPY … (FORMAT csv)` reads
 * without options: every value quoted (a `"` inside doubled), NULL an empty unquoted field, fields separated by
 * `,`, no line end. Quoting every value keeps `''` apart from NULL. The loader carries its rows in this form from
 * the query engine to the warehouse's staging COPY (core/ports/query-engine.ts `queryLines`), so a value it never
 * looks at is never a JavaScript string of its own; the few it looks at are read back from the record.
 */

import type { LineResult, QueryResult } from './ports/query-engine.ts';

/** A record that is not in the form {@link csvRecord} writes. */
export class CsvRecordError extends Error {
  override readonly name = 'CsvRecordError';
}

/** `values` as one record. */
export function csvRecord(values: readonly (string | null)[]): string {
  let record = '';
  const last = values.length - 1;
  for (let i = 0; i <= last; i++) {
    const value = values[i];
    if (value != null) record += value.includes('"') ? `"${value.replaceAll('"', '""')}"` : `"${value}"`;
    if (i < last) record += ',';
  }
  return record;
}

/** Each batch's rows as records (`queryLines` of an engine whose results arrive as values). */
export async function* linesOfBatches(batches: AsyncIterable<QueryResult>): AsyncGenerator<LineResult> {
  for await (const batch of batches) yield { columns: batch.columns, lines: batch.rows.map(csvRecord) };
}

/** Every value of a record written by {@link csvRecord} (`fields` of them). */
export function csvValues(record: string, fields: number): (string | null)[] {
  const values: (string | null)[] = new Array(fields);
  let at = 0;
  for (let i = 0; i < fields; i++) at = readField(record, at, i, values, i);
  return values;
}

/**
 * Reads some fields of records of one shape: the fields at `indexes` (any order; -1 for one the shape lacks,
 * which reads as null) come back in that order, and only the record's start up to the last of them is scanned.
 * The values are written into one array, reused record after record.
 */
export class CsvFieldReader {
  readonly #slots: Int32Array;
  readonly #values: (string | null)[];

  constructor(indexes: readonly number[]) {
    const last = Math.max(-1, ...indexes);
    this.#slots = new Int32Array(last + 1).fill(-1);
    for (const [slot, index] of indexes.entries()) if (index >= 0) this.#slots[index] = slot;
    this.#values = indexes.map(() => null);
  }

  /** The wanted fields of `record`, valid until the next call. */
  read(record: string): readonly (string | null)[] {
    let at = 0;
    const slots = this.#slots;
    const values = this.#values;
    for (let i = 0; i < slots.length; i++) at = readField(record, at, i, values, slots[i] as number);
    return values;
  }
}

/**
 * A reader of the named fields of records with `columns`: `read(line)` gives them in `names`' order, a name the
 * shape lacks as null.
 */
export function lineFields(columns: readonly string[], names: readonly string[]): CsvFieldReader {
  return new CsvFieldReader(names.map((name) => columns.indexOf(name)));
}

/**
 * Reads field `index` starting at `at`: stores it at `into[slot]` unless `slot` is -1, and returns where the next
 * field starts.
 */
function readField(record: string, at: number, index: number, into: (string | null)[], slot: number): number {
  const first = record.charCodeAt(at);
  if (first !== QUOTE) {
    if (!(first === COMMA || at === record.length))
      throw new CsvRecordError(`Field ${index} of a record is neither quoted nor empty.`);
    if (slot >= 0) into[slot] = null;
    return at + 1;
  }
  let end = record.indexOf('"', at + 1);
  let doubled = false;
  while (end >= 0 && record.charCodeAt(end + 1) === QUOTE) {
    doubled = true;
    end = record.indexOf('"', end + 2);
  }
  if (end < 0) throw new CsvRecordError(`Field ${index} of a record has no closing quote.`);
  if (slot >= 0) {
    const value = record.slice(at + 1, end);
    into[slot] = doubled ? value.replaceAll('""', '"') : value;
  }
  return end + 2;
}

const QUOTE = 34;
const COMMA = 44;
