/**
 * @module
 * `status`: row counts per source table, the source WAL position, the slot, lag per stage, the warehouse cut
 * and the error objects waiting. Works while `up` runs in another terminal with the same --data-dir (it
 * attaches to the running cluster). The work is in `cli/actions/status.ts`, loaded when the command runs.
 */
import type { Command } from 'commander';

/** Registers `status`. */
export function register(program: Command): void {
  program
    .command('status')
    .description(
      'Show the source (rows per table, WAL position, slots), lag per stage, the warehouse cut and waiting errors.',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ totesys-stream status\n  $ totesys-stream status --json | jq .source.lsn\n',
    )
    .action(async (_options: unknown, command: Command) => {
      const { runStatusCommand } = await import('../actions/status.ts');
      await runStatusCommand(command);
    });
}
