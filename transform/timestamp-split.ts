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
  const date = `${year}-${month}-${day}`;
  // Date.UTC rolls 2023-02-29 over to March 1st, so a round trip tells a real day from an impossible one.
  const probe = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  const realDay = probe.toISOString().slice(0, 10) === date && Number(year) >= 1;
  if (!realDay || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) {
    throw new TimestampSplitError('timestamp names no real date and time.');
  }
  return { date, time: `${hour}:${minute}:${second}.${fraction.padEnd(3, '0')}` };
}
