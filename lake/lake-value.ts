/**
 * @module
 * Lake values: what a JSON attribute becomes once read with a lake column's Glue type.
 *
 * Firehose's record format conversion reads each JSON record with the OpenX JSON SerDe against the Glue
 * table's columns; a value the SerDe cannot read as the column's type fails the record
 * (`format-conversion-failed`). `parseJsonValue` is that reading, done exactly: the transformation uses it to
 * refuse a row before Firehose would, the local Firehose uses it to convert records, and the Parquet writer
 * takes its output. Numbers that must stay exact (decimals, 64-bit integers, timestamps) are `bigint`, never
 * floats.
 */
import { DECIMAL_SHAPES, type LakeColumn, type LakeDecimalType } from '../core/schema/lake-tables.ts';

/**
 * A typed lake value, by Glue type: `int` number; `bigint` bigint; `decimal(p,s)` bigint of the value times
 * 10^s (`"2.43"` is `243n` in decimal(10,2), `243000000n` in decimal(18,8)); `date` the `YYYY-MM-DD` string; `timestamp` bigint epoch milliseconds of the UTC wall
 * time; `string` string; `boolean` boolean. SQL NULL is `null`.
 */
export type LakeValue = string | number | bigint | boolean | null;

/** One lake row: column name to typed value. */
export type LakeRow = Record<string, LakeValue>;

/** A JSON attribute that the OpenX JSON SerDe cannot read as its column's type. Never carries the value. */
export class LakeValueError extends Error {
  override readonly name = 'LakeValueError';
  /** The lake column whose value was refused. */
  readonly column: string;

  constructor(column: LakeColumn, reason: string, options?: { cause?: unknown }) {
    super(`Column "${column.name}" (${column.type}): ${reason}`, options);
    this.column = column.name;
  }
}

const INT_MIN = -(2n ** 31n);
const INT_MAX = 2n ** 31n - 1n;
const BIGINT_MIN = -(2n ** 63n);
const BIGINT_MAX = 2n ** 63n - 1n;
/** Years the lake accepts in timestamps. AWS's Parquet writer wraps out-of-range epochs silently, so we refuse. */
const MIN_YEAR = 1900;
const MAX_YEAR = 9999;
/** OpenX reads an integer epoch of 13 digits or more as milliseconds, shorter ones as seconds. */
const EPOCH_MILLIS_DIGITS = 13;
const MILLIS_PER_DAY = 86_400_000;

const INTEGER_TEXT = /^[+-]?\d+$/;
const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_UTC_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;
const SPACE_TIMESTAMP = /^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
const EPOCH_TEXT = /^([+-]?)(\d+)(?:\.(\d+))?$/;

/**
 * Reads one JSON attribute (already parsed by `JSON.parse`) as the typed value the OpenX JSON SerDe gives for
 * the column's Glue type. `null` and a missing attribute (`undefined`) are SQL NULL.
 *
 * @throws {LakeValueError} when the value cannot be read as the column's type; the message names the column
 * and the rule, never the value.
 */
export function parseJsonValue(column: LakeColumn, value: unknown): LakeValue {
  if (value === null || value === undefined) return null;
  switch (column.type) {
    case 'int':
      return Number(parseInteger(column, value, INT_MIN, INT_MAX));
    case 'bigint':
      return parseInteger(column, value, BIGINT_MIN, BIGINT_MAX);
    case 'decimal(10,2)':
    case 'decimal(18,8)':
      return parseDecimal(column, column.type, value);
    case 'date':
      return parseDate(column, value);
    case 'timestamp':
      return parseTimestamp(column, value);
    case 'string':
      return parseString(column, value);
    case 'boolean':
      return parseBoolean(column, value);
  }
}

/**
 * Reads a JSON object as a lake row over `columns`, the way the OpenX JSON SerDe does: attributes not in
 * `columns` are dropped, missing ones are NULL, and keys match case-insensitively (`CaseInsensitive` is on by
 * default), an exact-case key winning over a differently cased one.
 *
 * @throws {LakeValueError} for the first attribute that breaks its column's type.
 */
export function parseJsonRow(
  columns: readonly LakeColumn[],
  object: Readonly<Record<string, unknown>>,
): LakeRow {
  let folded: Map<string, unknown> | undefined;
  const row: LakeRow = {};
  for (const column of columns) {
    let value = object[column.name];
    if (value === undefined && !Object.hasOwn(object, column.name)) {
      folded ??= foldKeys(object);
      value = folded.get(column.name.toLowerCase());
    }
    row[column.name] = parseJsonValue(column, value);
  }
  return row;
}

/**
 * The JSON attribute that carries a typed lake value to Firehose, in a form the OpenX JSON SerDe reads back as
 * the same value: 64-bit integers and decimals as strings (JSON numbers would pass through a double),
 * timestamps as `YYYY-MM-DD HH:MM:SS.mmm` UTC wall time. `parseJsonValue(column, formatJsonValue(column, v))`
 * is `v`.
 */
export function formatJsonValue(column: LakeColumn, value: LakeValue): string | number | boolean | null {
  if (value === null) return null;
  switch (column.type) {
    case 'bigint':
      return String(value);
    case 'decimal(10,2)':
    case 'decimal(18,8)':
      return formatScaled(value as bigint, DECIMAL_SHAPES[column.type].scale);
    case 'timestamp':
      return formatLakeTimestamp(value as bigint);
    default:
      return value as string | number | boolean;
  }
}

/** `YYYY-MM-DD HH:MM:SS.mmm` of epoch milliseconds, in UTC: the timestamp text Athena and OpenX both read. */
export function formatLakeTimestamp(epochMillis: bigint): string {
  const iso = new Date(Number(epochMillis)).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/** The decimal text of an unscaled value at `scale` fraction digits (`243n`, 2 is `"2.43"`). */
export function formatScaled(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/**
 * Days since 1970-01-01 of a lake `date` value: Parquet's DATE.
 *
 * @throws {RangeError} when `date` is not a `YYYY-MM-DD` calendar day.
 */
export function dateToEpochDays(date: string): number {
  const fast = canonicalDateDays(date);
  if (fast !== undefined) return fast;
  const match = DATE_TEXT.exec(date);
  const [year, month, day] = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [0, 0, 0];
  if (!isValidDay(year, month, day)) throw new RangeError('Expected a YYYY-MM-DD calendar date.');
  return utcMillis(year, month, day) / MILLIS_PER_DAY;
}

/** True when `text` is `YYYY-MM-DD` naming a real calendar day (no 2023-02-29). */
export function isCalendarDate(text: string): boolean {
  if (canonicalDateDays(text) !== undefined) return true;
  const match = DATE_TEXT.exec(text);
  return match !== null && isValidDay(Number(match[1]), Number(match[2]), Number(match[3]));
}

function foldKeys(object: Readonly<Record<string, unknown>>): Map<string, unknown> {
  const folded = new Map<string, unknown>();
  for (const [key, value] of Object.entries(object)) {
    const lower = key.toLowerCase();
    if (!folded.has(lower) || key === lower) folded.set(lower, value);
  }
  return folded;
}

function parseInteger(column: LakeColumn, value: unknown, min: bigint, max: bigint): bigint {
  let parsed: bigint;
  if (typeof value === 'number') {
    // A JSON number past 2^53 has already been rounded by JSON.parse: refuse it rather than store a guess.
    if (!Number.isSafeInteger(value)) {
      throw new LakeValueError(column, 'expected an exact integer; send integers past 2^53 as JSON strings.');
    }
    parsed = BigInt(value);
  } else if (typeof value === 'string' && INTEGER_TEXT.test(value)) {
    parsed = BigInt(value);
  } else {
    throw new LakeValueError(column, 'expected an integer (a JSON number or a string of digits).');
  }
  if (parsed < min || parsed > max) {
    throw new LakeValueError(column, `integer out of range ${min}..${max}.`);
  }
  return parsed;
}

function parseDecimal(column: LakeColumn, type: LakeDecimalType, value: unknown): bigint {
  const { precision, scale } = DECIMAL_SHAPES[type];
  const limit = 10n ** BigInt(precision);
  // String(number) is the shortest text that reads back as the same double, which is the text the sender
  // wrote for any value of the decimal type; strings are read as they are.
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  const match = typeof text === 'string' ? DECIMAL_TEXT.exec(text) : null;
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) {
    throw new LakeValueError(column, 'expected a decimal number such as "2.43" (a JSON string or number).');
  }
  const [, sign = '', whole = '', fraction = '', exponentText = '0'] = match;
  const exponent = Number(exponentText);
  // digits * 10^(exponent - fraction.length) is the value; move it to the type's scale.
  const shift = exponent - fraction.length + scale;
  let digits = BigInt(`${whole}${fraction}` || '0');
  if (digits === 0n) return 0n;
  if (shift >= 0) {
    if (shift > 2 * precision)
      throw new LakeValueError(column, `more than ${precision} digits in all; ${type} is the limit.`);
    digits *= 10n ** BigInt(shift);
  } else {
    const divisor = 10n ** BigInt(-shift);
    if (digits % divisor !== 0n) {
      throw new LakeValueError(column, `more than ${scale} fraction digits; ${type} keeps no more.`);
    }
    digits /= divisor;
  }
  if (digits >= limit) {
    throw new LakeValueError(column, `more than ${precision} digits in all; ${type} is the limit.`);
  }
  return sign === '-' ? -digits : digits;
}

function parseDate(column: LakeColumn, value: unknown): string {
  if (typeof value !== 'string' || !isCalendarDate(value)) {
    throw new LakeValueError(column, 'expected a calendar date written YYYY-MM-DD.');
  }
  return value;
}

function parseTimestamp(column: LakeColumn, value: unknown): bigint {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== 'string') {
    throw new LakeValueError(column, 'expected a timestamp string or epoch number.');
  }
  const fast = canonicalTimestampMillis(text);
  if (fast !== undefined) return BigInt(fast);
  const wall = ISO_UTC_TIMESTAMP.exec(text) ?? SPACE_TIMESTAMP.exec(text);
  const millis = wall ? wallClockMillis(column, wall) : epochMillis(column, text);
  const year = new Date(Number(millis)).getUTCFullYear();
  // NaN (past Date's range) fails both comparisons, so test for being inside rather than outside.
  if (!(year >= MIN_YEAR && year <= MAX_YEAR)) {
    throw new LakeValueError(column, `timestamp outside the years ${MIN_YEAR}..${MAX_YEAR}.`);
  }
  return millis;
}

/** Milliseconds of a `yyyy-MM-ddTHH:mm:ss[.f]Z` or `yyyy-M-d HH:mm:ss[.f]` match, read as UTC wall time. */
function wallClockMillis(column: LakeColumn, match: RegExpExecArray): bigint {
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (!isValidDay(year, month, day) || hour > 23 || minute > 59 || second > 59) {
    throw new LakeValueError(column, 'timestamp names no real date and time.');
  }
  return BigInt(utcMillis(year, month, day, hour, minute, second)) + fractionMillis(column, match[7] ?? '');
}

function epochMillis(column: LakeColumn, text: string): bigint {
  const match = EPOCH_TEXT.exec(text);
  if (!match) {
    throw new LakeValueError(
      column,
      "expected yyyy-MM-dd'T'HH:mm:ss[.SSS]'Z', yyyy-MM-dd HH:mm:ss[.SSS], or epoch seconds or milliseconds.",
    );
  }
  const [, sign = '', whole = '', fraction] = match;
  let millis: bigint;
  if (fraction !== undefined) {
    millis = BigInt(whole) * 1000n + fractionMillis(column, fraction);
  } else {
    millis = whole.length >= EPOCH_MILLIS_DIGITS ? BigInt(whole) : BigInt(whole) * 1000n;
  }
  return sign === '-' ? -millis : millis;
}

/** The milliseconds of a fraction of a second; refuses sub-millisecond digits, which the lake cannot keep. */
function fractionMillis(column: LakeColumn, fraction: string): bigint {
  if (/[1-9]/.test(fraction.slice(3))) {
    throw new LakeValueError(column, 'timestamp finer than milliseconds; the lake keeps milliseconds.');
  }
  return BigInt(fraction.slice(0, 3).padEnd(3, '0'));
}

function parseString(column: LakeColumn, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new LakeValueError(column, 'expected a string, number or boolean, not an object or array.');
}

function parseBoolean(column: LakeColumn, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  throw new LakeValueError(column, 'expected a JSON boolean or the string "true" or "false".');
}

/**
 * Epoch milliseconds of a timestamp in one of the two forms the pipeline itself writes, with exactly three
 * fraction digits: `YYYY-MM-DD HH:MM:SS.mmm` (formatLakeTimestamp) or `YYYY-MM-DDTHH:MM:SS.mmmZ` (commit
 * times). Undefined for any other text, and for a date or time that does not exist or a year outside the
 * lake's range, so that the caller's general path decides (and words the refusal). Read with arithmetic
 * rather than regular expressions and a Date: this runs for every timestamp the transformation and the
 * conversion see.
 */
export function canonicalTimestampMillis(text: string): number | undefined {
  const length = text.length;
  if (length === 24) {
    if (text.charCodeAt(10) !== 0x54 || text.charCodeAt(23) !== 0x5a) return undefined;
  } else if (length !== 23 || text.charCodeAt(10) !== 0x20) return undefined;
  if (text.charCodeAt(13) !== 0x3a || text.charCodeAt(16) !== 0x3a || text.charCodeAt(19) !== 0x2e) {
    return undefined;
  }
  const days = canonicalDateDays(text.slice(0, 10));
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  const millis = digitsAt(text, 20, 3);
  if (days === undefined || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
    return undefined;
  }
  if (millis < 0 || digitsAt(text, 0, 4) < MIN_YEAR) return undefined;
  return days * MILLIS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000 + millis;
}

/**
 * Days since 1970-01-01 of a `YYYY-MM-DD` calendar day (year 1 or later), else undefined: the day count a
 * lake `date` is stored as, read without a regular expression or a Date.
 */
export function canonicalDateDays(text: string): number | undefined {
  if (text.length !== 10 || text.charCodeAt(4) !== 0x2d || text.charCodeAt(7) !== 0x2d) return undefined;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  if (year < 0 || month < 0 || day < 0 || !isValidDay(year, month, day)) return undefined;
  // Days from the proleptic Gregorian civil date (H. Hinnant's algorithm), as Date's UTC arithmetic counts.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** The number written by `count` ASCII digits at `start`, or -1 when one of them is not a digit. */
function digitsAt(text: string, start: number, count: number): number {
  let value = 0;
  for (let at = start; at < start + count; at++) {
    const digit = text.charCodeAt(at) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** Epoch milliseconds of a UTC wall time. Unlike `Date.UTC`, years 0-99 stay years 0-99, not 1900-1999. */
function utcMillis(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return date.getTime();
}

function isValidDay(year: number, month: number, day: number): boolean {
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return day <= (lengths[month - 1] ?? 0);
}
