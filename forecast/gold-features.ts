/**
 * @module
 * The features of the gold-price model (README, "The gold-price model"), pure: for a target day, numbers
 * computed only from observations dated strictly before it, so training on day t never sees day t (no
 * look-ahead; `test/forecast/gold-features.test.ts` fails if a feature reads the target day). The target is the
 * day's log return of the gold close in percent; trees cannot extrapolate a trending level, but a return is
 * stationary, and the predicted close is the last close moved by the predicted return.
 */
import type { DailySeries, MarketInputs } from './market-inputs.ts';

/** The feature names, in the order of every feature row. */
export const GOLD_FEATURES = [
  'gold_return_1',
  'gold_return_2',
  'gold_return_3',
  'gold_return_4',
  'gold_return_5',
  'gold_ma5_gap',
  'gold_ma20_gap',
  'gold_volatility_20',
  'equity_return_1',
  'equity_return_5',
  'gbpusd_return_1',
  'gbpusd_return_5',
  'treasury_10y',
  'treasury_10y_change_5',
  'fed_funds',
] as const;

/** Gold closes before the target day the features need (20 returns). */
export const GOLD_LOOKBACK = 21;

/** One usable day: its features and, for a day with a close, the target. */
export interface FeatureRow {
  readonly targetDate: string;
  readonly features: readonly number[];
  /** The day's log return in percent; undefined for a day still to come. */
  readonly target: number | undefined;
  /** The last gold close before the target day and its date (the naive forecast). */
  readonly lastClose: number;
  readonly lastCloseIndex: number;
}

/** Observations of `series` dated before `day`: the index one past the last of them (binary search). */
export function countBefore(series: Pick<DailySeries, 'dates'>, day: string): number {
  let low = 0;
  let high = series.dates.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((series.dates[middle] as string) < day) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Percent log change from `back` observations before the end of `values[0..end)` to its last one. */
function percentChange(values: readonly number[], end: number, back: number): number | undefined {
  if (end - 1 - back < 0) return undefined;
  return 100 * Math.log((values[end - 1] as number) / (values[end - 1 - back] as number));
}

/**
 * The features for `targetDate`, from observations before it, or undefined while some series has too little
 * history before that day. `target` is set when gold has a close on `targetDate`.
 */
export function featureRowFor(inputs: MarketInputs, targetDate: string): FeatureRow | undefined {
  const { gold } = inputs;
  const goldEnd = countBefore(gold, targetDate);
  if (goldEnd < GOLD_LOOKBACK) return undefined;
  const closes = gold.values;
  const returns: number[] = [];
  for (let back = 0; back < GOLD_LOOKBACK - 1; back++) {
    returns.push(
      100 * Math.log((closes[goldEnd - 1 - back] as number) / (closes[goldEnd - 2 - back] as number)),
    );
  }
  const last = closes[goldEnd - 1] as number;
  const mean = (n: number) => closes.slice(goldEnd - n, goldEnd).reduce((sum, v) => sum + v, 0) / n;
  const average = returns.reduce((sum, r) => sum + r, 0) / returns.length;
  const volatility = Math.sqrt(
    returns.reduce((sum, r) => sum + (r - average) ** 2, 0) / (returns.length - 1),
  );
  const equityEnd = countBefore(inputs.equity, targetDate);
  const fxEnd = countBefore(inputs.gbpUsd, targetDate);
  const treasuryEnd = countBefore(inputs.treasury10y, targetDate);
  const fedEnd = countBefore(inputs.fedFunds, targetDate);
  const equity1 = percentChange(inputs.equity.values, equityEnd, 1);
  const equity5 = percentChange(inputs.equity.values, equityEnd, 5);
  const fx1 = percentChange(inputs.gbpUsd.values, fxEnd, 1);
  const fx5 = percentChange(inputs.gbpUsd.values, fxEnd, 5);
  if (equity1 === undefined || equity5 === undefined || fx1 === undefined || fx5 === undefined)
    return undefined;
  if (treasuryEnd < 6 || fedEnd < 1) return undefined;
  const treasury = inputs.treasury10y.values;
  const features = [
    ...returns.slice(0, 5),
    100 * (last / mean(5) - 1),
    100 * (last / mean(20) - 1),
    volatility,
    equity1,
    equity5,
    fx1,
    fx5,
    treasury[treasuryEnd - 1] as number,
    (treasury[treasuryEnd - 1] as number) - (treasury[treasuryEnd - 6] as number),
    inputs.fedFunds.values[fedEnd - 1] as number,
  ];
  const at = goldEnd < gold.dates.length && gold.dates[goldEnd] === targetDate ? goldEnd : undefined;
  return {
    targetDate,
    features,
    target: at === undefined ? undefined : 100 * Math.log((closes[at] as number) / last),
    lastClose: last,
    lastCloseIndex: goldEnd - 1,
  };
}

/** Every gold trading day that has features, oldest first: the days a model can learn from. */
export function trainingRows(inputs: MarketInputs): FeatureRow[] {
  const rows: FeatureRow[] = [];
  for (const day of inputs.gold.dates) {
    const row = featureRowFor(inputs, day);
    if (row) rows.push(row);
  }
  return rows;
}

/** The trading day after `day`: gold trades Monday to Friday. */
export function nextTradingDay(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  do date.setUTCDate(date.getUTCDate() + 1);
  while (date.getUTCDay() === 0 || date.getUTCDay() === 6);
  return date.toISOString().slice(0, 10);
}
