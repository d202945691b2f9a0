/**
 * @module
 * `resnapshot TABLE...`: asks the reader to re-read tables while streaming continues.
 *
 * The request goes into the reader's state store under --data-dir, so it reaches a reader already running in
 * `up` (from another terminal) or the next `up`/`sync`. The reader re-reads each table under a fresh exported
 * snapshot, emits the rows as snapshot reads at that snapshot's exact LSN, and holds watermarks below it until
 * the re-read is shipped, so the warehouse never sees half a re-read.
 */
import type { Command } from 'commander';
import { SOURCE_TABLE_NAMES } from '../../core/schema/source-tables.ts';

/** Registers `resnapshot`. */
export function register(program: Command): void {
  program
    .command('resnapshot')
    .argument('<table...>', `source tables to re-read: ${SOURCE_TABLE_NAMES.join(', ')}`)
    .description(
      'Re-read source tables into the pipeline while streaming continues (served by the running reader).',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ totesys-stream resnapshot design           # while `up` runs in another terminal\n' +
        '  $ totesys-stream resnapshot staff department\n',
    )
    .action(async (tables: string[], _options: unknown, command: Command) => {
      const { runResnapshotCommand } = await import('../actions/resnapshot.ts');
      await runResnapshotCommand(tables, command);
    });
}
