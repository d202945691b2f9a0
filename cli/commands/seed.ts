/**
 * @module
 * `seed`: fills an empty source with deterministic, realistic totesys data. The work is in
 * `cli/actions/seed.ts`, loaded when the command runs.
 */
import type { Command } from 'commander';
import { positiveNumber, wholeNumber } from '../global-options.ts';

/** Registers `seed`. */
export function register(program: Command): void {
  program
    .command('seed')
    .description(
      'Fill an empty source with deterministic totesys data (loaded with COPY in one transaction).',
    )
    .option(
      '--scale <n>',
      'size: 1 is about the Feb-2024 live data (6.9k sales orders); 100 works too',
      positiveNumber('--scale'),
      1,
    )
    .option('--seed <s>', 'the same seed gives byte-identical data', wholeNumber('--seed'), 1)
    .addHelpText(
      'after',
      '\nExamples:\n  $ totesys-stream seed\n  $ totesys-stream seed --scale 20 --seed 7 --progress\n' +
        '  $ totesys-stream seed --source-url postgres://user@db.example.com/totesys\n',
    )
    .action(async (options: { scale: number; seed: number }, command: Command) => {
      const { runSeedCommand } = await import('../actions/seed.ts');
      await runSeedCommand(options, command);
    });
}
