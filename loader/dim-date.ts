/**
 * @module
 * dim_date rows, generated rather than loaded: ISO day of week (Monday = 1), full English day and month names
 * without padding, quarter 1-4.
 */

/** dim_date's columns, in table order. */
export const DIM_DATE_COLUMNS = [
  'date_id',
  'year',
  'month',
  'day',
  'day_of_week',
  'day_name',
  'month_name',
  'quarter',
] as const;

const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;
const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;

const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The dim_date row of a `YYYY-MM-DD` date, as text values in {@link DIM_DATE_COLUMNS} order. */
export function dimDateRow(date: string): string[] {
  const match = DATE_TEXT.exec(date);
  if (!match) throw new RangeError(`dim_date needs a YYYY-MM-DD date; got a value of length ${date.length}.`);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  // getUTCDay: Sunday = 0; ISO: Monday = 1 ... Sunday = 7.
  const isoDay = ((new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 6) % 7) + 1;
  return [
    date,
    String(year),
    String(month),
    String(day),
    String(isoDay),
    DAY_NAMES[isoDay - 1] ?? '',
    MONTH_NAMES[month - 1] ?? '',
    String(Math.floor((month - 1) / 3) + 1),
  ];
}
