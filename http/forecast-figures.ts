/**
 * @module
 * The dashboard's gold-price panel (README, "The gold-price model"): the latest predictions of
 * `market.price_forecast`, each beside the close that came true on its target day (from `market.market_price`,
 * same symbol and publisher) once the lake has it. Decimals stay exact text; `source` says `synthetic` when the
 * built-in synthetic market made the series (the page says so).
 */
import type pg from 'pg';
import type { PricePrediction } from '../core/ports/price-forecasts.ts';
import { PRICE_FORECAST_TABLE } from '../core/schema/forecast-tables.ts';
import { MARKET_SCHEMA } from '../core/schema/market-warehouse-tables.ts';

/** Predictions shown, newest target day first. */
export const FORECASTS_SHOWN = 10;

/** One prediction as the panel shows it: what the model saved, and what came true. */
export interface ForecastFigure
  extends Pick<
    PricePrediction,
    | 'model'
    | 'targetDate'
    | 'symbol'
    | 'source'
    | 'currency'
    | 'predictedClose'
    | 'lastClose'
    | 'lastPriceDate'
    | 'trainingFrom'
    | 'trainingTo'
    | 'trainingRows'
    | 'library'
  > {
  /** The close of the target day, null until the lake has it. */
  readonly actualClose: string | null;
}

/** Reads the latest predictions with their outcomes. */
export async function readForecastFigures(client: pg.ClientBase): Promise<ForecastFigure[]> {
  const result = await client.query<Record<string, string | null>>(
    `SELECT f.model, f.target_date::text AS target_date, f.symbol, f.source, f.currency,
            f.predicted_close::text AS predicted_close, f.last_close::text AS last_close,
            f.last_price_date::text AS last_price_date, p.close::text AS actual_close,
            f.training_from::text AS training_from, f.training_to::text AS training_to,
            f.training_rows::text AS training_rows, f.library
       FROM ${PRICE_FORECAST_TABLE.schema}.${PRICE_FORECAST_TABLE.name} AS f
       LEFT JOIN ${MARKET_SCHEMA}.market_price AS p
         ON p.symbol = f.symbol AND p.source = f.source AND p.price_date = f.target_date
      ORDER BY f.target_date DESC, f.model LIMIT ${FORECASTS_SHOWN}`,
  );
  return result.rows.map((r) => ({
    model: r['model'] as string,
    targetDate: r['target_date'] as string,
    symbol: r['symbol'] as string,
    source: r['source'] as string,
    currency: r['currency'] as string,
    predictedClose: r['predicted_close'] as string,
    lastClose: r['last_close'] as string,
    lastPriceDate: r['last_price_date'] as string,
    actualClose: r['actual_close'] ?? null,
    trainingFrom: r['training_from'] as string,
    trainingTo: r['training_to'] as string,
    trainingRows: Number(r['training_rows']),
    library: r['library'] as string,
  }));
}
