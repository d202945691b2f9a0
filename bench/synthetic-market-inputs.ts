/**
 * @module
 * The gold-price model's inputs straight from the built-in synthetic market (collect/synthetic/), the series
 * `up` collects into the lake offline: the forecast benchmark and the model's unit tests use them without a
 * lake. Deterministic: the same seed and days give the same series.
 */
import { addDays, SYNTHETIC_EPOCH, SyntheticMarket } from '../collect/synthetic/synthetic-market.ts';
import { SYNTHETIC_SOURCE } from '../core/schema/market-lake-tables.ts';
import { FORECAST_DEFAULTS } from '../forecast/forecast-settings.ts';
import type { DailySeries, MarketInputs } from '../forecast/market-inputs.ts';

/** Every series the model reads, from the synthetic market's first day to `lastDay`. */
export function syntheticMarketInputs(lastDay: string, seed = 15): MarketInputs {
  const market = new SyntheticMarket(seed);
  const days: string[] = [];
  for (let day = SYNTHETIC_EPOCH; day <= lastDay; day = addDays(day, 1)) days.push(day);
  const series = (name: string, value: (day: string) => string | null | undefined) => {
    const dates: string[] = [];
    const exact: string[] = [];
    for (const day of days) {
      const v = value(day);
      if (v === undefined || v === null) continue;
      dates.push(day);
      exact.push(v);
    }
    const daily: DailySeries = { name, source: SYNTHETIC_SOURCE, dates, values: exact.map(Number) };
    return { daily, exact };
  };
  const gold = series(FORECAST_DEFAULTS.symbol, (day) => market.price(FORECAST_DEFAULTS.symbol, day)?.close);
  return {
    gold: { ...gold.daily, currency: 'USD', closes: gold.exact },
    equity: series(
      FORECAST_DEFAULTS.equitySymbol,
      (day) => market.price(FORECAST_DEFAULTS.equitySymbol, day)?.close,
    ).daily,
    gbpUsd: series('GBP/USD', (day) => market.gbpRate('USD', day)).daily,
    treasury10y: series(FORECAST_DEFAULTS.treasurySeries, (day) =>
      market.economic(FORECAST_DEFAULTS.treasurySeries, day),
    ).daily,
    fedFunds: series(FORECAST_DEFAULTS.fedFundsSeries, (day) =>
      market.economic(FORECAST_DEFAULTS.fedFundsSeries, day),
    ).daily,
  };
}
