/**
 * @module
 * `seed`: fills an empty source with deterministic, realistic totesys data.
 */
import type { Command } from 'commander';
import pg from 'pg';
import { seedSource } from '../../source/seed/seed-source.ts';
import { migrateSource } from '../../source/source-migration.ts';
import { globalOptions, positiveNumber, wholeNumber, withRuntime } from '../global-options.ts';
import { progressReporter } from '../progress.ts';

/** Registers `seed`. */
export function register(program: Command): void {
  program
    .command('seed')
    .description(
      'Fill an empty source with deterministic totesys data (loaded with COPY in one transaction).',
    )
    .option(
      '--scale <n>',
      'size: 1 is about the Feb-2024 live data (6.9k sales orders); 100 works too',
      positiveNumber('--scale'),
      1,
    )
    .option('--seed <s>', 'the same seed gives byte-identical data', wholeNumber('--seed'), 1)
    .addHelpText(
      'after',
      '\nExamples:\n  $ totesys-stream seed\n  $ totesys-stream seed --scale 20 --seed 7 --progress\n' +
        '  $ totesys-stream seed --source-url postgres://user@db.example.com/totesys\n',
    )
    .action(async (options: { scale: number; seed: number }, command: Command) => {
      const global = globalOptions(command);
      await withRuntime(
        command,
        async (runtime) => {
          const client = new pg.Client({ connectionString: runtime.sourceUrl });
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
    });
}
