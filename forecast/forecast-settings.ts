/**
 * @module
 * The gold-price model's settings, one definition for `forecast gold`, `up` and the forecast Lambda (README,
 * "The gold-price model"): which series feed it, how many days it trains on, how many it needs at least, and
 * how often `up` looks for a new market day. Each is an environment variable (`core/operations.ts` names them)
 * with a default; the command's flags override them.
 */
import { z } from 'zod';
import { ENV } from '../core/operations.ts';

/** What the job runs with. */
export interface ForecastSettings {
  /** The model's name, the first half of the predictions' key. */
  readonly model: string;
  /** The gold series (`market_price` symbol): GLD is collected on AWS (Alpha Vantage) and offline alike. */
  readonly symbol: string;
  /** The equity index (`market_price` symbol). */
  readonly equitySymbol: string;
  /** The 10-year Treasury yield and the federal funds rate (`economic_observation` series). */
  readonly treasurySeries: string;
  readonly fedFundsSeries: string;
  /** The training window: the last this many usable trading days (about three years). */
  readonly trainingDays: number;
  /** Fewer usable days than this is "not enough history". */
  readonly minimumTrainingDays: number;
  /** How often `up` checks the lake for a new gold day (the job runs only then). */
  readonly checkEveryMs: number;
}

/** The defaults. */
export const FORECAST_DEFAULTS: ForecastSettings = {
  model: 'gold-xgboost',
  symbol: 'GLD',
  equitySymbol: 'SPY',
  treasurySeries: 'DGS10',
  fedFundsSeries: 'DFF',
  trainingDays: 750,
  minimumTrainingDays: 120,
  checkEveryMs: 60_000,
};

/** A malformed setting: names the variable. */
export class ForecastSettingsError extends Error {
  override readonly name = 'ForecastSettingsError';
}

const wholeDays = (variable: string) =>
  z.coerce
    .number({ error: `${variable} must be a whole number of days` })
    .int(`${variable} must be a whole number of days`)
    .positive(`${variable} must be at least 1`)
    .optional();

const SCHEMA = z.object({
  [ENV.forecastSymbol]: z.string().min(1).optional(),
  [ENV.forecastTrainingDays]: wholeDays(ENV.forecastTrainingDays),
  [ENV.forecastMinimumDays]: wholeDays(ENV.forecastMinimumDays),
});

/** The settings from the environment over the defaults, then `overrides` (flags) over both. */
export function readForecastSettings(
  env: Readonly<Record<string, string | undefined>>,
  overrides: Partial<Pick<ForecastSettings, 'symbol' | 'trainingDays' | 'minimumTrainingDays'>> = {},
): ForecastSettings {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = SCHEMA.safeParse(present);
  if (!parsed.success) {
    throw new ForecastSettingsError(
      `Forecast settings are invalid: ${parsed.error.issues.map((i) => i.message).join('; ')}.`,
    );
  }
  const settings: ForecastSettings = {
    ...FORECAST_DEFAULTS,
    symbol: overrides.symbol ?? parsed.data[ENV.forecastSymbol] ?? FORECAST_DEFAULTS.symbol,
    trainingDays:
      overrides.trainingDays ?? parsed.data[ENV.forecastTrainingDays] ?? FORECAST_DEFAULTS.trainingDays,
    minimumTrainingDays:
      overrides.minimumTrainingDays ??
      parsed.data[ENV.forecastMinimumDays] ??
      FORECAST_DEFAULTS.minimumTrainingDays,
  };
  if (settings.minimumTrainingDays > settings.trainingDays) {
    throw new ForecastSettingsError(
      `Forecast settings are invalid: the minimum (${settings.minimumTrainingDays} days) is larger than the training window (${settings.trainingDays} days).`,
    );
  }
  return settings;
}
