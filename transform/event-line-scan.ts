/**
 * @module
 * Byte-level reading of the JSON pieces a canonical change-event line is made of (canonical-event-lines.ts):
 * scalar values, digits, and the checks that a value is already in the form its lake column is written in.
 * Every function reads the UTF-8 bytes of one line, `[at, end)`, never past `end`, and answers only what it
 * is sure of: a "no" sends the line to the general path, never to a refusal.
 */
import { isRealDay } from './timestamp-split.ts';

export const QUOTE = 0x22;
export const COMMA = 0x2c;
export const MINUS = 0x2d;
export const COLON = 0x3a;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;
export const CLOSE_BRACKET = 0x5d;
const BACKSLASH = 0x5c;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const SPACE = 0x20;
const INT32_MAX = 2_147_483_647;
/** The lake's first year (lake/lake-value.ts, `MIN_YEAR`). */
const MIN_YEAR = 1900;

/** The kind of a scalar value {@link scanValue} read. */
export type ValueKind = typeof NULL | typeof STRING | typeof NUMBER | typeof BOOLEAN;
export const NULL = 1;
export const STRING = 2;
export const NUMBER = 3;
export const BOOLEAN = 4;

/** Where the last {@link scanValue} ended (-1: not a value it reads) and what it read. */
export const scanned = { end: -1, kind: NULL as ValueKind };

const NULL_BYTES = bytesOf('null');
const TRUE_BYTES = bytesOf('true');
const FALSE_BYTES = bytesOf('false');

/** The UTF-8 bytes of an ASCII token. */
export function bytesOf(token: string): Uint8Array {
  return new Uint8Array(Buffer.from(token, 'latin1'));
}

/** `input` holds `token` at `at`, inside `[at, end)`. */
export function matches(input: Uint8Array, at: number, end: number, token: Uint8Array): boolean {
  const length = token.length;
  if (at + length > end) return false;
  for (let index = 0; index < length; index++) {
    if (input[at + index] !== token[index]) return false;
  }
  return true;
}

/**
 * The index of the quote that closes a string whose content starts at `at`, or -1 when the content holds a
 * backslash or a control character, or the line ends first. Such a string is its own JSON text as
 * `JSON.stringify` writes it (UTF-8 input has no lone surrogate to escape).
 */
export function stringEnd(input: Uint8Array, at: number, end: number): number {
  for (let index = at; index < end; index++) {
    const byte = input[index] as number;
    if (byte === QUOTE) return index;
    if (byte < SPACE || byte === BACKSLASH) return -1;
  }
  return -1;
}

/**
 * Reads one scalar at `at` into {@link scanned}: a string as {@link stringEnd} accepts it, `null`, `true`,
 * `false`, or an integer without fraction or exponent (JSON's grammar: no leading zero).
 */
export function scanValue(input: Uint8Array, at: number, end: number): void {
  scanned.end = -1;
  const first = input[at];
  if (first === QUOTE) {
    const close = stringEnd(input, at + 1, end);
    scanned.kind = STRING;
    if (close >= 0) scanned.end = close + 1;
    return;
  }
  if (first === 0x6e || first === 0x74 || first === 0x66) {
    const token = first === 0x6e ? NULL_BYTES : first === 0x74 ? TRUE_BYTES : FALSE_BYTES;
    scanned.kind = first === 0x6e ? NULL : BOOLEAN;
    if (matches(input, at, end, token)) scanned.end = at + token.length;
    return;
  }
  const digits = first === MINUS ? at + 1 : at;
  const close = digitsEnd(input, digits, end);
  if (close === digits || (close - digits > 1 && input[digits] === ZERO)) return;
  const next = input[close];
  if (next === DOT || next === 0x65 || next === 0x45) return;
  scanned.kind = NUMBER;
  scanned.end = close;
}

/** The index after the digits starting at `at`. */
export function digitsEnd(input: Uint8Array, at: number, end: number): number {
  let index = at;
  while (index < end) {
    const byte = input[index] as number;
    if (byte < ZERO || byte > NINE) break;
    index++;
  }
  return index;
}

/** `[start, end)` is 1 to `max` digits without a leading zero (other than `0` itself). */
export function isCanonicalDigits(input: Uint8Array, start: number, end: number, max: number): boolean {
  const digits = end - start;
  return digits >= 1 && digits <= max && (digits === 1 || input[start] !== ZERO);
}

/** The number the digits `[start, end)` write (exact below 2^53). */
export function digitsValue(input: Uint8Array, start: number, end: number): number {
  let value = 0;
  for (let index = start; index < end; index++) value = value * 10 + (input[index] as number) - ZERO;
  return value;
}

/** A JSON integer (as {@link scanValue} read it) that is a 32-bit int and not `-0` (which is written `0`). */
export function isInt32(input: Uint8Array, start: number, end: number): boolean {
  const negative = input[start] === MINUS;
  const first = negative ? start + 1 : start;
  if (end - first > 10) return false;
  const value = digitsValue(input, first, end);
  return negative ? value !== 0 && value <= INT32_MAX + 1 : value <= INT32_MAX;
}

/**
 * decimal(10,2) in `[start, end)` as it is written back (lake-row-json.ts, `CANONICAL_DECIMAL`):
 * `-?(0|[1-9]\d{0,7})\.\d\d`, but never `-0.00`, which is written `0.00`.
 */
export function isCanonicalDecimal(input: Uint8Array, start: number, end: number): boolean {
  const first = input[start] === MINUS ? start + 1 : start;
  const point = end - 3;
  const whole = point - first;
  if (whole < 1 || whole > 8 || input[point] !== DOT) return false;
  if (whole > 1 && input[first] === ZERO) return false;
  if (digitsEnd(input, first, point) !== point || digitsEnd(input, point + 1, end) !== end) return false;
  // `-0.00` is the one negative text that reads as zero.
  return (
    first === start ||
    whole > 1 ||
    input[first] !== ZERO ||
    input[point + 1] !== ZERO ||
    input[point + 2] !== ZERO
  );
}

/** `YYYY-MM-DD` at `at` naming a real day of year 1 or later (`isCalendarDate`, lake/lake-value.ts). */
export function isDayAt(input: Uint8Array, at: number): boolean {
  if (input[at + 4] !== MINUS || input[at + 7] !== MINUS) return false;
  const year = fixedDigits(input, at, 4);
  const month = fixedDigits(input, at + 5, 2);
  const day = fixedDigits(input, at + 8, 2);
  return year >= 0 && month >= 0 && day >= 0 && isRealDay(year, month, day);
}

/**
 * A source `timestamp(3)` in `[start, end)` as `splitTimestamp` accepts it, with a space between date and
 * time: `YYYY-MM-DD HH:MM:SS` and an optional fraction of one to three digits, naming a real day and time.
 */
export function isSourceTimestamp(input: Uint8Array, start: number, end: number): boolean {
  const length = end - start;
  if (length !== 19 && (length < 21 || length > 23)) return false;
  if (input[start + 10] !== SPACE || !isDayAt(input, start)) return false;
  if (input[start + 13] !== COLON || input[start + 16] !== COLON) return false;
  const hour = fixedDigits(input, start + 11, 2);
  const minute = fixedDigits(input, start + 14, 2);
  const second = fixedDigits(input, start + 17, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  return length === 19 || (input[start + 19] === DOT && digitsEnd(input, start + 20, end) === end);
}

/**
 * `YYYY-MM-DDTHH:MM:SS.mmmZ` at `at` naming a real time of year 1900 or later: exactly the 24-character
 * commit times `canonicalTimestampMillis` (lake/lake-value.ts) reads, and which `lakeRowJson` writes as
 * `"YYYY-MM-DD HH:MM:SS.mmm"`.
 */
export function isCommitTimeAt(input: Uint8Array, at: number): boolean {
  if (input[at + 10] !== 0x54 || input[at + 23] !== 0x5a || input[at + 19] !== DOT) return false;
  if (input[at + 13] !== COLON || input[at + 16] !== COLON || !isDayAt(input, at)) return false;
  const hour = fixedDigits(input, at + 11, 2);
  const minute = fixedDigits(input, at + 14, 2);
  const second = fixedDigits(input, at + 17, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  return fixedDigits(input, at + 20, 3) >= 0 && fixedDigits(input, at, 4) >= MIN_YEAR;
}

/** The number written by `count` digits at `at`, or -1 when one of them is not a digit. */
function fixedDigits(input: Uint8Array, at: number, count: number): number {
  let value = 0;
  for (let index = at; index < at + count; index++) {
    const digit = (input[index] as number) - ZERO;
    if (!(digit >= 0 && digit <= 9)) return -1;
    value = value * 10 + digit;
  }
  return value;
}
