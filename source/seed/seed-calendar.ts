/**
 * @module
 * Time for the seed generator: UTC milliseconds, weekday business hours, and the text forms the source stores
 * (`timestamp(3)` as `YYYY-MM-DD HH:MM:SS.mmm`, order dates as `YYYY-MM-DD`).
 */

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

/** The first day of order activity in the live database. */
export const FIRST_DAY = dayOf('2022-11-03');
/** The last day of the Feb-2024 snapshot whose sizes `--scale 1` reproduces. */
export const LAST_DAY = dayOf('2024-02-23');

/** Days since 1970-01-01 of a `YYYY-MM-DD` date. */
export function dayOf(date: string): number {
  return Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
}

/** True for Monday to Friday. */
export function isWeekday(day: number): boolean {
  const weekday = new Date(day * DAY_MS).getUTCDay();
  return weekday !== 0 && weekday !== 6;
}

/** The weekdays from `first` to `last`, inclusive. */
export function weekdaysBetween(first: number, last: number): number[] {
  const days: number[] = [];
  for (let day = first; day <= last; day++) if (isWeekday(day)) days.push(day);
  return days;
}

/** `YYYY-MM-DD HH:MM:SS.mmm`: a `timestamp(3)` value as PostgreSQL prints it. */
export function timestampText(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/** `YYYY-MM-DD`: an order or payment date as the source stores it (text). */
export function dateText(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** `YYYYMMDD`, as in design file names. */
export function compactDateText(day: number): string {
  return dateText(day).replaceAll('-', '');
}
