/**
 * @module
 * `collect <collector>`: fetch market data into the lake (README, "Market data"). With `--once` it returns only
 * after the rows are in the lake, like `sync`; without it, it collects again every `--every` minutes until
 * Ctrl-C. The work is in `cli/actions/collect.ts`.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { COLLECTOR_NAMES } from '../../core/schema/market-lake-tables.ts';
import { positiveNumber } from '../global-options.ts';

/** The options of `collect`. */
export interface CollectOptions {
  readonly once?: boolean;
  readonly from?: string;
  readonly apiUrl?: string;
  readonly synthetic?: boolean;
  readonly dir?: string;
  readonly every: number;
}

/** Registers `collect`. */
export function register(program: Command): void {
  program
    .command('collect')
    .description('Fetch market data (exchange rates, prices, economic series) into the lake.')
    .addArgument(
      program
        .createArgument('<collector>', 'what to collect')
        .choices(COLLECTOR_NAMES as unknown as string[]),
    )
    .option('--once', 'collect once and exit after the rows are in the lake')
    .option('--from <date>', 'backfill every day from this one (YYYY-MM-DD) to today', day)
    .option('--api-url <url>', "the API's base URL (a Frankfurter-compatible server for fx)", httpUrl)
    .addOption(
      new Option('--synthetic', 'use the built-in synthetic market instead of the API').conflicts('apiUrl'),
    )
    .option('--dir <dir>', 'files: the drop directory (JSON arrays of rows under <dir>/<market table>/)')
    .option('--every <minutes>', 'minutes between collections without --once', positiveNumber('--every'), 60)
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ totesys-stream collect fx --once\n' +
        '  $ totesys-stream collect fx --once --from 2026-01-01 --api-url http://127.0.0.1:8080\n' +
        '  $ totesys-stream collect fx --synthetic --every 5\n' +
        '  $ totesys-stream collect files --dir drop --once\n',
    )
    .action(async (collector: string, options: CollectOptions, command: Command) => {
      const { runCollectCommand } = await import('../actions/collect.ts');
      await runCollectCommand(collector, options, command);
    });
}

function day(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new InvalidArgumentError('a day is written YYYY-MM-DD.');
  }
  return value;
}

function httpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('expected an http:// or https:// URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError('expected an http:// or https:// URL.');
  }
  return value;
}
