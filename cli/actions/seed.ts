/**
 * @module
 * What `seed` does (its options and help are in `cli/commands/seed.ts`).
 */
import type { Command } from 'commander';
import { createClient } from '../../postgres/connections.ts';
import { seedSource } from '../../source/seed/seed-source.ts';
import { migrateSource } from '../../source/source-migration.ts';
import { withRuntime } from '../command-runtime.ts';
import { globalOptions } from '../global-options.ts';
import { progressReporter } from '../progress.ts';

/** Seeds the source and prints the rows per table. */
export async function runSeedCommand(
  options: { scale: number; seed: number },
  command: Command,
): Promise<void> {
  const global = globalOptions(command);
  await withRuntime(
    command,
    async (runtime) => {
      const client = createClient({ connectionString: runtime.sourceUrl });
      await client.connect();
      const progress = progressReporter(global.progress);
      try {
        await migrateSource(client);
        const result = await seedSource(client, {
          scale: options.scale,
          seed: options.seed,
          onProgress: (p) => progress.update(`seeding ${p.table}`, p.rows, p.elapsedMs),
        });
        progress.done();
        const seconds = result.elapsedMs / 1000;
        if (global.json) {
          console.log(JSON.stringify({ ...result, rowsPerSecond: result.totalRows / seconds }, null, 2));
        } else {
          console.log(
            `Seeded ${result.totalRows.toLocaleString('en-GB')} rows in ${seconds.toFixed(1)} s ` +
              `(${Math.round(result.totalRows / seconds).toLocaleString('en-GB')} rows/s; scale ${options.scale}, seed ${options.seed}).`,
          );
          for (const [table, rows] of Object.entries(result.rows))
            console.log(`  ${table.padEnd(15)} ${rows}`);
        }
      } finally {
        progress.done();
        await client.end();
      }
    },
    { warehouse: false },
  );
}
