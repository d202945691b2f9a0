import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, isBankingDay, SyntheticMarket } from '../../collect/synthetic/synthetic-market.ts';
import { collectIntoLocalLake, configureCollector } from '../../local/market-collection.ts';
import { withClient } from '../support/test-databases.ts';
import { type E2eWorld, openWorld, syncWorld } from './e2e-harness.ts';

let world: E2eWorld;

beforeAll(async () => {
  world = await openWorld(0.01);
});

afterAll(async () => {
  await world?.close();
});

/** The decimal text of `hundredths`. */
function money(hundredths: bigint): string {
  const text = hundredths.toString().padStart(3, '0');
  return `${text.slice(0, -2)}.${text.slice(-2)}`;
}

/** `amount / rate` to the penny, half away from zero, in exact integer arithmetic (positive amounts). */
function dividedToPenny(amountHundredths: bigint, rate: string): bigint {
  const [whole, fraction = ''] = rate.split('.');
  const rateUnits = BigInt(`${whole}${fraction.padEnd(8, '0')}`);
  const thousandths = (amountHundredths * 10n ** 9n) / rateUnits;
  return (thousandths + 5n) / 10n;
}

/** The synthetic market's GBP fixing in force on `day`: that day's, or the latest earlier banking day's. */
function rateInForce(market: SyntheticMarket, code: string, day: string): { rate: string; day: string } {
  let at = day;
  while (!isBankingDay(at)) at = addDays(at, -1);
  return { rate: market.gbpRate(code, at) as string, day: at };
}

describe('sales orders and payments in GBP', () => {
  it('reconcile with the source amounts and the rates collected into the lake', async () => {
    const collected = await collectIntoLocalLake(
      world.dataDir,
      configureCollector('fx', { kind: 'synthetic' }),
      {
        from: '2020-01-01',
      },
    );
    expect(collected.rows).toBeGreaterThan(3_000);
    await syncWorld(world);

    const source = await withClient(world.source.url, async (client) => {
      const sales = await client.query<{ id: number; day: string; code: string; cents: string }>(
        `SELECT s.sales_order_id AS id, to_char(s.created_at, 'YYYY-MM-DD') AS day, c.currency_code AS code,
           (s.units_sold * s.unit_price * 100)::bigint::text AS cents
         FROM sales_order s JOIN currency c USING (currency_id) ORDER BY s.sales_order_id`,
      );
      const payments = await client.query<{ id: number; day: string; code: string; cents: string }>(
        `SELECT p.payment_id AS id, p.payment_date AS day, c.currency_code AS code,
           (p.payment_amount * 100)::bigint::text AS cents
         FROM payment p JOIN currency c USING (currency_id) ORDER BY p.payment_id`,
      );
      return { sales: sales.rows, payments: payments.rows };
    });
    const warehouse = await withClient(world.warehouse.url, async (client) => ({
      sales: (
        await client.query(
          `SELECT sales_order_id AS id, currency_code AS code, amount::text, amount_gbp::text,
             gbp_rate::text, gbp_rate_date::text, gbp_rate_source FROM sales_order_gbp ORDER BY sales_order_id`,
        )
      ).rows,
      payments: (
        await client.query(
          `SELECT payment_id AS id, currency_code AS code, amount::text, amount_gbp::text,
             gbp_rate::text, gbp_rate_date::text, gbp_rate_source FROM payment_gbp ORDER BY payment_id`,
        )
      ).rows,
    }));

    const market = new SyntheticMarket();
    const expected = (rows: typeof source.sales) =>
      rows.map((row) => {
        const cents = BigInt(row.cents);
        if (row.code === 'GBP') {
          return {
            id: row.id,
            code: 'GBP',
            amount: money(cents),
            amount_gbp: money(cents),
            gbp_rate: '1.00000000',
            gbp_rate_date: null,
            gbp_rate_source: null,
          };
        }
        const fixing = rateInForce(market, row.code, row.day);
        return {
          id: row.id,
          code: row.code,
          amount: money(cents),
          amount_gbp: money(dividedToPenny(cents, fixing.rate)),
          gbp_rate: Number(fixing.rate).toFixed(8),
          gbp_rate_date: fixing.day,
          gbp_rate_source: 'synthetic',
        };
      });
    expect(source.sales.length).toBeGreaterThan(10);
    expect(new Set(source.sales.map((r) => r.code))).toEqual(new Set(['GBP', 'USD', 'EUR']));
    // Some days have no fixing (weekends, holidays): the latest earlier fixing is in force there.
    expect([...source.sales, ...source.payments].some((r) => !isBankingDay(r.day))).toBe(true);
    expect(warehouse.sales).toEqual(expected(source.sales));
    expect(warehouse.payments).toEqual(expected(source.payments));
  });
});
