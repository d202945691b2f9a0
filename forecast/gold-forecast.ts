/**
 * @module
 * The gold-price job (README, "The gold-price model"): read the inputs from the lake, build the features,
 * train the gradient-boosted regression on the training window, predict the next trading day's close, and
 * save the prediction with its window and model metadata. The same function runs in `forecast gold`, in `up`
 * and in the forecast Lambda; only the adapters differ.
 */
import type { Log } from '../core/ports/log.ts';
import type { PredictionWrite, PriceForecasts, PricePrediction } from '../core/ports/price-forecasts.ts';
import type { QueryEngine } from '../core/ports/query-engine.ts';
import type { ForecastSettings } from './forecast-settings.ts';
import {
  type FeatureRow,
  featureRowFor,
  GOLD_FEATURES,
  GOLD_LOOKBACK,
  nextTradingDay,
  trainingRows,
} from './gold-features.ts';
import { type MarketInputs, MissingMarketDataError, readMarketInputs } from './market-inputs.ts';
import { REGRESSOR_LIBRARY, REGRESSOR_PARAMETERS, withTrainedRegressor } from './xgboost-regressor.ts';

/** The lake has fewer usable days than the model needs: says how many, and how many it needs. */
export class NotEnoughHistoryError extends Error {
  override readonly name = 'NotEnoughHistoryError';
}

/** The steps a run goes through, for a progress line. */
export type ForecastStep = 'reading' | 'training' | 'saving';

/** What a run needs. */
export interface GoldForecastDeps {
  readonly engine: QueryEngine;
  readonly forecasts: PriceForecasts;
  readonly settings: ForecastSettings;
  readonly now: () => number;
  readonly log?: Log;
  readonly onStep?: (step: ForecastStep) => void;
}

/** What a run did. */
export interface GoldForecastOutcome {
  readonly prediction: PricePrediction;
  readonly write: PredictionWrite;
}

/** The training window: the last `trainingDays` usable days, or {@link NotEnoughHistoryError}. */
export function trainingWindow(rows: readonly FeatureRow[], settings: ForecastSettings): FeatureRow[] {
  const usable = rows.filter((row) => row.target !== undefined);
  if (usable.length < settings.minimumTrainingDays) {
    throw new NotEnoughHistoryError(
      `not enough history: ${usable.length} days, need ${settings.minimumTrainingDays} (each needs the ${settings.symbol} closes of the ${GOLD_LOOKBACK} trading days before it and the FX, rates and ${settings.equitySymbol} series). Backfill with \`totesys-stream collect equities --from DATE --once\` (and fx, fred), or lower the minimum.`,
    );
  }
  return usable.slice(-settings.trainingDays);
}

/** Trains on `inputs` and predicts the trading day after the last gold close: pure apart from the model. */
export async function predictNextDay(
  inputs: MarketInputs,
  settings: ForecastSettings,
  trainedAt: string,
): Promise<PricePrediction> {
  const window = trainingWindow(trainingRows(inputs), settings);
  const lastDay = inputs.gold.dates[inputs.gold.dates.length - 1] as string;
  const targetDate = nextTradingDay(lastDay);
  const next = featureRowFor(inputs, targetDate);
  if (!next)
    throw new NotEnoughHistoryError(`not enough history to predict ${targetDate}: a series ends too early.`);
  const predictedReturn = await withTrainedRegressor(
    window.map((row) => row.features),
    window.map((row) => row.target as number),
    (model) => model.predict([next.features])[0] as number,
  );
  return {
    model: settings.model,
    targetDate,
    symbol: settings.symbol,
    source: inputs.gold.source,
    currency: inputs.gold.currency,
    predictedClose: (next.lastClose * Math.exp(predictedReturn / 100)).toFixed(8),
    lastClose: inputs.gold.closes[next.lastCloseIndex] as string,
    lastPriceDate: lastDay,
    trainingFrom: (window[0] as FeatureRow).targetDate,
    trainingTo: (window[window.length - 1] as FeatureRow).targetDate,
    trainingRows: window.length,
    features: GOLD_FEATURES,
    library: REGRESSOR_LIBRARY,
    parameters: JSON.stringify(REGRESSOR_PARAMETERS),
    trainedAt,
  };
}

/** One run: read, train, predict, save (replacing the target day's prediction only if it changed). */
export async function runGoldForecast(deps: GoldForecastDeps): Promise<GoldForecastOutcome> {
  deps.onStep?.('reading');
  const inputs = await readMarketInputs(deps.engine, {
    gold: deps.settings.symbol,
    equity: deps.settings.equitySymbol,
    treasury10y: deps.settings.treasurySeries,
    fedFunds: deps.settings.fedFundsSeries,
  });
  deps.onStep?.('training');
  const prediction = await predictNextDay(inputs, deps.settings, timestampText(deps.now()));
  deps.onStep?.('saving');
  const write = await deps.forecasts.savePrediction(prediction);
  deps.log?.info(`forecast ${prediction.model} for ${prediction.targetDate}: ${write}`, {
    stage: 'forecast',
    rows: prediction.trainingRows,
  });
  return { prediction, write };
}

/**
 * Runs the job only when the lake has a gold day no saved prediction has seen yet (`up` checks on a timer;
 * re-training on the same days would give the same prediction). Resolves undefined when there was nothing new.
 */
export async function runGoldForecastOnNewDay(
  deps: GoldForecastDeps,
): Promise<GoldForecastOutcome | undefined> {
  const newest = await deps.engine
    .query('SELECT CAST(max(price_date) AS VARCHAR) AS newest FROM market_price_latest WHERE symbol = ?', [
      deps.settings.symbol,
    ])
    .catch((cause: unknown) => {
      throw new MissingMarketDataError(
        `Could not read market_price ${deps.settings.symbol} from the lake: ${(cause as Error).message}.`,
        { cause },
      );
    });
  const day = newest.rows[0]?.[0];
  if (!day) return undefined;
  const saved = await deps.forecasts.prediction(deps.settings.model, nextTradingDay(day));
  if (saved && saved.lastPriceDate === day) return undefined;
  return runGoldForecast(deps);
}

/** Milliseconds since the epoch as `YYYY-MM-DD HH:MM:SS.mmm` (UTC), the warehouse's timestamp(3) text. */
function timestampText(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 23);
}
