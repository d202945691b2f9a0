/**
 * @module
 * `npm run bench -- forecast [--days 250] [--refit-every 5] [--to 2026-11-30] [--seed 15]`: the walk-forward
 * backtest of the gold-price model (forecast/walk-forward-backtest.ts; README, "The gold-price model") on the
 * synthetic market `up` collects offline (deterministic: the same options give the same figures). For each of
 * the last `--days` trading days to `--to`, a model trained only on the days before it (refitted every
 * `--refit-every` days) predicts the close; the reference is the naive forecast (the last close) on the same
 * days. It prints both forecasts' MAE and RMSE, their ratios (model / naive: below 1 means the model is the
 * better), the time spent, and the load average beside them.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { FORECAST_DEFAULTS } from '../forecast/forecast-settings.ts';
import { walkForwardBacktest } from '../forecast/walk-forward-backtest.ts';
import { syntheticMarketInputs } from './synthetic-market-inputs.ts';

/** Runs the backtest and prints its figures. */
export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      days: { type: 'string', default: '250' },
      'refit-every': { type: 'string', default: '5' },
      to: { type: 'string', default: '2026-11-30' },
      seed: { type: 'string', default: '15' },
    },
  });
  const days = Number(values.days);
  const refitEvery = Number(values['refit-every']);
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  const started = performance.now();
  const inputs = syntheticMarketInputs(values.to, Number(values.seed));
  const result = await walkForwardBacktest(inputs, FORECAST_DEFAULTS, { days, refitEvery });
  const seconds = (performance.now() - started) / 1000;
  const currency = inputs.gold.currency;
  const row = (name: string, mae: number, rmse: number) =>
    `${name.padEnd(26)} MAE ${mae.toFixed(4).padStart(9)} ${currency}   RMSE ${rmse.toFixed(4).padStart(9)} ${currency}`;
  console.log(
    `forecast backtest: ${FORECAST_DEFAULTS.symbol} (synthetic, seed ${values.seed}), ${result.days} trading days ${result.firstDay}..${result.lastDay}, ` +
      `window ${FORECAST_DEFAULTS.trainingDays} days, refitted every ${refitEvery} days (${result.refits} fits)`,
  );
  console.log(row('model (gradient boosting)', result.model.mae, result.model.rmse));
  console.log(row('naive (last close)', result.naive.mae, result.naive.rmse));
  console.log(
    `ratio model / naive        MAE ${(result.model.mae / result.naive.mae).toFixed(3)}   RMSE ${(result.model.rmse / result.naive.rmse).toFixed(3)}`,
  );
  console.log(`took ${seconds.toFixed(1)} s; load average ${load()}`);
}
