import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOURCE_ENUMS, SOURCE_TABLE_NAMES, SOURCE_TABLES } from '../../core/schema/source-tables.ts';
import { migrateSource } from '../../source/source-migration.ts';
import { createSourceDatabase, type TestDatabase, withClient } from '../support/test-databases.ts';

describe('source schema migration', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createSourceDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  it('creates the 11 tables with the live column types, nullability and order', async () => {
    // Prepare / Act: the migration ran in beforeAll.
    const rows = await withClient(database.url, async (client) => {
      const result = await client.query<{
        table_name: string;
        column_name: string;
        type: string;
        nullable: boolean;
      }>(
        `SELECT c.relname AS table_name, a.attname AS column_name,
                format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
          ORDER BY c.relname, a.attnum`,
      );
      return result.rows;
    });
    // Assess
    const actual = Object.fromEntries(
      SOURCE_TABLE_NAMES.map((table) => [
        table,
        rows
          .filter((row) => row.table_name === table)
          .map((row) => [row.column_name, row.type, row.nullable]),
      ]),
    );
    const expected = Object.fromEntries(
      SOURCE_TABLE_NAMES.map((table) => [
        table,
        SOURCE_TABLES[table].columns.map((column) => [
          column.name,
          column.type
            .replace('timestamp(3)', 'timestamp(3) without time zone')
            .replace('varchar(3)', 'character varying(3)'),
          column.nullable,
        ]),
      ]),
    );
    expect(actual).toEqual(expected);
    expect(new Set(rows.map((row) => row.table_name))).toEqual(new Set(SOURCE_TABLE_NAMES));
  });

  it('declares primary keys, foreign keys with their ON DELETE rules, and the unique indexes', async () => {
    const constraints = await withClient(database.url, async (client) => {
      const result = await client.query<{ name: string; definition: string }>(
        `SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint
          WHERE connamespace = 'public'::regnamespace ORDER BY conname`,
      );
      return Object.fromEntries(result.rows.map((row) => [row.name, row.definition]));
    });
    const indexes = await withClient(database.url, async (client) => {
      const result = await client.query<{ indexname: string }>(
        "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT LIKE '%pkey' ORDER BY 1",
      );
      return result.rows.map((row) => row.indexname);
    });

    expect(constraints['sales_order_pkey']).toBe('PRIMARY KEY (sales_order_id)');
    expect(constraints['sales_order_design_id_fkey']).toBe(
      'FOREIGN KEY (design_id) REFERENCES design(design_id) ON UPDATE CASCADE ON DELETE RESTRICT',
    );
    expect(constraints['transaction_sales_order_id_fkey']).toBe(
      'FOREIGN KEY (sales_order_id) REFERENCES sales_order(sales_order_id) ON UPDATE CASCADE ON DELETE SET NULL',
    );
    const foreignKeys = SOURCE_TABLE_NAMES.flatMap((table) =>
      SOURCE_TABLES[table].columns
        .filter((column) => column.references)
        .map((column) => `${table}_${column.name}_fkey`),
    );
    expect(foreignKeys.every((name) => constraints[name]?.startsWith('FOREIGN KEY'))).toBe(true);
    expect(SOURCE_TABLE_NAMES.every((table) => constraints[`${table}_pkey`]?.startsWith('PRIMARY KEY'))).toBe(
      true,
    );
    expect(indexes).toEqual([
      'payment_transaction_id_key',
      'transaction_purchase_order_id_key',
      'transaction_sales_order_id_key',
    ]);
  });

  it('creates the enums and sequences owned by each primary key', async () => {
    const { enums, sequences } = await withClient(database.url, async (client) => {
      const enumRows = await client.query<{ name: string; labels: string[] }>(
        `SELECT t.typname AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
           FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname`,
      );
      const sequenceRows = await client.query<{ seq: string }>(
        "SELECT pg_get_serial_sequence(quote_ident(table_name), column_name) AS seq FROM (VALUES ('address','address_id'),('payment','payment_id')) v(table_name, column_name)",
      );
      return { enums: enumRows.rows, sequences: sequenceRows.rows.map((row) => row.seq) };
    });
    expect(Object.fromEntries(enums.map((row) => [row.name, row.labels]))).toEqual(SOURCE_ENUMS);
    expect(sequences).toEqual(['public.address_address_id_seq', 'public.payment_payment_id_seq']);
  });

  it('is idempotent: migrating twice changes nothing', async () => {
    await withClient(database.url, async (client) => {
      await client.query("INSERT INTO currency (currency_code, last_updated) VALUES ('GBP', now())");
      await migrateSource(client);
      const count = await client.query('SELECT count(*)::int AS n FROM currency');
      expect(count.rows[0].n).toBe(1);
    });
  });
});
