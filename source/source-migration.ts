/**
 * @module
 * Creates the totesys source schema exactly as the live database declares it, from `source-tables.ts`.
 * Idempotent: running it on a database that already has the schema changes nothing.
 */
import type pg from 'pg';
import {
  SOURCE_ENUMS,
  SOURCE_TABLE_NAMES,
  SOURCE_TABLES,
  type SourceTable,
} from '../core/schema/source-tables.ts';

/** A lock key so two processes migrating the same database at once do not race. */
const MIGRATION_LOCK = 7_316_001;

/** Applies the source DDL: the two enums, then the 11 tables in foreign-key order with their sequences. */
export async function migrateSource(client: pg.ClientBase): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    for (const [name, labels] of Object.entries(SOURCE_ENUMS)) {
      const found = await client.query('SELECT 1 FROM pg_type WHERE typname = $1', [name]);
      if (found.rowCount === 0) {
        const list = labels.map((label) => client.escapeLiteral(label)).join(', ');
        await client.query(`CREATE TYPE ${client.escapeIdentifier(name)} AS ENUM (${list})`);
      }
    }
    for (const name of SOURCE_TABLE_NAMES) {
      for (const statement of tableStatements(SOURCE_TABLES[name], client)) await client.query(statement);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

/** The statements that create one table as Prisma created it: serial-like key, defaults, keys and indexes. */
function tableStatements(table: SourceTable, client: pg.ClientBase): string[] {
  const q = (identifier: string) => client.escapeIdentifier(identifier);
  const sequence = `${table.name}_${table.primaryKey}_seq`;
  const columns = table.columns.map((column) => {
    let definition = `${q(column.name)} ${column.type}${column.nullable ? '' : ' NOT NULL'}`;
    if (column.name === table.primaryKey) definition += ` DEFAULT nextval(${client.escapeLiteral(sequence)})`;
    if (column.name === 'created_at') definition += ' DEFAULT CURRENT_TIMESTAMP';
    return definition;
  });
  const constraints = [
    `CONSTRAINT ${q(`${table.name}_pkey`)} PRIMARY KEY (${q(table.primaryKey)})`,
    ...table.columns.flatMap((column) =>
      column.references
        ? [
            `CONSTRAINT ${q(`${table.name}_${column.name}_fkey`)} FOREIGN KEY (${q(column.name)}) ` +
              `REFERENCES ${q(column.references.table)} (${q(SOURCE_TABLES[column.references.table].primaryKey)}) ` +
              `ON UPDATE CASCADE ON DELETE ${column.references.onDelete}`,
          ]
        : [],
    ),
  ];
  return [
    `CREATE SEQUENCE IF NOT EXISTS ${q(sequence)} AS integer`,
    `CREATE TABLE IF NOT EXISTS ${q(table.name)} (\n  ${[...columns, ...constraints].join(',\n  ')}\n)`,
    `ALTER SEQUENCE ${q(sequence)} OWNED BY ${q(table.name)}.${q(table.primaryKey)}`,
    ...table.columns
      .filter((column) => column.unique)
      .map(
        (column) =>
          `CREATE UNIQUE INDEX IF NOT EXISTS ${q(`${table.name}_${column.name}_key`)} ` +
          `ON ${q(table.name)} (${q(column.name)})`,
      ),
  ];
}
