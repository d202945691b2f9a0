/**
 * @module
 * Splits a source `timestamp(3)` into the date and time columns the fact tables carry.
 *
 * PostgreSQL prints a `timestamp(3)` with trailing fraction zeros removed (`14:20:52.18` is 180 ms,
 * `14:20:52` is 0 ms), so the time is always padded back to three fraction digits: the split neither loses
 * nor invents precision, and times of two versions compare correctly as text.
 */

/** The two halves of a source timestamp. */
export interface TimestampParts {
  /** `YYYY-MM-DD`. */
  readonly date: string;
  /** `HH:MM:SS.mmm`, always three fraction digits. */
  readonly time: string;
}

/** A source timestamp that is not a `timestamp(3)` as PostgreSQL prints it. Never carries the value. */
export class TimestampSplitError extends Error {
  override readonly name = 'TimestampSplitError';
}

const SOURCE_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/;

/**
 * Splits `2022-11-03 14:20:52.18` into `{ date: '2022-11-03', time: '14:20:52.180' }`.
 *
 * @throws {TimestampSplitError} when the text is not `YYYY-MM-DD HH:MM:SS[.f{1,3}]` naming a real day and
 * time (a finer fraction would lose precision, BC or five-digit years do not fit the lake's date).
 */
export function splitTimestamp(text: string): TimestampParts {
  const match = SOURCE_TIMESTAMP.exec(text);
  if (!match) {
    throw new TimestampSplitError(
      'expected a timestamp(3) written YYYY-MM-DD HH:MM:SS with up to 3 fraction digits.',
    );
  }
  const [, year = '', month = '', day = '', hour = '', minute = '', second = '', fraction = ''] = match;
  if (!isRealDay(Number(year), Number(month), Number(day)) || hour > '23' || minute > '59' || second > '59') {
    throw new TimestampSplitError('timestamp names no real date and time.');
  }
  const date = `${year}-${month}-${day}`;
  return { date, time: `${hour}:${minute}:${second}.${fraction.padEnd(3, '0')}` };
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * True when year, month and day name a real day of year 1 or later. Plain arithmetic rather than a Date round
 * trip: this runs twice for every fact row (and for each date the fast path of canonical-event-lines.ts reads).
 */
export function isRealDay(year: number, month: number, day: number): boolean {
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (DAYS_IN_MONTH[month - 1] ?? 0) + (leap ? 1 : 0);
}
