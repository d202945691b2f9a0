/**
 * @module
 * `npm run bench -- seed [--scale 20] [--seed 1]`: rows per second loaded by `seed`, beside PostgreSQL's own
 * `COPY FROM` of exactly the same rows, measured in the same run on the same embedded cluster.
 *
 * Method: seed an empty source (generation + COPY, one transaction); dump every table with COPY TO into
 * memory; truncate; load the dumps back with COPY FROM in the same foreign-key order, in one transaction.
 * Both loads hit the same tables with the same keys, indexes and foreign-key checks.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { SOURCE_TABLE_NAMES } from '../core/schema/source-tables.ts';
import { startEmbeddedPostgres } from '../local/embedded-postgres.ts';
import { seedSource } from '../source/seed/seed-source.ts';
import { migrateSource } from '../source/source-migration.ts';

/** Runs the benchmark; prints both rates and their ratio. */
export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { scale: { type: 'string' }, seed: { type: 'string' } } });
  const scale = Number(values.scale ?? '20');
  const seed = Number(values.seed ?? '1');
  const root = await mkdtemp(join(tmpdir(), 'totesys-bench-seed-'));
  await chmod(root, 0o755);
  const cluster = await startEmbeddedPostgres({ dataDir: join(root, 'pg') });
  const client = new pg.Client({ connectionString: cluster.sourceUrl });
  try {
    await client.connect();
    await migrateSource(client);

    const seeded = await seedSource(client, {
      scale,
      seed,
      // Progress only on a terminal: piped benchmark output stays a clean report.
      onProgress: (p) =>
        process.stderr.isTTY ? process.stderr.write(`\rseed: ${p.rows} rows   `) : undefined,
    });
    if (process.stderr.isTTY) process.stderr.write('\n');
    const seedRate = seeded.totalRows / (seeded.elapsedMs / 1000);

    const dumps = new Map<string, Buffer[]>();
    for (const table of SOURCE_TABLE_NAMES) {
      const chunks: Buffer[] = [];
      await pipeline(
        client.query(copyTo(`COPY ${client.escapeIdentifier(table)} TO STDOUT`)),
        new Writable({
          write(chunk: Buffer, _encoding, done) {
            chunks.push(chunk);
            done();
          },
        }),
      );
      dumps.set(table, chunks);
    }
    await client.query(`TRUNCATE ${SOURCE_TABLE_NAMES.map((t) => client.escapeIdentifier(t)).join(', ')}`);
    await client.query('CHECKPOINT');

    const copyStarted = performance.now();
    await client.query('BEGIN');
    for (const table of SOURCE_TABLE_NAMES) {
      await pipeline(
        Readable.from(dumps.get(table) ?? []),
        client.query(copyFrom(`COPY ${client.escapeIdentifier(table)} FROM STDIN`)),
      );
    }
    await client.query('COMMIT');
    const copyMs = performance.now() - copyStarted;
    const copyRate = seeded.totalRows / (copyMs / 1000);

    const bytes = [...dumps.values()].flat().reduce((sum, chunk) => sum + chunk.length, 0);
    console.log(
      `seed benchmark, scale ${scale}, seed ${seed}: ${seeded.totalRows} rows, ${(bytes / 1e6).toFixed(1)} MB as COPY text`,
    );
    console.log(
      `  seed (generate + COPY)   ${(seeded.elapsedMs / 1000).toFixed(2)} s  ${Math.round(seedRate)} rows/s`,
    );
    console.log(`  PostgreSQL COPY FROM     ${(copyMs / 1000).toFixed(2)} s  ${Math.round(copyRate)} rows/s`);
    console.log(`  ratio seed / COPY        ${(seedRate / copyRate).toFixed(2)}x (aim >= 0.5x)`);
  } finally {
    await client.end().catch(() => undefined);
    await cluster.stop();
    await rm(root, { recursive: true, force: true });
    await rm(`${join(root, 'pg')}.password`, { force: true });
  }
}
