import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOURCE_TABLE_NAMES } from '../../core/schema/source-tables.ts';
import { SourceNotEmptyError } from '../../source/empty-source.ts';
import { seedSource } from '../../source/seed/seed-source.ts';
import { createSourceDatabase, type TestDatabase, withClient } from '../support/test-databases.ts';

async function tableHashes(url: string): Promise<Record<string, string>> {
  return withClient(url, async (client) => {
    const hashes: Record<string, string> = {};
    for (const table of SOURCE_TABLE_NAMES) {
      const hash = createHash('sha256');
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          done();
        },
      });
      const key = table === 'transaction' ? 'transaction_id' : `${table}_id`;
      await pipeline(
        client.query(
          copyTo(`COPY (SELECT * FROM ${client.escapeIdentifier(table)} ORDER BY ${key}) TO STDOUT`),
        ),
        sink,
      );
      hashes[table] = hash.digest('hex');
    }
    return hashes;
  });
}

async function rows<T extends pg.QueryResultRow>(client: pg.Client, sql: string): Promise<T[]> {
  return (await client.query<T>(sql)).rows;
}

describe('seed generator', () => {
  let seeded: TestDatabase;
  const databases: TestDatabase[] = [];
  beforeAll(async () => {
    seeded = await createSourceDatabase('seed');
    databases.push(seeded);
    await withClient(seeded.url, (client) => seedSource(client, { scale: 1, seed: 42 }));
  });
  afterAll(async () => {
    await Promise.all(databases.map((database) => database.drop()));
  });

  it('gives byte-identical tables for the same seed and different ones for another seed', async () => {
    const [a, b, c] = await Promise.all([
      createSourceDatabase('seeda'),
      createSourceDatabase('seedb'),
      createSourceDatabase('seedc'),
    ]);
    databases.push(a, b, c);

    await withClient(a.url, (client) => seedSource(client, { scale: 0.1, seed: 7 }));
    await withClient(b.url, (client) => seedSource(client, { scale: 0.1, seed: 7 }));
    await withClient(c.url, (client) => seedSource(client, { scale: 0.1, seed: 8 }));

    const [hashA, hashB, hashC] = await Promise.all([
      tableHashes(a.url),
      tableHashes(b.url),
      tableHashes(c.url),
    ]);
    expect(hashA).toEqual(hashB);
    expect(hashC['sales_order']).not.toBe(hashA['sales_order']);
    expect(hashC['staff']).not.toBe(hashA['staff']);
    expect(hashC['currency']).toBe(hashA['currency']);
  });

  it('loads the Feb-2024 sizes at scale 1', async () => {
    const counts = await withClient(seeded.url, (client) =>
      rows<{ table: string; n: number }>(
        client,
        SOURCE_TABLE_NAMES.map((t) => `SELECT '${t}' AS table, count(*)::int AS n FROM "${t}"`).join(
          ' UNION ALL ',
        ),
      ),
    );

    expect(Object.fromEntries(counts.map((row) => [row.table, row.n]))).toEqual({
      address: 30,
      counterparty: 20,
      currency: 3,
      department: 8,
      design: 324,
      staff: 20,
      payment_type: 4,
      sales_order: 6941,
      purchase_order: 2958,
      transaction: 9899,
      payment: 9899,
    });
  });

  it('copies the static tables exactly, including department 4 in "Leds" and nobody in department 1', async () => {
    const result = await withClient(seeded.url, async (client) => ({
      currency: await rows(client, 'SELECT currency_id, currency_code FROM currency ORDER BY 1'),
      paymentType: await rows(
        client,
        'SELECT payment_type_id, payment_type_name FROM payment_type ORDER BY 1',
      ),
      department: await rows(
        client,
        'SELECT department_id, department_name, location, manager FROM department ORDER BY 1',
      ),
      staffInSales: await rows(client, 'SELECT staff_id FROM staff WHERE department_id = 1'),
      badEmails: await rows(
        client,
        "SELECT staff_id FROM staff WHERE email_address <> lower(regexp_replace(first_name, '[^A-Za-z]', '', 'g')) || '.' || lower(regexp_replace(last_name, '[^A-Za-z]', '', 'g')) || '@terrifictotes.com'",
      ),
    }));

    expect(result.currency).toEqual([
      { currency_id: 1, currency_code: 'GBP' },
      { currency_id: 2, currency_code: 'USD' },
      { currency_id: 3, currency_code: 'EUR' },
    ]);
    expect(result.paymentType.map((row) => row['payment_type_name'])).toEqual([
      'SALES_RECEIPT',
      'SALES_REFUND',
      'PURCHASE_PAYMENT',
      'PURCHASE_REFUND',
    ]);
    expect(result.department).toEqual([
      { department_id: 1, department_name: 'Sales', location: 'Manchester', manager: 'Richard Roma' },
      { department_id: 2, department_name: 'Purchasing', location: 'Manchester', manager: 'Naomi Lapaglia' },
      { department_id: 3, department_name: 'Production', location: 'Leeds', manager: 'Chester Ming' },
      { department_id: 4, department_name: 'Dispatch', location: 'Leds', manager: 'Mark Hanna' },
      { department_id: 5, department_name: 'Finance', location: 'Manchester', manager: 'Jordan Belfort' },
      { department_id: 6, department_name: 'Facilities', location: 'Manchester', manager: 'Shelley Levene' },
      { department_id: 7, department_name: 'Communications', location: 'Leeds', manager: 'Ann Blake' },
      { department_id: 8, department_name: 'HR', location: 'Leeds', manager: 'James Link' },
    ]);
    expect(result.staffInSales).toEqual([]);
    expect(result.badEmails).toEqual([]);
  });

  it('makes addresses with 20 null second lines, 14 null districts and apostrophes, and shared legal addresses', async () => {
    const result = await withClient(seeded.url, async (client) => ({
      address: (
        await rows<{ line2: number; district: number; apostrophes: number }>(
          client,
          `SELECT count(*) FILTER (WHERE address_line_2 IS NULL)::int AS line2,
                  count(*) FILTER (WHERE district IS NULL)::int AS district,
                  count(*) FILTER (WHERE country LIKE '%''%' OR address_line_1 LIKE '%''%')::int AS apostrophes
             FROM address`,
        )
      )[0],
      shared: await rows(
        client,
        'SELECT legal_address_id FROM counterparty GROUP BY legal_address_id HAVING count(*) > 1',
      ),
    }));

    expect(result.address).toMatchObject({ line2: 20, district: 14 });
    expect(result.address?.apostrophes).toBeGreaterThan(0);
    expect(result.shared.length).toBeGreaterThan(0);
  });

  it('gives every order exactly one transaction and one payment, created together and consistent with it', async () => {
    const problems = await withClient(seeded.url, (client) =>
      rows<{ kind: string; n: number }>(
        client,
        `WITH orders AS (
           SELECT 'SALE' AS type, o.created_at, o.counterparty_id, o.currency_id, o.agreed_payment_date,
                  o.units_sold * o.unit_price AS amount, 1 AS payment_type, t.transaction_id, t.created_at AS t_created
             FROM sales_order o LEFT JOIN transaction t ON t.sales_order_id = o.sales_order_id
           UNION ALL
           SELECT 'PURCHASE', o.created_at, o.counterparty_id, o.currency_id, o.agreed_payment_date,
                  o.item_quantity * o.item_unit_price, 3, t.transaction_id, t.created_at
             FROM purchase_order o LEFT JOIN transaction t ON t.purchase_order_id = o.purchase_order_id),
         joined AS (
           SELECT o.*, p.payment_id, p.created_at AS p_created, p.counterparty_id AS p_counterparty,
                  p.currency_id AS p_currency, p.payment_date, p.payment_amount, p.payment_type_id
             FROM orders o LEFT JOIN payment p ON p.transaction_id = o.transaction_id)
         SELECT 'no transaction or payment' AS kind, count(*)::int AS n FROM joined WHERE payment_id IS NULL
         UNION ALL SELECT 'created apart', count(*)::int FROM joined WHERE t_created <> created_at OR p_created <> created_at
         UNION ALL SELECT 'payment mismatch', count(*)::int FROM joined
           WHERE p_counterparty <> counterparty_id OR p_currency <> currency_id OR payment_date <> agreed_payment_date
              OR payment_type_id <> payment_type
         UNION ALL SELECT 'amount', count(*)::int FROM joined WHERE payment_amount <> round(amount, 2)
         UNION ALL SELECT 'orphan transactions', count(*)::int FROM transaction
           WHERE (sales_order_id IS NULL) = (purchase_order_id IS NULL)`,
      ),
    );

    expect(problems).toEqual([
      { kind: 'no transaction or payment', n: 0 },
      { kind: 'created apart', n: 0 },
      { kind: 'payment mismatch', n: 0 },
      { kind: 'amount', n: 0 },
      { kind: 'orphan transactions', n: 0 },
    ]);
  });

  it('creates orders on weekdays between 08:00 and 18:59 with milliseconds, about 2.3 sales per purchase', async () => {
    const result = await withClient(
      seeded.url,
      async (client) =>
        (
          await rows<{ outside: number; first: string; ms: number; ratio: number }>(
            client,
            `SELECT count(*) FILTER (WHERE extract(isodow FROM created_at) > 5 OR extract(hour FROM created_at) NOT BETWEEN 8 AND 18)::int AS outside,
                  min(created_at)::date::text AS first,
                  count(DISTINCT (extract(milliseconds FROM created_at)::numeric % 1000))::int AS ms,
                  (SELECT count(*) FROM sales_order)::float / (SELECT count(*) FROM purchase_order) AS ratio
             FROM (SELECT created_at FROM sales_order UNION ALL SELECT created_at FROM purchase_order) o`,
          )
        )[0],
    );

    expect(result).toMatchObject({ outside: 0, first: '2022-11-03' });
    expect(result?.ms).toBeGreaterThan(500);
    expect(result?.ratio).toBeCloseTo(2.35, 1);
  });

  it('turns about 60% of payments paid in a 07:55:11 batch on or after the payment date', async () => {
    const result = await withClient(
      seeded.url,
      async (client) =>
        (
          await rows<{ share: number; bad_time: number; early: number; unpaid_changed: number }>(
            client,
            `SELECT avg(paid::int)::float AS share,
                  count(*) FILTER (WHERE paid AND to_char(last_updated, 'HH24:MI:SS') <> '07:55:11')::int AS bad_time,
                  count(*) FILTER (WHERE paid AND (last_updated::date < payment_date::date OR last_updated <= created_at))::int AS early,
                  count(*) FILTER (WHERE NOT paid AND last_updated <> created_at)::int AS unpaid_changed
             FROM payment`,
          )
        )[0],
    );

    expect(result).toMatchObject({ bad_time: 0, early: 0, unpaid_changed: 0 });
    expect(result?.share).toBeGreaterThan(0.5);
    expect(result?.share).toBeLessThan(0.7);
  });

  it('grows designs over time with material names and dated file names, used only once they exist', async () => {
    const result = await withClient(
      seeded.url,
      async (client) =>
        (
          await rows<{ names: number; bad_files: number; early_use: number; later: number }>(
            client,
            `SELECT (SELECT count(DISTINCT design_name)::int FROM design) AS names,
                  (SELECT count(*)::int FROM design
                    WHERE file_name !~ ('^' || lower(design_name) || '-[0-9]{8}-[a-z0-9]{4}\\.json$')
                       OR file_location !~ '^/') AS bad_files,
                  (SELECT count(*)::int FROM sales_order s JOIN design d USING (design_id)
                    WHERE d.created_at > s.created_at) AS early_use,
                  (SELECT count(*)::int FROM design WHERE created_at > '2023-06-01') AS later`,
          )
        )[0],
    );

    expect(result).toMatchObject({ names: 12, bad_files: 0, early_use: 0 });
    expect(result?.later).toBeGreaterThan(50);
  });

  it('sets the sequences past the loaded ids and refuses to seed a source that has rows', async () => {
    const next = await withClient(
      seeded.url,
      async (client) =>
        (await rows<{ id: number }>(client, "SELECT nextval('payment_payment_id_seq')::int AS id"))[0]?.id,
    );

    expect(next).toBe(9900);
    await expect(
      withClient(seeded.url, (client) => seedSource(client, { scale: 1, seed: 42 })),
    ).rejects.toThrow(SourceNotEmptyError);
  });
});
