/**
 * @module
 * `seed`: loads a generated source into empty totesys tables with COPY, in one transaction, and moves the
 * sequences past the loaded ids.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { SOURCE_TABLE_NAMES, SOURCE_TABLES, type SourceTableName } from '../../core/schema/source-tables.ts';
import { assertSourceEmpty } from '../empty-source.ts';
import { syncSequences } from '../table-sequences.ts';
import { type SeedSpec, seedCopyChunks } from './seed-rows.ts';

/** Progress of a running seed, reported after every chunk. */
export interface SeedProgress {
  readonly table: SourceTableName;
  /** Rows loaded so far, all tables together. */
  readonly rows: number;
  readonly elapsedMs: number;
}

/** What a seed loaded. */
export interface SeedResult {
  readonly rows: Record<SourceTableName, number>;
  readonly totalRows: number;
  readonly elapsedMs: number;
}

/** Options of {@link seedSource}. */
export interface SeedOptions extends SeedSpec {
  readonly onProgress?: (progress: SeedProgress) => void;
  /** Aborting stops the seed between chunks; the transaction rolls back and nothing is loaded. */
  readonly signal?: AbortSignal;
}

/** The seed was interrupted (Ctrl-C); nothing was loaded. */
export class SeedInterruptedError extends Error {
  override readonly name = 'SeedInterruptedError';
}

/**
 * Seeds an empty source. Runs in one transaction: a failed or interrupted seed leaves the tables empty.
 * The schema must exist (`migrateSource`).
 */
export async function seedSource(client: pg.ClientBase, options: SeedOptions): Promise<SeedResult> {
  const started = performance.now();
  const rows = Object.fromEntries(SOURCE_TABLE_NAMES.map((name) => [name, 0])) as Record<
    SourceTableName,
    number
  >;
  let total = 0;
  await client.query('BEGIN');
  try {
    await assertSourceEmpty(client, 'seed');
    for (const table of SOURCE_TABLE_NAMES) {
      const columns = SOURCE_TABLES[table].columns
        .map((column) => client.escapeIdentifier(column.name))
        .join(', ');
      const stream = client.query(copyFrom(`COPY ${client.escapeIdentifier(table)} (${columns}) FROM STDIN`));
      const chunks = function* () {
        for (const chunk of seedCopyChunks(table, options)) {
          if (options.signal?.aborted) {
            throw new SeedInterruptedError(
              `Seeding was interrupted while loading ${table}; nothing was loaded.`,
            );
          }
          rows[table] += chunk.rows;
          total += chunk.rows;
          options.onProgress?.({ table, rows: total, elapsedMs: performance.now() - started });
          yield chunk.text;
        }
      };
      await pipeline(Readable.from(chunks(), { objectMode: false }), stream);
    }
    await syncSequences(client, SOURCE_TABLE_NAMES);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return { rows, totalRows: total, elapsedMs: performance.now() - started };
}
