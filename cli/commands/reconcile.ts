/**
 * @module
 * `reconcile`: compare the warehouse with the star computed from the source as of the warehouse's cut (exact
 * while the pipeline runs, see local/reconcile/reconcile.ts); exit non-zero on any difference. It brings the
 * warehouse to the source's position first: it runs the pipeline like `sync`, or waits for a running `up`.
 * The work is in `cli/actions/reconcile.ts`, loaded when the command runs.
 */
import type { Command } from 'commander';
import { positiveNumber } from '../global-options.ts';

/** Registers `reconcile`. */
export function register(program: Command): void {
  program
    .command('reconcile')
    .description(
      "Compare the warehouse with the star schema computed from the source as of the warehouse's cut; " +
        'non-zero exit on differences.',
    )
    .option(
      '--timeout <s>',
      "time limit for bringing the warehouse's cut to the source's position",
      positiveNumber('--timeout'),
      300,
    )
    .addHelpText('after', '\nExamples:\n  $ totesys-stream reconcile\n  $ totesys-stream reconcile --json\n')
    .action(async (options: { timeout: number }, command: Command) => {
      const { runReconcileCommand } = await import('../actions/reconcile.ts');
      await runReconcileCommand(options, command);
    });
}
