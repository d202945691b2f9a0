import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { syntheticMarketInputs } from '../../bench/synthetic-market-inputs.ts';
import { FORECAST_DEFAULTS } from '../../forecast/forecast-settings.ts';
import {
  featureRowFor,
  GOLD_FEATURES,
  GOLD_LOOKBACK,
  nextTradingDay,
  trainingRows,
} from '../../forecast/gold-features.ts';
import { NotEnoughHistoryError, predictNextDay, trainingWindow } from '../../forecast/gold-forecast.ts';
import type { DailySeries, MarketInputs } from '../../forecast/market-inputs.ts';
import { walkForwardBacktest } from '../../forecast/walk-forward-backtest.ts';
import { REGRESSOR_LIBRARY } from '../../forecast/xgboost-regressor.ts';

const INPUTS = syntheticMarketInputs('2022-06-30');

/** `series` with every observation on or after `day` multiplied by `factor` (what the target day must not move). */
function disturbedFrom<S extends DailySeries>(series: S, day: string, factor: number): S {
  return {
    ...series,
    values: series.values.map((v, i) => ((series.dates[i] as string) >= day ? v * factor : v)),
  };
}

function disturbedInputs(inputs: MarketInputs, day: string, factor: number): MarketInputs {
  return {
    gold: disturbedFrom(inputs.gold, day, factor),
    equity: disturbedFrom(inputs.equity, day, factor),
    gbpUsd: disturbedFrom(inputs.gbpUsd, day, factor),
    treasury10y: disturbedFrom(inputs.treasury10y, day, factor),
    fedFunds: disturbedFrom(inputs.fedFunds, day, factor),
  };
}

describe('the gold features', () => {
  it('use nothing of the target day or later: disturbing every series from that day on leaves them as they were', () => {
    const days = INPUTS.gold.dates.slice(GOLD_LOOKBACK + 10, GOLD_LOOKBACK + 60);
    for (const day of days) {
      const row = featureRowFor(INPUTS, day);
      const disturbed = featureRowFor(disturbedInputs(INPUTS, day, 1.5), day);
      expect(row, day).toBeDefined();
      expect(disturbed?.features, day).toEqual(row?.features);
      // The target is the one figure of the day itself: the disturbance must reach it.
      expect(disturbed?.target, day).not.toEqual(row?.target);
    }
  });

  it('do use the day before: disturbing from the previous trading day on changes them', () => {
    const day = INPUTS.gold.dates[GOLD_LOOKBACK + 30] as string;
    const before = INPUTS.gold.dates[GOLD_LOOKBACK + 29] as string;
    expect(featureRowFor(disturbedInputs(INPUTS, before, 1.5), day)?.features).not.toEqual(
      featureRowFor(INPUTS, day)?.features,
    );
  });

  it('are one number per named feature, finite, and absent before a series has enough history', () => {
    const rows = trainingRows(INPUTS);
    expect(rows.length).toBeGreaterThan(500);
    for (const row of rows) {
      expect(row.features).toHaveLength(GOLD_FEATURES.length);
      expect(row.features.every(Number.isFinite)).toBe(true);
    }
    expect(featureRowFor(INPUTS, INPUTS.gold.dates[GOLD_LOOKBACK - 1] as string)).toBeUndefined();
    expect(featureRowFor(INPUTS, INPUTS.gold.dates[GOLD_LOOKBACK] as string)).toBeDefined();
  });

  it('target the log return in percent of the close on the target day', () => {
    const at = GOLD_LOOKBACK + 5;
    const row = featureRowFor(INPUTS, INPUTS.gold.dates[at] as string);
    const [previous, close] = [INPUTS.gold.values[at - 1] as number, INPUTS.gold.values[at] as number];
    expect(row?.target).toBeCloseTo(100 * Math.log(close / previous), 12);
    expect(row?.lastClose).toBe(previous);
  });
});

describe('the next trading day', () => {
  it('skips the weekend', () => {
    expect(nextTradingDay('2026-11-27')).toBe('2026-11-30'); // Friday to Monday
    expect(nextTradingDay('2026-11-28')).toBe('2026-11-30');
    expect(nextTradingDay('2026-11-30')).toBe('2026-12-01');
  });
});

describe('the training window', () => {
  it('refuses too little history, saying how much there is and how much it needs', () => {
    const rows = trainingRows(INPUTS).slice(0, 50);
    expect(() => trainingWindow(rows, FORECAST_DEFAULTS)).toThrow(NotEnoughHistoryError);
    expect(() => trainingWindow(rows, FORECAST_DEFAULTS)).toThrow(/^not enough history: 50 days, need 120/);
  });

  it('is the last trainingDays usable days', () => {
    const rows = trainingRows(INPUTS);
    const window = trainingWindow(rows, { ...FORECAST_DEFAULTS, trainingDays: 200 });
    expect(window).toHaveLength(200);
    expect(window.at(-1)?.targetDate).toBe(rows.at(-1)?.targetDate);
  });
});

describe('the next-day prediction', () => {
  it('predicts the trading day after the last close, from a window ending on it, and is deterministic', async () => {
    const settings = { ...FORECAST_DEFAULTS, trainingDays: 300 };
    const first = await predictNextDay(INPUTS, settings, '2022-07-01 00:00:00.000');
    const again = await predictNextDay(INPUTS, settings, '2022-07-01 00:00:00.000');
    expect(again).toEqual(first);
    expect(first).toMatchObject({
      targetDate: '2022-07-01',
      lastPriceDate: '2022-06-30',
      trainingTo: '2022-06-30',
      trainingRows: 300,
      source: 'synthetic',
      lastClose: INPUTS.gold.closes.at(-1),
      features: GOLD_FEATURES,
    });
    // Within a few daily moves of the last close: a return, not a level, is what the trees learn.
    const ratio = Number(first.predictedClose) / Number(first.lastClose);
    expect(ratio).toBeGreaterThan(0.97);
    expect(ratio).toBeLessThan(1.03);
    expect(first.predictedClose).toMatch(/^\d+\.\d{8}$/);
  });

  it('learns a relation that is there: with gold following the equity index a day late, it beats the naive forecast', async () => {
    // Gold's return is yesterday's equity return: the features carry it (equity_return_1), the naive forecast cannot.
    const equity = INPUTS.equity;
    const values: number[] = [INPUTS.gold.values[0] as number];
    for (let i = 1; i < INPUTS.gold.dates.length; i++) {
      const day = INPUTS.gold.dates[i] as string;
      const at = equity.dates.indexOf(day);
      const lagged =
        at >= 2 ? Math.log((equity.values[at - 1] as number) / (equity.values[at - 2] as number)) : 0;
      values.push((values[i - 1] as number) * Math.exp(lagged));
    }
    const planted: MarketInputs = {
      ...INPUTS,
      gold: { ...INPUTS.gold, values, closes: values.map((v) => v.toFixed(8)) },
    };
    const result = await walkForwardBacktest(
      planted,
      { ...FORECAST_DEFAULTS, trainingDays: 400 },
      {
        days: 60,
        refitEvery: 30,
      },
    );
    expect(result.days).toBe(60);
    expect(result.model.mae).toBeLessThan(0.5 * result.naive.mae);
  });
});

describe('the regressor', () => {
  it('names the installed library version in every prediction', async () => {
    const manifest = JSON.parse(
      await readFile(new URL('../../node_modules/ml-xgboost/package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    expect(REGRESSOR_LIBRARY).toBe(`ml-xgboost ${manifest.version}`);
  });
});
