/**
 * @module
 * Whether the source is empty: `seed` and `import` load fixed ids with COPY, so they only load into empty
 * tables, and `up` seeds the embedded source only when it is empty.
 */
import type pg from 'pg';
import { SOURCE_TABLE_NAMES, type SourceTableName } from '../core/schema/source-tables.ts';

/** The source already holds rows, so a bulk load of fixed ids would collide with them. */
export class SourceNotEmptyError extends Error {
  override readonly name = 'SourceNotEmptyError';
}

/** The first source table holding any row, or undefined when all are empty. */
export async function firstNonEmptyTable(client: pg.ClientBase): Promise<SourceTableName | undefined> {
  for (const table of SOURCE_TABLE_NAMES) {
    const result = await client.query(`SELECT 1 FROM ${client.escapeIdentifier(table)} LIMIT 1`);
    if ((result.rowCount ?? 0) > 0) return table;
  }
  return undefined;
}

/** Refuses a bulk load (`what`: seed or import) into a source that already has rows, naming the table. */
export async function assertSourceEmpty(client: pg.ClientBase, what: 'seed' | 'import'): Promise<void> {
  const occupied = await firstNonEmptyTable(client);
  if (occupied) {
    throw new SourceNotEmptyError(
      `The source table ${occupied} already has rows; ${what} loads only into an empty source. ` +
        'Use a fresh --data-dir or an empty database.',
    );
  }
}
