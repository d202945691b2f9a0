/**
 * @module
 * What `import` does (its options and help are in `cli/commands/import.ts`).
 */
import { access } from 'node:fs/promises';
import type { Command } from 'commander';
import { createClient } from '../../postgres/connections.ts';
import { importDump } from '../../source/dump-import/dump-import.ts';
import { migrateSource } from '../../source/source-migration.ts';
import { withRuntime } from '../command-runtime.ts';
import { globalOptions, InvalidOptionError } from '../global-options.ts';
import { progressReporter } from '../progress.ts';

/** Imports the dump into the source and prints the rows per table and what was left out. */
export async function runImportCommand(options: { dump: string }, command: Command): Promise<void> {
  const global = globalOptions(command);
  await access(options.dump).catch((cause: unknown) => {
    throw new InvalidOptionError(`Cannot read the dump file ${options.dump}; check the --dump path.`, {
      cause,
    });
  });
  await withRuntime(
    command,
    async (runtime) => {
      const client = createClient({ connectionString: runtime.sourceUrl });
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
        for (const [table, rows] of Object.entries(result.rows)) console.log(`  ${table.padEnd(15)} ${rows}`);
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
}
