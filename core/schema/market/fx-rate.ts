import { type MarketLakeTable, OBSERVATION_PROVENANCE_COLUMNS } from '../market-lake-table.ts';

/** Daily reference exchange rates: 1 unit of `base_currency` buys `rate` units of `quote_currency`. */
export const fxRate: MarketLakeTable = {
  name: 'fx_rate',
  kind: 'observation',
  keyColumns: ['source', 'base_currency', 'quote_currency', 'rate_date'],
  dateColumn: 'rate_date',
  versionColumn: 'fetched_at',
  nullableColumns: [],
  description:
    'Daily reference exchange rates (banking days only), one row per fetch of a currency pair and day.',
  columns: [
    { name: 'rate_date', type: 'date', comment: 'the fixing day (no row on weekends and holidays)' },
    { name: 'base_currency', type: 'string', comment: 'ISO 4217 code of the base, e.g. GBP' },
    { name: 'quote_currency', type: 'string', comment: 'ISO 4217 code of the quote, e.g. USD' },
    { name: 'rate', type: 'decimal(18,8)', comment: 'units of quote_currency per 1 base_currency' },
    ...OBSERVATION_PROVENANCE_COLUMNS,
  ],
};
