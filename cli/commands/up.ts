/**
 * @module
 * `up`: the whole local pipeline in one command. Starts (or attaches to) the databases, serves the dashboard
 * and API (printing their URL first), migrates both databases, seeds an empty source, then runs the reader,
 * local Firehose, loader and simulator until Ctrl-C, printing a one-line status every few seconds. The work is
 * in `cli/actions/up.ts`, loaded when the command runs.
 */
import type { Command } from 'commander';
import { positiveNumber, wholeNumber } from '../global-options.ts';
import { addHttpOptions, type HttpOptions } from '../http-options.ts';

/** Options of `up`. */
export interface UpOptions extends HttpOptions {
  /** False with --no-http: no dashboard or API. */
  readonly http: boolean;
  readonly rate: number;
  readonly simulate: boolean;
  /** False with --no-market: no collectors on the synthetic market. */
  readonly market: boolean;
  /** False with --no-forecast: the gold-price model does not run on new market days. */
  readonly forecast: boolean;
  readonly scale: number;
  readonly seed: number;
  readonly statusInterval: number;
}

/** Registers `up`. */
export function register(program: Command): void {
  addHttpOptions(program.command('up'))
    .description(
      'Run everything locally: databases, schema, seed data when the embedded source is empty, live activity, the pipeline. Ctrl-C stops it.',
    )
    .option('--rate <r>', 'simulated changes per second', positiveNumber('--rate'), 20)
    .option('--no-simulate', 'do not run the live simulator')
    .option('--no-market', 'do not collect market data from the built-in synthetic market')
    .option('--no-forecast', 'do not run the gold-price model on each new market day')
    .option(
      '--scale <n>',
      'seed size when the source is empty (1 = Feb-2024 sizes)',
      positiveNumber('--scale'),
      1,
    )
    .option('--seed <s>', 'seed for the generated data and the simulator', wholeNumber('--seed'), 1)
    .option('--status-interval <s>', 'seconds between status lines', positiveNumber('--status-interval'), 5)
    .option('--no-http', 'do not serve the dashboard and API')
    .addHelpText(
      'after',
      '\nExamples:\n  $ totesys-stream up\n  $ totesys-stream up --rate 100 --scale 5\n' +
        '  $ totesys-stream up --source-url postgres://user@db.example.com/totesys --warehouse-url postgres://user@wh/warehouse\n',
    )
    .action(async (options: UpOptions, command: Command) => {
      const { runUpCommand } = await import('../actions/up.ts');
      await runUpCommand(options, command);
    });
}
