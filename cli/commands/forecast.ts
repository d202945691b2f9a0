/**
 * @module
 * `forecast gold`: train the gold-price model on the lake's market data and save the next trading day's
 * prediction in the warehouse (README, "The gold-price model"). The work is in `cli/actions/forecast.ts`.
 */
import type { Command } from 'commander';
import { wholeNumber } from '../global-options.ts';

/** The options of `forecast`. */
export interface ForecastOptions {
  readonly symbol?: string;
  readonly trainingDays?: number;
  readonly minimumDays?: number;
}

/** Registers `forecast`. */
export function register(program: Command): void {
  program
    .command('forecast')
    .description("Train the gold-price model on the lake's market data and save the next day's prediction.")
    .addArgument(program.createArgument('<model>', 'the model to run').choices(['gold']))
    .option('--symbol <symbol>', 'the gold series, a market_price symbol (default GLD)')
    .option(
      '--training-days <days>',
      'train on the last this many usable days (default 750)',
      wholeNumber('--training-days'),
    )
    .option(
      '--minimum-days <days>',
      'refuse with fewer usable days than this (default 120)',
      wholeNumber('--minimum-days'),
    )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ totesys-stream forecast gold\n' +
        '  $ totesys-stream forecast gold --training-days 500 --json\n',
    )
    .action(async (_model: string, options: ForecastOptions, command: Command) => {
      const { runForecastCommand } = await import('../actions/forecast.ts');
      await runForecastCommand(options, command);
    });
}
