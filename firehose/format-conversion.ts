/**
 * @module
 * Record format conversion as Firehose does it with the OpenX JSON SerDe: one transformed record holds one
 * or more JSON objects (concatenated or newline-delimited; a JSON array is invalid), each becomes one row of
 * the stream's Glue table. A record that cannot be read fails as a whole (`format-conversion-failed`), the
 * other records of the batch still convert (`firehose/README.md`, record format conversion).
 */
import { type AnyLakeTable, lakeColumns } from '../core/schema/lake-tables.ts';
import { LakeValueError } from '../lake/lake-value.ts';
import type { ParquetCell } from '../lake/parquet-writer.ts';
import {
  type CanonicalPlan,
  canonicalPlan,
  readCanonicalBytes,
  readCanonicalLines,
} from './canonical-record-conversion.ts';
import { type ColumnReader, columnReader } from './column-readers.ts';

/** Error codes Firehose reports for conversion failures (as observed on AWS). */
export const CONVERSION_ERROR_CODES = {
  parse: 'DataFormatConversion.ParseError',
  malformed: 'DataFormatConversion.MalformedData',
} as const;

/** How many rows one record added, or why it failed. */
export type ConversionResult =
  | { readonly ok: true; readonly rows: number }
  | { readonly ok: false; readonly errorCode: string; readonly errorMessage: string };

/**
 * A converter bound to one lake table's columns. It fills columns (one array of Parquet cells per column of
 * `lakeColumns(table)`) rather than building a row object per JSON object: the Parquet writer wants columns.
 */
export interface RecordConverter {
  /** Empty columns to convert records into. */
  emptyColumns(): ParquetCell[][];
  /** Appends the rows of one record to `columns`; a failed record leaves them as they were. */
  convertInto(data: Uint8Array, columns: ParquetCell[][]): ConversionResult;
}

class ParseError extends Error {
  override readonly name = 'ParseError';
}

const decoder = new TextDecoder('utf-8', { fatal: true });
const NOT_UTF8_JSON = 'the record is not valid UTF-8 JSON.';

/** A converter for `table`: its business and metadata columns (the `dt` partition is in the path). */
export function recordConverter(table: AnyLakeTable): RecordConverter {
  const columns = lakeColumns(table);
  const names = columns.map((column) => column.name);
  const lowerNames = names.map((name) => name.toLowerCase());
  const readers = columns.map(columnReader);
  const plan = { names, lowerNames, readers, canonical: canonicalPlan(names, readers) };
  return {
    emptyColumns: () => columns.map((): ParquetCell[] => []),
    convertInto: (data, target) => convertRecord(table, plan, data, target),
  };
}

interface ColumnPlan {
  readonly names: readonly string[];
  readonly lowerNames: readonly string[];
  readonly readers: readonly ColumnReader[];
  readonly canonical: CanonicalPlan;
}

function convertRecord(
  table: AnyLakeTable,
  plan: ColumnPlan,
  data: Uint8Array,
  target: ParquetCell[][],
): ConversionResult {
  let text: string;
  try {
    text = decoder.decode(data);
  } catch {
    return parseFailure(table, NOT_UTF8_JSON);
  }
  const start = target[0]?.length ?? 0;
  const rows = readCanonically(plan, data, text, target);
  if (rows !== undefined) return { ok: true, rows };
  // Not the transformation's canonical lines, or a value refused: read it all again the general way, so
  // that a parse error later in the record still wins over a refused value, as it always has.
  for (const column of target) column.length = start;
  let objects: unknown[];
  try {
    objects = splitJsonObjects(text);
  } catch (error) {
    return parseFailure(table, error instanceof ParseError ? error.message : NOT_UTF8_JSON);
  }
  try {
    for (const object of objects) appendRow(plan, object as Readonly<Record<string, unknown>>, target);
  } catch (error) {
    if (!(error instanceof LakeValueError)) throw error;
    // The record fails as a whole: drop what its earlier objects added.
    for (const column of target) column.length = start;
    return {
      ok: false,
      errorCode: CONVERSION_ERROR_CODES.malformed,
      errorMessage: `Lake table ${table.name}: ${error.message}`,
    };
  }
  return { ok: true, rows: objects.length };
}

function parseFailure(table: AnyLakeTable, reason: string): ConversionResult {
  return {
    ok: false,
    errorCode: CONVERSION_ERROR_CODES.parse,
    errorMessage: `Cannot parse the record for ${table.name}: ${reason}`,
  };
}

/** The fast path's row count, or undefined when the record is not canonical or holds a refused value. */
function readCanonically(
  plan: ColumnPlan,
  data: Uint8Array,
  text: string,
  target: ParquetCell[][],
): number | undefined {
  try {
    // An ASCII record (one character per byte) is scanned on its bytes, any other on its text.
    return text.length === data.length
      ? readCanonicalBytes(data, text, plan.canonical, target)
      : readCanonicalLines(text, plan.canonical, target);
  } catch (error) {
    if (error instanceof LakeValueError) return undefined;
    throw error;
  }
}

/**
 * One object as a row, the way the OpenX JSON SerDe reads it (`parseJsonRow` in lake/lake-value.ts):
 * attributes not in the table are dropped, missing ones are NULL, keys match case-insensitively with an
 * exact-case key winning. A refused value leaves the columns uneven: the caller truncates them.
 */
function appendRow(
  plan: ColumnPlan,
  object: Readonly<Record<string, unknown>>,
  target: ParquetCell[][],
): void {
  const { names, lowerNames, readers } = plan;
  let folded: Map<string, unknown> | undefined;
  for (let index = 0; index < names.length; index++) {
    const name = names[index] as string;
    let value = object[name];
    if (value === undefined && !Object.hasOwn(object, name)) {
      folded ??= foldKeys(object);
      value = folded.get(lowerNames[index] as string);
    }
    (target[index] as ParquetCell[]).push((readers[index] as ColumnReader)(value));
  }
}

function foldKeys(object: Readonly<Record<string, unknown>>): Map<string, unknown> {
  const folded = new Map<string, unknown>();
  for (const [key, value] of Object.entries(object)) {
    const lower = key.toLowerCase();
    if (!folded.has(lower) || key === lower) folded.set(lower, value);
  }
  return folded;
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Splits text into its top-level JSON objects, separated by any whitespace or none. Newline-terminated
 * objects take a fast path (one `JSON.parse` for the record); anything else goes through a scanner that
 * tracks strings and depth and parses each object alone.
 *
 * @throws ParseError for arrays, scalars, unbalanced braces or invalid JSON, or text without any object.
 */
export function splitJsonObjects(text: string): unknown[] {
  const lines = parseAsLines(text);
  if (lines) return lines;
  const objects: unknown[] = [];
  scanConcatenated(text, objects);
  if (objects.length === 0) throw new ParseError('the record holds no JSON object.');
  return objects;
}

/**
 * The common case in one `JSON.parse`: newline-terminated objects, no blank lines. Undefined when the text
 * is anything else (the careful path then decides what is wrong).
 */
function parseAsLines(text: string): unknown[] | undefined {
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (body === '' || body.charCodeAt(0) !== 0x7b) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(`[${body.replaceAll('\n', ',')}]`);
  } catch {
    return undefined;
  }
  const objects = parsed as unknown[];
  // A newline inside an object (`{"a":1\n"b":2}`) would have become a comma and merged two lines into one
  // element: only one element per line proves every newline separated two top-level objects.
  let lines = 1;
  for (let at = body.indexOf('\n'); at >= 0; at = body.indexOf('\n', at + 1)) lines++;
  if (objects.length !== lines) return undefined;
  for (const object of objects) if (!isPlainObject(object)) return undefined;
  return objects;
}

function scanConcatenated(text: string, out: unknown[]): void {
  let at = 0;
  while (at < text.length) {
    const char = text.charCodeAt(at);
    if (char === 0x20 || char === 0x09 || char === 0x0d || char === 0x0a) {
      at++;
      continue;
    }
    if (char === 0x5b)
      throw new ParseError('a JSON array is not valid input; send objects, concatenated or one per line.');
    if (char !== 0x7b) throw new ParseError(`expected "{" at offset ${at}.`);
    const end = objectEnd(text, at);
    try {
      out.push(JSON.parse(text.slice(at, end)));
    } catch (error) {
      throw new ParseError(`invalid JSON object at offset ${at}.`, { cause: error });
    }
    at = end;
  }
}

/** The offset just past the object starting at `start`. */
function objectEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let at = start; at < text.length; at++) {
    const char = text.charCodeAt(at);
    if (inString) {
      if (char === 0x5c) at++;
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x7b || char === 0x5b) depth++;
    else if (char === 0x7d || char === 0x5d) {
      depth--;
      if (depth === 0) return at + 1;
    }
  }
  throw new ParseError(`the JSON object at offset ${start} is not closed.`);
}
