import { type MarketLakeTable, OBSERVATION_PROVENANCE_COLUMNS } from '../market-lake-table.ts';

/** Observations of economic series (interest rates, indices), as FRED publishes them. */
export const economicObservation: MarketLakeTable = {
  name: 'economic_observation',
  kind: 'observation',
  keyColumns: ['source', 'series_id', 'observation_date'],
  dateColumn: 'observation_date',
  versionColumn: 'fetched_at',
  nullableColumns: ['value'],
  description: 'One value per series and observation day; a missing value is NULL, never 0.',
  columns: [
    { name: 'observation_date', type: 'date', comment: 'the day the value is for' },
    { name: 'series_id', type: 'string', comment: 'the series, e.g. DGS10 (10-year Treasury yield)' },
    {
      name: 'value',
      type: 'decimal(18,8)',
      comment: 'the value; NULL where the publisher has none ("." on FRED)',
    },
    ...OBSERVATION_PROVENANCE_COLUMNS,
  ],
};
