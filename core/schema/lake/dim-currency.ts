import type { LakeTable } from '../lake-table.ts';

/** Currencies, with the ISO 4217 English name the warehouse wants. */
export const dimCurrency: LakeTable = {
  name: 'dim_currency',
  source: 'currency',
  kind: 'dimension',
  keyColumn: 'currency_id',
  description: 'Versions of source currency rows plus their ISO 4217 name, shaped like dim_currency.',
  columns: [
    { name: 'currency_id', type: 'int', comment: 'source currency_id' },
    { name: 'currency_code', type: 'string', comment: 'ISO 4217 code, e.g. GBP' },
    { name: 'currency_name', type: 'string', comment: 'ISO 4217 English name, e.g. Pound Sterling' },
  ],
};
