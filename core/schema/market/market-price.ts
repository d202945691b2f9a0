import { type MarketLakeTable, OBSERVATION_PROVENANCE_COLUMNS } from '../market-lake-table.ts';

/** Daily prices of equities, indices, commodities and crypto assets. */
export const marketPrice: MarketLakeTable = {
  name: 'market_price',
  kind: 'observation',
  keyColumns: ['source', 'symbol', 'price_date'],
  dateColumn: 'price_date',
  versionColumn: 'fetched_at',
  nullableColumns: ['open', 'high', 'low', 'volume'],
  description: 'Daily open, high, low, close and volume per symbol, in exact decimals.',
  columns: [
    { name: 'price_date', type: 'date', comment: 'the trading day (UTC day of the quote for crypto)' },
    { name: 'symbol', type: 'string', comment: 'ticker or asset symbol, e.g. IBM, SPY, XAU, BTC' },
    { name: 'currency', type: 'string', comment: 'ISO 4217 code of the prices, e.g. USD' },
    { name: 'open', type: 'decimal(18,8)', comment: 'first price of the day; null where the API gives none' },
    { name: 'high', type: 'decimal(18,8)', comment: 'highest price of the day' },
    { name: 'low', type: 'decimal(18,8)', comment: 'lowest price of the day' },
    {
      name: 'close',
      type: 'decimal(18,8)',
      comment: 'last price of the day (crypto: the price when fetched)',
    },
    { name: 'volume', type: 'bigint', comment: 'units traded; null where the API gives none (crypto)' },
    ...OBSERVATION_PROVENANCE_COLUMNS,
  ],
};
