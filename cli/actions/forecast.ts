/**
 * @module
 * What `forecast` does (its options and help are in `cli/commands/forecast.ts`).
 */
import type { Command } from 'commander';
import type { PricePrediction } from '../../core/ports/price-forecasts.ts';
import { SYNTHETIC_SOURCE } from '../../core/schema/market-lake-tables.ts';
import { readForecastSettings } from '../../forecast/forecast-settings.ts';
import type { ForecastStep, GoldForecastOutcome } from '../../forecast/gold-forecast.ts';
import { forecastGoldLocally } from '../../local/local-forecast.ts';
import { assertDataDirUsable } from '../../local/runtime-config.ts';
import { terminalLog } from '../../local/terminal-log.ts';
import { withRuntime } from '../command-runtime.ts';
import type { ForecastOptions } from '../commands/forecast.ts';
import { globalOptions } from '../global-options.ts';

const STEP_LABELS: Readonly<Record<ForecastStep, string>> = {
  reading: 'reading market data from the lake',
  training: 'training the model',
  saving: 'saving the prediction',
};

/** Runs the job once and prints the prediction. */
export async function runForecastCommand(options: ForecastOptions, command: Command): Promise<void> {
  const global = globalOptions(command);
  const settings = readForecastSettings(process.env, {
    ...(options.symbol ? { symbol: options.symbol } : {}),
    ...(options.trainingDays ? { trainingDays: options.trainingDays } : {}),
    ...(options.minimumDays ? { minimumTrainingDays: options.minimumDays } : {}),
  });
  const showSteps = global.progress === true || process.stderr.isTTY === true;
  await withRuntime(command, async (runtime) => {
    await assertDataDirUsable(runtime.dataDir, true);
    const outcome = await forecastGoldLocally({
      dataDir: runtime.dataDir,
      warehouseUrl: runtime.warehouseUrl,
      settings,
      log: terminalLog(),
      ...(showSteps
        ? { onStep: (step: ForecastStep) => process.stderr.write(`forecast: ${STEP_LABELS[step]}\n`) }
        : {}),
    });
    console.log(global.json ? JSON.stringify(outcome) : formatOutcome(outcome));
  });
}

function formatOutcome({ prediction: p, write }: GoldForecastOutcome): string {
  const label = p.source === SYNTHETIC_SOURCE ? ' (SYNTHETIC market data)' : '';
  const verb: Record<GoldForecastOutcome['write'], string> = {
    inserted: 'saved',
    replaced: 'replaced the earlier prediction',
    unchanged: 'same as the saved prediction',
  };
  return [
    `${p.model}: ${p.symbol} close on ${p.targetDate} predicted ${formatPrice(p)} ${p.currency}${label}; last close ${p.lastClose} on ${p.lastPriceDate}.`,
    `Trained on ${p.trainingRows} days, ${p.trainingFrom} to ${p.trainingTo}, with ${p.library}; ${verb[write]} in market.price_forecast.`,
  ].join('\n');
}

function formatPrice(p: PricePrediction): string {
  return Number(p.predictedClose).toFixed(2);
}
