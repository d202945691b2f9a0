/**
 * @module
 * Record format conversion as Firehose does it with the OpenX JSON SerDe: one transformed record holds one
 * or more JSON objects (concatenated or newline-delimited; a JSON array is invalid), each becomes one row of
 * the stream's Glue table. A record that cannot be read fails as a whole (`format-conversion-failed`), the
 * other records of the batch still convert (aws-contracts.md section 3).
 */
import { type LakeColumn, type LakeTable, lakeColumns } from '../glue/index.ts';
import { type LakeRow, LakeValueError, parseJsonRow } from '../lake/lake-value.ts';

/** Error codes Firehose reports for conversion failures (as observed on AWS). */
export const CONVERSION_ERROR_CODES = {
  parse: 'DataFormatConversion.ParseError',
  malformed: 'DataFormatConversion.MalformedData',
} as const;

/** The rows of one record, or why it failed. */
export type ConversionResult =
  | { readonly ok: true; readonly rows: LakeRow[] }
  | { readonly ok: false; readonly errorCode: string; readonly errorMessage: string };

/** A converter bound to one lake table's columns. */
export interface RecordConverter {
  convert(data: Uint8Array): ConversionResult;
}

class ParseError extends Error {
  override readonly name = 'ParseError';
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** A converter for `table`: its business and metadata columns (the `dt` partition is in the path). */
export function recordConverter(table: LakeTable): RecordConverter {
  const columns = lakeColumns(table);
  return { convert: (data) => convertRecord(table, columns, data) };
}

function convertRecord(table: LakeTable, columns: readonly LakeColumn[], data: Uint8Array): ConversionResult {
  let objects: unknown[];
  try {
    objects = splitJsonObjects(decoder.decode(data));
  } catch (error) {
    const reason = error instanceof ParseError ? error.message : 'the record is not valid UTF-8 JSON.';
    return {
      ok: false,
      errorCode: CONVERSION_ERROR_CODES.parse,
      errorMessage: `Cannot parse the record for ${table.name}: ${reason}`,
    };
  }
  const rows: LakeRow[] = [];
  try {
    for (const object of objects) rows.push(parseJsonRow(columns, object as Record<string, unknown>));
  } catch (error) {
    if (!(error instanceof LakeValueError)) throw error;
    return {
      ok: false,
      errorCode: CONVERSION_ERROR_CODES.malformed,
      errorMessage: `Lake table ${table.name}: ${error.message}`,
    };
  }
  return { ok: true, rows };
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Splits text into its top-level JSON objects. Newline-delimited text takes a fast path (one `JSON.parse` per
 * line); lines holding several concatenated objects fall back to a scanner that tracks strings and depth.
 *
 * @throws ParseError for arrays, scalars, unbalanced braces or invalid JSON, or text without any object.
 */
export function splitJsonObjects(text: string): unknown[] {
  const objects: unknown[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      scanConcatenated(line, objects);
      continue;
    }
    if (!isPlainObject(parsed))
      throw new ParseError(
        Array.isArray(parsed)
          ? 'a JSON array is not valid input; send objects, concatenated or one per line.'
          : 'expected JSON objects, found a scalar.',
      );
    objects.push(parsed);
  }
  if (objects.length === 0) throw new ParseError('the record holds no JSON object.');
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
