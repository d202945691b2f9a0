/**
 * @module
 * `reconcile`: compare the warehouse with the star computed from the source; exit non-zero on any difference.
 * The work is in `cli/actions/reconcile.ts`, loaded when the command runs.
 */
import type { Command } from 'commander';
import { positiveNumber } from '../global-options.ts';

/** Registers `reconcile`. */
export function register(program: Command): void {
  program
    .command('reconcile')
    .description(
      'Compare the warehouse with the star schema computed from the source; non-zero exit on differences.',
    )
    .option('--no-recheck', 'report differences at once, without another sync round')
    .option('--timeout <s>', 'time limit of the re-check sync round', positiveNumber('--timeout'), 300)
    .addHelpText('after', '\nExamples:\n  $ totesys-stream reconcile\n  $ totesys-stream reconcile --json\n')
    .action(async (options: { recheck: boolean; timeout: number }, command: Command) => {
      const { runReconcileCommand } = await import('../actions/reconcile.ts');
      await runReconcileCommand(options, command);
    });
}
