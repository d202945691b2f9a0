/**
 * @module
 * `import --dump FILE`: loads a totesys pg_dump (COPY format) into an empty source.
 */
import { access } from 'node:fs/promises';
import type { Command } from 'commander';
import pg from 'pg';
import { importDump } from '../../source/dump-import/dump-import.ts';
import { migrateSource } from '../../source/source-migration.ts';
import { globalOptions, InvalidOptionError, withRuntime } from '../global-options.ts';
import { progressReporter } from '../progress.ts';

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
      const global = globalOptions(command);
      await access(options.dump).catch((cause: unknown) => {
        throw new InvalidOptionError(`Cannot read the dump file ${options.dump}; check the --dump path.`, {
          cause,
        });
      });
      await withRuntime(
        command,
        async (runtime) => {
          const client = new pg.Client({ connectionString: runtime.sourceUrl });
          await client.connect();
          const progress = progressReporter(global.progress);
          try {
            await migrateSource(client);
            const result = await importDump(client, options.dump, (p) =>
              progress.update(`importing ${p.table}`, p.rows, p.elapsedMs),
            );
            progress.done();
            if (global.json) {
              console.log(JSON.stringify(result, null, 2));
              return;
            }
            const total = Object.values(result.rows).reduce((sum, rows) => sum + rows, 0);
            console.log(
              `Imported ${total.toLocaleString('en-GB')} rows in ${(result.elapsedMs / 1000).toFixed(1)} s.`,
            );
            for (const [table, rows] of Object.entries(result.rows))
              console.log(`  ${table.padEnd(15)} ${rows}`);
            for (const missing of result.missingKeys) {
              console.log(
                `Missing keys: ${missing.count} ${missing.table} row(s) referenced ${missing.parent} ids that ` +
                  `do not exist (${missing.column}, e.g. ${missing.sampleIds.join(', ')}): ` +
                  (missing.action === 'nulled' ? 'loaded with NULL there.' : 'not loaded.'),
              );
            }
            for (const warning of result.warnings) console.log(`Warning: ${warning}`);
          } finally {
            progress.done();
            await client.end();
          }
        },
        { warehouse: false },
      );
    });
}
