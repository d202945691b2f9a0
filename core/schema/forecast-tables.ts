/**
 * @module
 * The warehouse table of model predictions (README, "The gold-price model"): `market.price_forecast`, in the
 * market schema beside the observations the model learns from. One row per (model, target date): a re-run for
 * the same target day replaces the row (only when something in it differs), so a scheduled job that runs
 * twice, or a Lambda retried, leaves one prediction per day.
 *
 * Identifiers come only from here, so they are safe to quote into SQL.
 */
import { MARKET_SCHEMA } from './market-warehouse-tables.ts';

/** The PostgreSQL type of a forecast column. */
export type ForecastColumnType = 'date' | 'varchar' | 'numeric(18,8)' | 'integer' | 'timestamp(3)';

/** One column of the forecast table. */
export interface ForecastColumn {
  readonly name: string;
  readonly type: ForecastColumnType;
  readonly comment: string;
}

/** The forecast table's definition: its schema, name, key and columns (none nullable). */
export interface ForecastTable {
  readonly schema: typeof MARKET_SCHEMA;
  readonly name: 'price_forecast';
  readonly primaryKey: readonly ['model', 'target_date'];
  readonly columns: readonly ForecastColumn[];
}

/** `market.price_forecast`: next-day predictions with their training window and model metadata. */
export const PRICE_FORECAST_TABLE: ForecastTable = {
  schema: MARKET_SCHEMA,
  name: 'price_forecast',
  primaryKey: ['model', 'target_date'],
  columns: [
    { name: 'model', type: 'varchar', comment: 'the model name, e.g. gold-xgboost' },
    { name: 'target_date', type: 'date', comment: 'the trading day predicted' },
    { name: 'symbol', type: 'varchar', comment: 'the market_price symbol predicted, e.g. XAU' },
    { name: 'source', type: 'varchar', comment: 'who published the series learnt from, e.g. synthetic' },
    { name: 'currency', type: 'varchar', comment: 'ISO 4217 code of the prices' },
    { name: 'predicted_close', type: 'numeric(18,8)', comment: "the model's close for target_date" },
    {
      name: 'last_close',
      type: 'numeric(18,8)',
      comment: 'the last close known (the naive forecast beside the model)',
    },
    { name: 'last_price_date', type: 'date', comment: 'the day of last_close: no later data was used' },
    { name: 'training_from', type: 'date', comment: 'first target day of the training window' },
    { name: 'training_to', type: 'date', comment: 'last target day of the training window' },
    { name: 'training_rows', type: 'integer', comment: 'days the model was trained on' },
    { name: 'features', type: 'varchar', comment: 'the feature names, comma-separated, in model order' },
    { name: 'library', type: 'varchar', comment: 'the gradient-boosting library and version' },
    { name: 'parameters', type: 'varchar', comment: 'the training parameters as JSON' },
    { name: 'trained_at', type: 'timestamp(3)', comment: 'when the job trained the model (UTC)' },
  ],
};
