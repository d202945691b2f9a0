/**
 * @module
 * What every collector is (README, "Market data"): a client of one market-data API that turns one fetch into
 * the rows of one market lake table, all or nothing. The rows are lake rows in JSON (column names of
 * `core/schema/market-lake-tables.ts`, decimals as strings, `fetched_at` as `YYYY-MM-DD HH:MM:SS.mmm` UTC),
 * which the transformation checks and Firehose converts like any other record.
 */
import type { CollectorName, MarketLakeTableName } from '../core/schema/market-lake-tables.ts';
import type { MarketApiContext } from './market-api-client.ts';

/** One observation as a JSON lake row. */
export type ObservationRow = Readonly<Record<string, string | null>>;

/** What one fetch asks for. */
export interface CollectRequest {
  /** The first day to fetch (a backfill); without it, the latest values only. */
  readonly from?: string;
  /** Today (UTC `YYYY-MM-DD`): the last day a backfill asks for. */
  readonly today: string;
  /** The fetch time every row carries as `fetched_at` (epoch milliseconds). */
  readonly fetchedAt: number;
}

/** A collector: one API, one market lake table. */
export interface Collector {
  readonly name: CollectorName;
  readonly table: MarketLakeTableName;
  /**
   * Fetches and returns every row of the request, or throws: a failed, throttled or malformed answer never
   * yields part of its rows (`MarketApiError`, `MalformedAnswerError`).
   */
  collect(context: MarketApiContext, request: CollectRequest): Promise<readonly ObservationRow[]>;
}

/** An answer whose shape is not the API's documented one: nothing of it is used. Names fields, never values. */
export class MalformedAnswerError extends Error {
  override readonly name = 'MalformedAnswerError';
  readonly failureKind = 'deterministic' as const;
}

/** `fetched_at` as the lake reads it: UTC wall time to the millisecond. */
export function fetchedAtText(epochMillis: number): string {
  const iso = new Date(epochMillis).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/** A JSON number or numeric string from an API as exact decimal text (`1.1712`, `"4.17"`); undefined if not. */
export function decimalText(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim())) return value.trim();
  return undefined;
}

/** True for `YYYY-MM-DD`. */
export function isDayText(value: unknown): value is string {
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value);
}
