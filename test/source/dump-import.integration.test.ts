import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DumpFormatError, DumpValueError, importDump } from '../../source/dump-import/dump-import.ts';
import { createSourceDatabase, type TestDatabase, withClient } from '../support/test-databases.ts';

const T = '2022-11-03 14:20:49.962';
const U = '2022-11-07 07:55:11.885';

/** A small dump shaped like the public totesys dump: loose DDL, OWNER lines, alphabetical COPY blocks. */
function dump(overrides: Partial<Record<string, string[]>> = {}): string {
  const blocks: Record<string, [string, string[]]> = {
    address: [
      'address_id, address_line_1, address_line_2, district, city, postal_code, country, phone, created_at, last_updated',
      [
        `1\t6826 Herzog Via\tNULL\tAvon\tNew Patienceburgh\t28441\tTurkey\t1803 637401\t${T}\t${T}`,
        `2\t179 Alexie Cliffs\tNULL\tNULL\tAliso Viejo\t99305-7380\tDemocratic People's Republic of Korea\t9621 880720\t${T}\t${T}`,
      ],
    ],
    counterparty: [
      'counterparty_id, counterparty_legal_name, legal_address_id, commercial_contact, delivery_contact, created_at, last_updated',
      [`1\tFahey and Sons\t2\tMicheal Toy\tNULL\t${T}\t${T}`, `2\tGhost Ltd\t99\tA\tB\t${T}\t${T}`],
    ],
    currency: ['currency_id, currency_code, created_at, last_updated', [`1\tGBP\t${T}\t${T}`]],
    department: [
      'department_id, department_name, location, manager, created_at, last_updated',
      [`2\tPurchasing\tManchester\tNaomi Lapaglia\t${T}\t${T}`],
    ],
    design: [
      // The dump orders design's columns differently from the live table: columns map by name.
      'design_id, created_at, last_updated, design_name, file_location, file_name',
      [`8\t${T}\t${T}\tWooden\t/usr\twooden-20220717-npgz.json`],
    ],
    payment: [
      'payment_id, created_at, last_updated, transaction_id, counterparty_id, payment_amount, currency_id, payment_type_id, paid, payment_date, company_ac_number, counterparty_ac_number',
      [
        `2\t${T}\t${U}\t2\t1\t552548.62\t1\t3\tt\t2022-11-04\t67305075\t31622269`,
        `3\t${T}\t${T}\t3\t1\t205952.20\t1\t1\tf\t2022-11-03\t81718079\t47839086`,
        `4\t${T}\t${T}\t4\t2\t10.00\t1\t1\tf\t2022-11-03\t81718079\t47839086`,
      ],
    ],
    payment_type: [
      'payment_type_id, payment_type_name, created_at, last_updated',
      [`1\tSALES_RECEIPT\t${T}\t${T}`, `3\tPURCHASE_PAYMENT\t${T}\t${T}`],
    ],
    purchase_order: [
      'purchase_order_id, created_at, last_updated, staff_id, counterparty_id, item_code, item_quantity, item_unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id',
      [`2\t${T}\t${T}\t1\t1\tZDOI5EA\t371\t361.39\t1\t2022-11-09\t2022-11-04\t1`],
    ],
    sales_order: [
      'sales_order_id, created_at, last_updated, design_id, staff_id, counterparty_id, units_sold, unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id',
      [`1\t${T}\t${T}\t8\t1\t1\t84754\t2.43\t1\t2022-11-10\t2022-11-03\t2`],
    ],
    staff: [
      'staff_id, first_name, last_name, department_id, email_address, created_at, last_updated',
      [`1\tJeremie\tFraney\t2\tjeremie.franey@terrifictotes.com\t${T}\t${T}`],
    ],
    transaction: [
      'transaction_id, transaction_type, sales_order_id, purchase_order_id, created_at, last_updated',
      [
        `2\tPURCHASE\t\\N\t2.0\t${T}\t${T}`,
        `3\tSALE\t1.0\t\\N\t${T}\t${T}`,
        // References sales order 77, which the dump lacks.
        `4\tSALE\t77.0\t\\N\t${T}\t${T}`,
      ],
    ],
  };
  const parts = [
    '--\n-- PostgreSQL database dump\n--\n',
    'SET statement_timeout = 0;',
    "SET client_encoding = 'UTF8';",
    "SELECT pg_catalog.set_config('search_path', '', false);",
  ];
  for (const table of Object.keys(blocks)) {
    parts.push(`CREATE TABLE public.${table} (\n    ${table}_id integer\n);\n`);
    parts.push(`ALTER TABLE public.${table} OWNER TO mac;\n`);
  }
  parts.push('COPY public._prisma_migrations (id, checksum) FROM stdin;', 'abc\tdef', '\\.', '');
  for (const [table, [columns, rows]] of Object.entries(blocks)) {
    parts.push(`COPY public.${table} (${columns}) FROM stdin;`, ...(overrides[table] ?? rows), '\\.', '');
  }
  parts.push('--\n-- PostgreSQL database dump complete\n--\n');
  return parts.join('\n');
}

describe('pg_dump import', () => {
  let dir: string;
  const databases: TestDatabase[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'totesys-import-'));
    await chmod(dir, 0o755);
  });
  afterAll(async () => {
    await Promise.all(databases.map((database) => database.drop()));
    await rm(dir, { recursive: true, force: true });
  });

  async function importText(name: string, text: string) {
    const database = await createSourceDatabase('imp');
    databases.push(database);
    const path = join(dir, name);
    await writeFile(path, text);
    return { database, run: () => withClient(database.url, (client) => importDump(client, path)) };
  }

  it('loads a quirky dump: NULL strings, float ids, reordered columns and missing keys', async () => {
    const text = dump();
    const prismaLine =
      text.split('\n').indexOf('COPY public._prisma_migrations (id, checksum) FROM stdin;') + 1;
    const { database, run } = await importText('quirky.sql', text);

    const result = await run();

    expect(result.rows).toEqual({
      address: 2,
      currency: 1,
      department: 1,
      design: 1,
      payment_type: 2,
      counterparty: 1,
      staff: 1,
      sales_order: 1,
      purchase_order: 1,
      transaction: 3,
      payment: 2,
    });
    expect(result.missingKeys).toEqual([
      {
        table: 'counterparty',
        column: 'legal_address_id',
        parent: 'address',
        action: 'skipped',
        count: 1,
        sampleIds: [99],
      },
      {
        table: 'transaction',
        column: 'sales_order_id',
        parent: 'sales_order',
        action: 'nulled',
        count: 1,
        sampleIds: [77],
      },
      {
        table: 'payment',
        column: 'counterparty_id',
        parent: 'counterparty',
        action: 'skipped',
        count: 1,
        sampleIds: [2],
      },
    ]);
    expect(result.warnings).toEqual([
      `Ignored the COPY block of public._prisma_migrations (line ${prismaLine}): not a totesys table.`,
    ]);
    const loaded = await withClient(database.url, async (client) => ({
      address: (
        await client.query('SELECT address_id, address_line_2, district, country FROM address ORDER BY 1')
      ).rows,
      transaction: (
        await client.query(
          'SELECT transaction_id, sales_order_id, purchase_order_id FROM transaction ORDER BY 1',
        )
      ).rows,
      design: (await client.query('SELECT design_name, file_name FROM design')).rows,
      payment: (
        await client.query(
          'SELECT payment_id, payment_amount, paid, last_updated::text FROM payment ORDER BY 1',
        )
      ).rows,
      next: (await client.query("SELECT nextval('transaction_transaction_id_seq')::int AS id")).rows[0],
    }));
    expect(loaded.address).toEqual([
      { address_id: 1, address_line_2: null, district: 'Avon', country: 'Turkey' },
      {
        address_id: 2,
        address_line_2: null,
        district: null,
        country: "Democratic People's Republic of Korea",
      },
    ]);
    expect(loaded.transaction).toEqual([
      { transaction_id: 2, sales_order_id: null, purchase_order_id: 2 },
      { transaction_id: 3, sales_order_id: 1, purchase_order_id: null },
      { transaction_id: 4, sales_order_id: null, purchase_order_id: null },
    ]);
    expect(loaded.design).toEqual([{ design_name: 'Wooden', file_name: 'wooden-20220717-npgz.json' }]);
    expect(loaded.payment).toEqual([
      { payment_id: 2, payment_amount: '552548.62', paid: true, last_updated: U },
      { payment_id: 3, payment_amount: '205952.20', paid: false, last_updated: T },
    ]);
    expect(loaded.next).toEqual({ id: 5 });
  });

  it('keeps the string NULL in a NOT NULL text column, where it is a real value', async () => {
    const { database, run } = await importText(
      'null-name.sql',
      dump({ design: [`8\t${T}\t${T}\tNULL\t/usr\twooden-20220717-npgz.json`] }),
    );

    await run();

    const names = await withClient(database.url, (client) => client.query('SELECT design_name FROM design'));
    expect(names.rows).toEqual([{ design_name: 'NULL' }]);
  });

  it('rejects an order id with a fraction, naming the table, column and line, and loads nothing', async () => {
    const { database, run } = await importText(
      'fraction.sql',
      dump({ transaction: [`2\tPURCHASE\t\\N\t2.5\t${T}\t${T}`] }),
    );

    const error = await run().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(DumpValueError);
    expect((error as Error).message).toMatch(
      /^transaction\.purchase_order_id at dump line \d+ is '2\.5', not a whole number/,
    );
    const count = await withClient(database.url, (client) =>
      client.query('SELECT count(*)::int AS n FROM address'),
    );
    expect(count.rows[0]).toEqual({ n: 0 });
  });

  it('rejects money with more than 2 decimals instead of rounding it', async () => {
    const { run } = await importText(
      'decimals.sql',
      dump({ sales_order: [`1\t${T}\t${T}\t8\t1\t1\t84754\t2.435\t1\t2022-11-10\t2022-11-03\t2`] }),
    );

    await expect(run()).rejects.toThrow(
      /sales_order\.unit_price at dump line \d+ has more than 2 decimals \('2\.435'\)/,
    );
  });

  it('reports a truncated COPY block and a row with the wrong number of fields', async () => {
    const truncated = await importText(
      'truncated.sql',
      dump().replace(/\\\.\n\n--\n-- PostgreSQL database dump complete[\s\S]*$/, ''),
    );
    const short = await importText('short.sql', dump({ currency: [`1\tGBP\t${T}`] }));

    await expect(truncated.run()).rejects.toThrow(DumpFormatError);
    await expect(truncated.run()).rejects.toThrow(
      /COPY block of transaction starting at line \d+ .* never ends/,
    );
    await expect(short.run()).rejects.toThrow(/has 3 fields, but the COPY of currency lists 4 columns/);
  });

  it('refuses what is not a plain dump of totesys, saying what to do, and loads nothing', async () => {
    const readme = await importText('README.md', '# totesys\n\nA COPY of nothing here.\n');
    const random = await importText('random.bin', '');
    await writeFile(join(dir, 'random.bin'), randomBytes(4096));
    // The header pg_dump -Fc writes: the magic, the archive version, int and offset sizes, then the format.
    const custom = await importText('custom.dump', '');
    await writeFile(
      join(dir, 'custom.dump'),
      Buffer.concat([Buffer.from('PGDMP'), Buffer.from([1, 16, 0, 4, 8, 1]), randomBytes(200)]),
    );

    await expect(readme.run()).rejects.toThrow(
      /README\.md has no COPY data for any totesys table, so it is not a plain-format pg_dump/,
    );
    await expect(random.run()).rejects.toThrow(/random\.bin has no COPY data for any totesys table/);
    await expect(custom.run()).rejects.toThrow(
      /custom\.dump is a pg_dump archive in custom format \(it starts with PGDMP\); this importer reads plain SQL dumps\. Dump with `pg_dump --format=plain`.*pg_restore --data-only -f totesys\.sql/,
    );
    const loaded = await withClient(readme.database.url, (c) =>
      c.query('SELECT count(*)::int AS n FROM currency'),
    );
    expect(loaded.rows[0]).toEqual({ n: 0 });
  });
});
