/**
 * @module
 * `simulate`: applies live business activity to the source until Ctrl-C (or --duration), then prints what it
 * did. The work is in `cli/actions/simulate.ts`, loaded when the command runs.
 */
import type { Command } from 'commander';
import { positiveNumber, wholeNumber } from '../global-options.ts';

/** Options of `simulate`. */
export interface SimulateOptions {
  rate: number;
  burst?: boolean;
  batchSize: number;
  duration?: number;
  seed: number;
}

/** Registers `simulate`. */
export function register(program: Command): void {
  program
    .command('simulate')
    .description(
      'Apply realistic activity to the source: new orders, payments paid, amendments, edits, designs.',
    )
    .option('--rate <r>', 'changes per second (each in its own transaction)', positiveNumber('--rate'), 20)
    .option('--burst', 'as fast as the source can take, many changes per transaction (benchmarks)')
    .option('--batch-size <n>', 'changes per transaction with --burst', positiveNumber('--batch-size'), 200)
    .option(
      '--duration <s>',
      'stop after this many seconds (default: until Ctrl-C)',
      positiveNumber('--duration'),
    )
    .option('--seed <s>', 'the same seed gives the same sequence of changes', wholeNumber('--seed'), 1)
    .addHelpText(
      'after',
      '\nExamples:\n  $ totesys-stream simulate --rate 50\n  $ totesys-stream simulate --burst --duration 30\n',
    )
    .action(async (options: SimulateOptions, command: Command) => {
      const { runSimulateCommand } = await import('../actions/simulate.ts');
      await runSimulateCommand(options, command);
    });
}
