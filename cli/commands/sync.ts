/**
 * @module
 * `sync`: run the pipeline until the warehouse has everything the source had committed when sync started,
 * then exit 0 (non-zero with the reason otherwise). The work is in `cli/actions/sync.ts`.
 */
import type { Command } from 'commander';
import { positiveNumber } from '../global-options.ts';

/** Registers `sync`. */
export function register(program: Command): void {
  program
    .command('sync')
    .description(
      "Run the pipeline until the warehouse's cut reaches the source's WAL position at start, then exit.",
    )
    .option('--timeout <s>', 'give up after this many seconds', positiveNumber('--timeout'), 600)
    .addHelpText(
      'after',
      '\nExamples:\n  $ totesys-stream sync\n  $ totesys-stream sync --json --timeout 120\n',
    )
    .action(async (options: { timeout: number }, command: Command) => {
      const { runSyncCommand } = await import('../actions/sync.ts');
      await runSyncCommand(options, command);
    });
}
