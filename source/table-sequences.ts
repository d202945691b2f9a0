/**
 * @module
 * Moves the source sequences past the ids a bulk load wrote, so the next INSERT (the simulator, the real
 * application) gets a fresh id instead of a duplicate key error.
 */
import type pg from 'pg';
import { SOURCE_TABLES, type SourceTableName } from '../core/schema/source-tables.ts';

/** Sets `<table>_<pk>_seq` of each table to its largest id (or resets it when the table is empty). */
export async function syncSequences(
  client: pg.ClientBase,
  tables: readonly SourceTableName[],
): Promise<void> {
  for (const name of tables) {
    const { primaryKey } = SOURCE_TABLES[name];
    const table = client.escapeIdentifier(name);
    const key = client.escapeIdentifier(primaryKey);
    await client.query(
      `SELECT setval($1::regclass, COALESCE((SELECT max(${key}) FROM ${table}), 1),
                     (SELECT max(${key}) FROM ${table}) IS NOT NULL)`,
      [`${name}_${primaryKey}_seq`],
    );
  }
}
