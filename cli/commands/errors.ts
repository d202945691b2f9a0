/**
 * @module
 * `errors list` and `errors replay`: the failed records under the lake's `errors/` (README, "Bad input flows
 * aside"). The work is in `cli/actions/errors.ts`, loaded when a subcommand runs.
 */
import type { Command } from 'commander';

/** Registers `errors` with its `list` and `replay` subcommands. */
export function register(program: Command): void {
  const errors = program
    .command('errors')
    .description('List the failed records under errors/ with their reasons, or replay them.');
  errors
    .command('list')
    .description('List each error object: table, error type, records and the reason of each.')
    .addHelpText(
      'after',
      '\nExamples:\n  $ totesys-stream errors list\n  $ totesys-stream errors list --json\n',
    )
    .action(async (_options: unknown, command: Command) => {
      const { runErrorsListCommand } = await import('../actions/errors.ts');
      await runErrorsListCommand(command);
    });
  errors
    .command('replay')
    .description(
      'Re-read the source tables of every error object (at a new LSN, so the warehouse loads the rows once) ' +
        'and move the objects to errors-replayed/; rows still bad come back under errors/ with their reason.',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ totesys-stream errors replay   # after fixing the rows at the source\n',
    )
    .action(async (_options: unknown, command: Command) => {
      const { runErrorsReplayCommand } = await import('../actions/errors.ts');
      await runErrorsReplayCommand(command);
    });
}
