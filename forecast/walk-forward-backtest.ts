/**
 * @module
 * The walk-forward backtest of the gold-price model (`npm run bench -- forecast`; README, "The gold-price
 * model"): for each of the last `days` trading days, a model trained only on the days before it (its training
 * window ending the day before, refitted every `refitEvery` days) predicts the close, beside the naive
 * forecast (the last close). Both are scored on the same days: mean absolute and root mean squared error of
 * the close, in the series' currency.
 */
import type { ForecastSettings } from './forecast-settings.ts';
import { type FeatureRow, trainingRows } from './gold-features.ts';
import type { MarketInputs } from './market-inputs.ts';
import { withTrainedRegressor } from './xgboost-regressor.ts';

/** The errors of one forecaster over the tested days. */
export interface ForecastErrors {
  readonly mae: number;
  readonly rmse: number;
}

/** What the backtest measured. */
export interface BacktestResult {
  readonly days: number;
  readonly firstDay: string;
  readonly lastDay: string;
  readonly refits: number;
  readonly model: ForecastErrors;
  readonly naive: ForecastErrors;
}

/** Runs the backtest over the last `days` usable days of `inputs`. */
export async function walkForwardBacktest(
  inputs: MarketInputs,
  settings: ForecastSettings,
  options: { readonly days: number; readonly refitEvery: number },
): Promise<BacktestResult> {
  const rows = trainingRows(inputs).filter((row) => row.target !== undefined);
  const firstTest = rows.length - options.days;
  if (firstTest < settings.minimumTrainingDays) {
    throw new Error(
      `not enough history: ${rows.length} days, need ${settings.minimumTrainingDays + options.days} (${options.days} to test after ${settings.minimumTrainingDays} to train on).`,
    );
  }
  const modelErrors: number[] = [];
  const naiveErrors: number[] = [];
  let refits = 0;
  for (let start = firstTest; start < rows.length; start += options.refitEvery) {
    // Trained only on days before `start`: nothing of a tested day reaches its model.
    const window = rows.slice(Math.max(0, start - settings.trainingDays), start);
    const tested = rows.slice(start, Math.min(rows.length, start + options.refitEvery));
    const predicted = await withTrainedRegressor(
      window.map((row) => row.features),
      window.map((row) => row.target as number),
      (model) => model.predict(tested.map((row) => row.features)),
    );
    refits++;
    tested.forEach((row: FeatureRow, i) => {
      const actual = row.lastClose * Math.exp((row.target as number) / 100);
      modelErrors.push(row.lastClose * Math.exp((predicted[i] as number) / 100) - actual);
      naiveErrors.push(row.lastClose - actual);
    });
  }
  return {
    days: modelErrors.length,
    firstDay: (rows[firstTest] as FeatureRow).targetDate,
    lastDay: (rows[rows.length - 1] as FeatureRow).targetDate,
    refits,
    model: errorsOf(modelErrors),
    naive: errorsOf(naiveErrors),
  };
}

function errorsOf(errors: readonly number[]): ForecastErrors {
  const n = errors.length;
  return {
    mae: errors.reduce((sum, e) => sum + Math.abs(e), 0) / n,
    rmse: Math.sqrt(errors.reduce((sum, e) => sum + e * e, 0) / n),
  };
}
