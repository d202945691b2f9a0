/**
 * @module
 * `compact`: merge the lake's small objects that the warehouse's cut already covers, then delete them. The
 * work is in `cli/actions/compact.ts`.
 */
import type { Command } from 'commander';

/** Registers `compact`. */
export function register(program: Command): void {
  program
    .command('compact')
    .description(
      "Merge the small Parquet objects of each lake partition that the warehouse's cut covers into large ones, " +
        'then delete the originals (after a grace period for readers still reading them).',
    )
    .addHelpText(
      'after',
      '\nRuns beside a running `up` (one compaction at a time per data dir); `up` also compacts every minute.\n' +
        '\nExamples:\n  $ totesys-stream compact\n  $ totesys-stream compact --json\n',
    )
    .action(async (_options: unknown, command: Command) => {
      const { runCompactCommand } = await import('../actions/compact.ts');
      await runCompactCommand(command);
    });
}
