/**
 * @module
 * The record format conversion's fast path for the lines the transformation writes. `lakeRowJson`
 * (transform/lake-row-json.ts) writes every lake row as `{"col":value,...}` with the table's columns in lake
 * order, its strings mostly without escapes and its integers as plain digits. Such a record is read here column
 * by column, straight into the column arrays, without `JSON.parse` building an object (and a string per key)
 * for every row that the converter then takes apart again: for the lake benchmark's 300,000 rows the
 * conversion took 0.85-0.92 CPU s that way and 0.61-0.64 s this way (bench/README.md, "The lake's CPU").
 *
 * The fast path accepts only text that `JSON.parse` reads as the very same objects, and gives up on the whole
 * record at the first byte it is not sure of (a space, an escape, a fraction, a key out of order, a blank
 * line...). The general path (format-conversion.ts) then reads the record from its start, so what is
 * accepted, what is refused and with which message never depend on which path ran.
 *
 * A record that is all ASCII (its decoded text as long as its bytes, as the transformation's lines mostly are)
 * is scanned on its bytes ({@link readCanonicalBytes}): the same scan as {@link readCanonicalLines}, with
 * one loop per string value in place of `indexOf` and an escape test, and string values sliced from the
 * text at the same offsets (bench/README.md, "The conversion scanning the record's bytes").
 */
import type { ParquetCell } from '../lake/parquet-writer.ts';
import type { ColumnReader } from './column-readers.ts';

/** What the fast path needs of a table: one key prefix and one reader per column, in lake order. */
export interface CanonicalPlan {
  /** `{"first":` for the first column, `,"name":` for each next one. */
  readonly prefixes: readonly string[];
  /** The same prefixes as bytes (they are ASCII: lake column names are). */
  readonly prefixBytes: readonly Uint8Array[];
  readonly readers: readonly ColumnReader[];
}

/** The plan for columns `names` read by `readers`. */
export function canonicalPlan(names: readonly string[], readers: readonly ColumnReader[]): CanonicalPlan {
  const prefixes = names.map((name, index) => `${index === 0 ? '{' : ','}${JSON.stringify(name)}:`);
  return { prefixes, prefixBytes: prefixes.map((prefix) => Buffer.from(prefix, 'latin1')), readers };
}

/** A value the fast path does not read itself (the record goes to the general path). */
const NOT_CANONICAL = Symbol('not canonical');

/** A character a JSON string must escape, or the escape character itself: either leaves the fast path. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON refuses these raw in a string, so they are what to find
const ESCAPED = /[\u0000-\u001f\\]/;

const QUOTE = 0x22;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const CLOSE = 0x7d;
const BACKSLASH = 0x5c;
const SPACE = 0x20;
const NEWLINE = 0x0a;
/** Up to 15 digits, a number built digit by digit is exact (below 2^53), as `JSON.parse` reads it. */
const EXACT_DIGITS = 15;

/** Where the scan stands in the record's text. */
interface Cursor {
  at: number;
}

/**
 * Appends the rows of `text` to `target` when every line is canonical, and returns how many; undefined when
 * it is not, with `target` possibly holding part of the record (the caller truncates it and takes the general
 * path). A reader's refusal (`LakeValueError`) is thrown as the general path would throw it.
 */
export function readCanonicalLines(
  text: string,
  plan: CanonicalPlan,
  target: ParquetCell[][],
): number | undefined {
  const { prefixes, readers } = plan;
  const columns = prefixes.length;
  const length = text.length;
  if (columns === 0 || length === 0) return undefined;
  const cursor: Cursor = { at: 0 };
  let rows = 0;
  while (cursor.at < length) {
    for (let index = 0; index < columns; index++) {
      const prefix = prefixes[index] as string;
      if (!text.startsWith(prefix, cursor.at)) return undefined;
      cursor.at += prefix.length;
      const value = scanValue(text, cursor);
      if (value === NOT_CANONICAL) return undefined;
      (target[index] as ParquetCell[]).push((readers[index] as ColumnReader)(value));
    }
    if (text.charCodeAt(cursor.at) !== CLOSE) return undefined;
    rows++;
    cursor.at++;
    if (cursor.at === length) break;
    // One newline between objects, and at most one after the last (`parseAsLines` in format-conversion.ts).
    if (text.charCodeAt(cursor.at) !== NEWLINE) return undefined;
    cursor.at++;
  }
  return rows;
}

/** The JSON value at the cursor, moved past it: a string without escapes, an integer, null, true or false. */
function scanValue(text: string, cursor: Cursor): unknown {
  const at = cursor.at;
  const char = text.charCodeAt(at);
  if (char === QUOTE) {
    const close = text.indexOf('"', at + 1);
    if (close < 0) return NOT_CANONICAL;
    const value = text.slice(at + 1, close);
    if (ESCAPED.test(value)) return NOT_CANONICAL;
    cursor.at = close + 1;
    return value;
  }
  if (text.startsWith('null', at)) {
    cursor.at = at + 4;
    return null;
  }
  if (text.startsWith('true', at)) {
    cursor.at = at + 4;
    return true;
  }
  if (text.startsWith('false', at)) {
    cursor.at = at + 5;
    return false;
  }
  return scanInteger(text, cursor);
}

/** `-?(0|[1-9][0-9]*)` not followed by a fraction or an exponent, as the number `JSON.parse` gives. */
function scanInteger(text: string, cursor: Cursor): number | typeof NOT_CANONICAL {
  const at = cursor.at;
  const negative = text.charCodeAt(at) === MINUS;
  const first = negative ? at + 1 : at;
  let end = first;
  let value = 0;
  for (; end < text.length; end++) {
    const digit = text.charCodeAt(end) - ZERO;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
  }
  const digits = end - first;
  if (digits === 0 || (digits > 1 && text.charCodeAt(first) === ZERO)) return NOT_CANONICAL;
  const next = text.charCodeAt(end);
  if (next === DOT || next === 0x65 || next === 0x45) return NOT_CANONICAL;
  cursor.at = end;
  // Longer integers are rounded to a double exactly as JSON.parse rounds them; `-0` stays -0 as there.
  if (digits > EXACT_DIGITS) return Number(text.slice(at, end));
  return negative ? -value : value;
}

/**
 * {@link readCanonicalLines} over the record's bytes: `text` must be `bytes` decoded with every character one
 * byte (`text.length === bytes.length`, so the record is ASCII), and string values are sliced from it. The
 * same lines are accepted, with the same values handed to the same readers.
 */
export function readCanonicalBytes(
  bytes: Uint8Array,
  text: string,
  plan: CanonicalPlan,
  target: ParquetCell[][],
): number | undefined {
  const { prefixBytes, readers } = plan;
  const columns = prefixBytes.length;
  const length = bytes.length;
  if (columns === 0 || length === 0 || text.length !== length) return undefined;
  const cursor: Cursor = { at: 0 };
  let rows = 0;
  while (cursor.at < length) {
    for (let index = 0; index < columns; index++) {
      const prefix = prefixBytes[index] as Uint8Array;
      const at = cursor.at;
      const size = prefix.length;
      if (at + size > length) return undefined;
      for (let offset = 0; offset < size; offset++)
        if (bytes[at + offset] !== prefix[offset]) return undefined;
      cursor.at = at + size;
      const value = scanByteValue(bytes, text, cursor);
      if (value === NOT_CANONICAL) return undefined;
      (target[index] as ParquetCell[]).push((readers[index] as ColumnReader)(value));
    }
    if (bytes[cursor.at] !== CLOSE) return undefined;
    rows++;
    cursor.at++;
    if (cursor.at === length) break;
    if (bytes[cursor.at] !== NEWLINE) return undefined;
    cursor.at++;
  }
  return rows;
}

/** `scanValue` over bytes: a string up to its first quote, refused when an escape or control comes first. */
function scanByteValue(bytes: Uint8Array, text: string, cursor: Cursor): unknown {
  const at = cursor.at;
  const length = bytes.length;
  const char = bytes[at];
  if (char === QUOTE) {
    for (let end = at + 1; end < length; end++) {
      const next = bytes[end] as number;
      if (next === QUOTE) {
        cursor.at = end + 1;
        return text.slice(at + 1, end);
      }
      if (next < SPACE || next === BACKSLASH) return NOT_CANONICAL;
    }
    return NOT_CANONICAL;
  }
  if (char === 0x6e) return scanWord(bytes, cursor, NULL_BYTES, null);
  if (char === 0x74) return scanWord(bytes, cursor, TRUE_BYTES, true);
  if (char === 0x66) return scanWord(bytes, cursor, FALSE_BYTES, false);
  return scanByteInteger(bytes, text, cursor);
}

const NULL_BYTES = Buffer.from('null', 'latin1');
const TRUE_BYTES = Buffer.from('true', 'latin1');
const FALSE_BYTES = Buffer.from('false', 'latin1');

/** `value` when `word` is at the cursor (moved past it), as `startsWith` tests it in `scanValue`. */
function scanWord(
  bytes: Uint8Array,
  cursor: Cursor,
  word: Uint8Array,
  value: null | boolean,
): null | boolean | typeof NOT_CANONICAL {
  const at = cursor.at;
  if (at + word.length > bytes.length) return NOT_CANONICAL;
  for (let offset = 1; offset < word.length; offset++)
    if (bytes[at + offset] !== word[offset]) return NOT_CANONICAL;
  cursor.at = at + word.length;
  return value;
}

/** `scanInteger` over bytes. */
function scanByteInteger(bytes: Uint8Array, text: string, cursor: Cursor): number | typeof NOT_CANONICAL {
  const at = cursor.at;
  const length = bytes.length;
  const negative = bytes[at] === MINUS;
  const first = negative ? at + 1 : at;
  let end = first;
  let value = 0;
  for (; end < length; end++) {
    const digit = (bytes[end] as number) - ZERO;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
  }
  const digits = end - first;
  if (digits === 0 || (digits > 1 && bytes[first] === ZERO)) return NOT_CANONICAL;
  const next = bytes[end];
  if (next === DOT || next === 0x65 || next === 0x45) return NOT_CANONICAL;
  cursor.at = end;
  if (digits > EXACT_DIGITS) return Number(text.slice(at, end));
  return negative ? -value : value;
}
