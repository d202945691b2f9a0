import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateWarehouse } from '../../warehouse/warehouse-migration.ts';
import { createTestDatabase, type TestDatabase, withClient } from '../support/test-databases.ts';

type Column = [name: string, type: string, nullable: boolean];

/** The contract of the market tables, written out independently of the schema module. */
const EXPECTED: Record<string, { columns: Column[]; key: string[] }> = {
  fx_rate: {
    columns: [
      ['rate_date', 'date', false],
      ['base_currency', 'character varying', false],
      ['quote_currency', 'character varying', false],
      ['rate', 'numeric(18,8)', false],
      ['source', 'character varying', false],
      ['fetched_at', 'timestamp(3) without time zone', false],
    ],
    key: ['source', 'base_currency', 'quote_currency', 'rate_date'],
  },
  market_price: {
    columns: [
      ['price_date', 'date', false],
      ['symbol', 'character varying', false],
      ['currency', 'character varying', false],
      ['open', 'numeric(18,8)', true],
      ['high', 'numeric(18,8)', true],
      ['low', 'numeric(18,8)', true],
      ['close', 'numeric(18,8)', false],
      ['volume', 'bigint', true],
      ['source', 'character varying', false],
      ['fetched_at', 'timestamp(3) without time zone', false],
    ],
    key: ['source', 'symbol', 'price_date'],
  },
  economic_observation: {
    columns: [
      ['observation_date', 'date', false],
      ['series_id', 'character varying', false],
      ['value', 'numeric(18,8)', true],
      ['source', 'character varying', false],
      ['fetched_at', 'timestamp(3) without time zone', false],
    ],
    key: ['source', 'series_id', 'observation_date'],
  },
  price_forecast: {
    columns: [
      ['model', 'character varying', false],
      ['target_date', 'date', false],
      ['symbol', 'character varying', false],
      ['source', 'character varying', false],
      ['currency', 'character varying', false],
      ['predicted_close', 'numeric(18,8)', false],
      ['last_close', 'numeric(18,8)', false],
      ['last_price_date', 'date', false],
      ['training_from', 'date', false],
      ['training_to', 'date', false],
      ['training_rows', 'integer', false],
      ['features', 'character varying', false],
      ['library', 'character varying', false],
      ['parameters', 'character varying', false],
      ['trained_at', 'timestamp(3) without time zone', false],
    ],
    key: ['model', 'target_date'],
  },
};

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('market');
  await withClient(database.url, migrateWarehouse);
  // A second run is a no-op (every command migrates on start).
  await withClient(database.url, migrateWarehouse);
});

afterAll(async () => {
  await database?.drop();
});

describe('the market schema', () => {
  it('has the three market tables and the predictions table with their columns, types and keys', async () => {
    await withClient(database.url, async (client) => {
      for (const [table, expected] of Object.entries(EXPECTED)) {
        const { rows } = await client.query<{ name: string; type: string; nullable: boolean }>(
          `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable
             FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum`,
          [`market.${table}`],
        );
        expect(rows.map((r) => [r.name, r.type, r.nullable])).toEqual(expected.columns);
        const key = await client.query<{ name: string }>(
          `SELECT a.attname AS name FROM pg_index i
             JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) ON true
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY k.n`,
          [`market.${table}`],
        );
        expect(key.rows.map((r) => r.name)).toEqual(expected.key);
      }
    });
  });

  it('leaves the star schema in public as it was: no market table there', async () => {
    await withClient(database.url, async (client) => {
      const { rows } = await client.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('fx_rate', 'market_price', 'economic_observation')",
      );
      expect(rows).toEqual([]);
    });
  });
});

/** Hundredths of `units * price / rate`, rounded half away from zero, in exact integer arithmetic. */
function gbpHundredths(amountHundredths: bigint, rate: string): bigint {
  const [whole, fraction = ''] = rate.split('.');
  const rateUnits = BigInt(`${whole}${fraction.padEnd(8, '0')}`); // rate * 10^8
  const numerator = amountHundredths * 10n ** 8n * 10n; // in thousandths of a penny step, for rounding
  const tenths = numerator / rateUnits;
  return (tenths + 5n) / 10n;
}

async function insertSalesOrder(
  client: pg.ClientBase,
  order: { id: number; created: string; units: number; price: string; currencyId: number },
): Promise<void> {
  await client.query(
    `INSERT INTO public.fact_sales_order (sales_order_id, created_date, created_time, last_updated_date,
       last_updated_time, sales_staff_id, counterparty_id, units_sold, unit_price, currency_id, design_id,
       agreed_payment_date, agreed_delivery_date, agreed_delivery_location_id, version_lsn, version_seq)
     VALUES ($1, $2, '10:00', $2, '10:00', 1, 1, $3, $4, $5, 1, $2, $2, 1, $6, 0)`,
    [order.id, order.created, order.units, order.price, order.currencyId, order.id],
  );
}

describe('sales_order_gbp and payment_gbp', () => {
  it('price each current order and payment at the GBP rate of its date, or the latest earlier one', async () => {
    await withClient(database.url, async (client) => {
      // The view is under test, not the star's references: leave the foreign keys unchecked here.
      await client.query('SET session_replication_role = replica');
      await client.query(
        "INSERT INTO public.dim_currency VALUES (1, 'GBP', 'Pound Sterling'), (2, 'USD', 'US Dollar'), (3, 'EUR', 'Euro')",
      );
      const fx = [
        ['2026-11-26', 'USD', '1.2695'],
        ['2026-11-27', 'USD', '1.27034567'],
        ['2026-11-27', 'EUR', '1.1712'],
      ] as const;
      for (const [day, quote, rate] of fx) {
        await client.query(
          "INSERT INTO market.fx_rate VALUES ($1, 'GBP', $2, $3, 'frankfurter', '2026-11-30 16:00:00')",
          [day, quote, rate],
        );
      }
      // The synthetic market fixed the same day too: the real publisher wins.
      await client.query(
        "INSERT INTO market.fx_rate VALUES ('2026-11-27', 'GBP', 'USD', 9.99, 'synthetic', '2026-11-30 16:00:00')",
      );
      await insertSalesOrder(client, {
        id: 1,
        created: '2026-11-27',
        units: 3,
        price: '10.01',
        currencyId: 2,
      });
      // Saturday: no fixing, Friday's rate is in force.
      await insertSalesOrder(client, {
        id: 2,
        created: '2026-11-28',
        units: 7,
        price: '99.99',
        currencyId: 3,
      });
      await insertSalesOrder(client, {
        id: 3,
        created: '2026-11-28',
        units: 2,
        price: '5.55',
        currencyId: 1,
      });
      // Before any EUR fixing: no GBP value rather than a guess.
      await insertSalesOrder(client, {
        id: 4,
        created: '2026-11-26',
        units: 1,
        price: '1.00',
        currencyId: 3,
      });
      await client.query(
        `INSERT INTO public.fact_payment (payment_id, created_date, created_time, last_updated_date, last_updated,
           transaction_id, counterparty_id, payment_amount, currency_id, payment_type_id, paid, payment_date,
           version_lsn, version_seq)
         VALUES (9, '2026-11-20', '09:00', '2026-11-20', '09:00', 1, 1, 1234567.89, 2, 1, true, '2026-11-26', 9, 0)`,
      );

      const sales = await client.query(
        'SELECT sales_order_id, currency_code, amount::text, amount_gbp::text, gbp_rate::text, gbp_rate_date::text, gbp_rate_source FROM public.sales_order_gbp ORDER BY sales_order_id',
      );
      expect(sales.rows).toEqual([
        {
          sales_order_id: 1,
          currency_code: 'USD',
          amount: '30.03',
          amount_gbp: (Number(gbpHundredths(3003n, '1.27034567')) / 100).toFixed(2),
          gbp_rate: '1.27034567',
          gbp_rate_date: '2026-11-27',
          gbp_rate_source: 'frankfurter',
        },
        {
          sales_order_id: 2,
          currency_code: 'EUR',
          amount: '699.93',
          amount_gbp: (Number(gbpHundredths(69993n, '1.1712')) / 100).toFixed(2),
          gbp_rate: '1.17120000',
          gbp_rate_date: '2026-11-27',
          gbp_rate_source: 'frankfurter',
        },
        {
          sales_order_id: 3,
          currency_code: 'GBP',
          amount: '11.10',
          amount_gbp: '11.10',
          gbp_rate: '1.00000000',
          gbp_rate_date: null,
          gbp_rate_source: null,
        },
        {
          sales_order_id: 4,
          currency_code: 'EUR',
          amount: '1.00',
          amount_gbp: null,
          gbp_rate: null,
          gbp_rate_date: null,
          gbp_rate_source: null,
        },
      ]);
      const payments = await client.query(
        'SELECT payment_id, amount::text, amount_gbp::text, gbp_rate_date::text FROM public.payment_gbp',
      );
      expect(payments.rows).toEqual([
        {
          payment_id: 9,
          amount: '1234567.89',
          amount_gbp: (Number(gbpHundredths(123456789n, '1.2695')) / 100).toFixed(2),
          gbp_rate_date: '2026-11-26',
        },
      ]);
    });
  });
});
