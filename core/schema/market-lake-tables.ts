/**
 * @module
 * The lake's market tables (README, "Market data"): the one schema source for their delivery streams, Glue
 * tables, Parquet conversion, `_latest` views and the collectors' rows, beside the CDC tables of
 * `lake-tables.ts`.
 */
import { economicObservation } from './market/economic-observation.ts';
import { fxRate } from './market/fx-rate.ts';
import { marketPrice } from './market/market-price.ts';
import type { MarketLakeTable, MarketLakeTableName } from './market-lake-table.ts';

export type {
  CollectorName,
  KeyedCollectorName,
  MarketLakeTable,
  MarketLakeTableName,
} from './market-lake-table.ts';
export {
  COLLECTOR_NAMES,
  COLLECTOR_TABLES,
  KEYED_COLLECTOR_NAMES,
  MARKET_LAKE_TABLE_NAMES,
  needsApiKey,
  SYNTHETIC_SOURCE,
} from './market-lake-table.ts';

/** Every market lake table, keyed by name. */
export const MARKET_LAKE_TABLES: { readonly [T in MarketLakeTableName]: MarketLakeTable & { name: T } } = {
  fx_rate: { ...fxRate, name: 'fx_rate' },
  market_price: { ...marketPrice, name: 'market_price' },
  economic_observation: { ...economicObservation, name: 'economic_observation' },
};

/** Narrows an untrusted string to a market lake table name. */
export function isMarketLakeTableName(name: string): name is MarketLakeTableName {
  return Object.hasOwn(MARKET_LAKE_TABLES, name);
}
