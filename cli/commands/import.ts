/**
 * @module
 * `import --dump FILE`: loads a totesys pg_dump (COPY format) into an empty source. The work is in
 * `cli/actions/import.ts`, loaded when the command runs.
 */
import type { Command } from 'commander';

/** Registers `import`. */
export function register(program: Command): void {
  program
    .command('import')
    .description('Load a totesys pg_dump in COPY format into an empty source (tables in foreign-key order).')
    .requiredOption('--dump <file>', 'the pg_dump file (plain format with COPY ... FROM stdin blocks)')
    .addHelpText(
      'after',
      '\nQuirks handled: the string NULL in nullable columns, ids written as floats (2.0), rows referencing\n' +
        'missing ids (nullable references become NULL, other rows are skipped; both are reported).\n' +
        '\nExamples:\n  $ totesys-stream import --dump totesys.sql\n  $ totesys-stream import --dump totesys.sql --json\n',
    )
    .action(async (options: { dump: string }, command: Command) => {
      const { runImportCommand } = await import('../actions/import.ts');
      await runImportCommand(options, command);
    });
}
