/**
 * @module
 * The shape of a market lake table: observations the collectors fetch from market-data APIs (README, "Market
 * data"), a second kind of lake table beside the CDC tables of `lake-table.ts`. They flow through the same
 * delivery streams, Parquet conversion, Glue tables and `_latest` views; what differs is identity. A CDC row is
 * one version of a source row, ordered by commit LSN; an observation is a fact about one day of one series,
 * identified by (source, series, date) and versioned by when it was fetched, with no LSN at all.
 */
import type { LakeColumn } from './lake-table.ts';

/** The three market lake tables. */
export const MARKET_LAKE_TABLE_NAMES = ['fx_rate', 'market_price', 'economic_observation'] as const;

/** The name of a market lake table. */
export type MarketLakeTableName = (typeof MARKET_LAKE_TABLE_NAMES)[number];

/**
 * The collectors (`totesys-stream collect <collector>`), each a client of one kind of HTTP API (or, for
 * `files`, of a bucket prefix).
 */
export const COLLECTOR_NAMES = ['fx', 'equities', 'fred', 'crypto', 'files'] as const;

/** The name of a collector. */
export type CollectorName = (typeof COLLECTOR_NAMES)[number];

/**
 * The market lake tables each collector writes (its delivery streams on AWS: what its role may put to).
 * `files` takes a file for any of them.
 */
export const COLLECTOR_TABLES: { readonly [C in CollectorName]: readonly MarketLakeTableName[] } = {
  fx: ['fx_rate'],
  equities: ['market_price'],
  fred: ['economic_observation'],
  crypto: ['market_price'],
  files: MARKET_LAKE_TABLE_NAMES,
};

/** The collectors whose API needs a key (locally from the environment, on AWS from Secrets Manager). */
export const KEYED_COLLECTOR_NAMES = [
  'equities',
  'fred',
  'crypto',
] as const satisfies readonly CollectorName[];

/** A collector that needs an API key. */
export type KeyedCollectorName = (typeof KEYED_COLLECTOR_NAMES)[number];

/** True for the collectors whose API needs a key. */
export function needsApiKey(name: CollectorName): name is KeyedCollectorName {
  return (KEYED_COLLECTOR_NAMES as readonly string[]).includes(name);
}

/**
 * The `source` value of data the built-in synthetic market produced (offline runs): every screen and query that
 * shows market data can tell it from real data by this value alone.
 */
export const SYNTHETIC_SOURCE = 'synthetic';

/**
 * A market lake table. Every row carries its key columns, `source` (who published the value: `frankfurter`,
 * `alphavantage`, `fred`, `coincap`, `files`, or {@link SYNTHETIC_SOURCE}) and `fetched_at`.
 */
export interface MarketLakeTable {
  readonly name: MarketLakeTableName;
  readonly kind: 'observation';
  /**
   * The columns that identify one observation, `source` first and the date last: a re-fetch of the same day
   * has the same key, so the `_latest` view and the warehouse's merge keep one row for it.
   */
  readonly keyColumns: readonly string[];
  /** The observation's day; also the `dt` partition the row lands in. */
  readonly dateColumn: string;
  /** The version order of one key's rows: the newest fetch wins. */
  readonly versionColumn: 'fetched_at';
  /** Columns that may be NULL (a value the publisher does not have); every other column is required. */
  readonly nullableColumns: readonly string[];
  readonly description: string;
  /** Every column of the table's Parquet files, in order (no metadata columns are appended). */
  readonly columns: readonly LakeColumn[];
}

/** The columns that end every market lake table. */
export const OBSERVATION_PROVENANCE_COLUMNS: readonly LakeColumn[] = [
  {
    name: 'source',
    type: 'string',
    comment: 'who published the value (frankfurter, alphavantage, fred, coincap, files, synthetic)',
  },
  { name: 'fetched_at', type: 'timestamp', comment: 'when the collector fetched it (UTC, milliseconds)' },
];
