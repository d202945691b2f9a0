import { beforeEach, describe, expect, it } from 'vitest';
import { formatLsn, parseLsn } from '../../core/lsn.ts';
import type { DashboardSnapshot } from '../../http/dashboard-snapshot.ts';
import { type E2eWorld, syncWorld } from '../e2e/e2e-harness.ts';
import { type HttpKit, httpWorldPerTest } from '../support/http-kit.ts';
import { withClient } from '../support/test-databases.ts';

const http = httpWorldPerTest(0.05);
let world: E2eWorld;
let kit: HttpKit | undefined;

beforeEach(() => {
  world = http.world();
  kit = undefined;
});

describe('the dashboard figures', () => {
  it('count each order once at its latest version, leave deleted ones out, and equal the source', async () => {
    // Prepare: amend an order and cancel another (order, transaction and payment deleted), then load.
    const today = await withClient(world.source.url, async (client) => {
      const last = await client.query<{ day: string }>(
        'SELECT max(created_at)::date::text AS day FROM sales_order',
      );
      const day = last.rows[0]?.day as string;
      const [amended, cancelled] = (
        await client.query<{ id: number }>(
          `SELECT sales_order_id AS id FROM sales_order WHERE created_at::date > $1::date - 30 ORDER BY 1 LIMIT 2`,
          [day],
        )
      ).rows.map((r) => r.id);
      await client.query(
        'UPDATE sales_order SET units_sold = units_sold + 1000, last_updated = now() WHERE sales_order_id = $1',
        [amended],
      );
      await client.query(
        `WITH t AS (SELECT transaction_id FROM transaction WHERE sales_order_id = $1),
              p AS (DELETE FROM payment WHERE transaction_id IN (SELECT transaction_id FROM t))
         DELETE FROM transaction WHERE transaction_id IN (SELECT transaction_id FROM t)`,
        [cancelled],
      );
      await client.query('DELETE FROM sales_order WHERE sales_order_id = $1', [cancelled]);
      return day;
    });
    await syncWorld(world);
    kit = http.openKit(new Date(`${today}T18:00:00Z`));

    // Act
    const { body: snapshot } = await kit.json<DashboardSnapshot>('/api/dashboard');

    // Assess: the same figures computed on the source, which holds only current rows.
    const expected = await withClient(world.source.url, async (client) => {
      const sales = await client.query<{ currency: string; value: string; units: string }>(
        `SELECT c.currency_code AS currency, sum(s.units_sold * s.unit_price)::text AS value, sum(s.units_sold)::text AS units
           FROM sales_order s JOIN currency c USING (currency_id)
          WHERE s.created_at::date > $1::date - 30 AND s.created_at::date <= $1::date GROUP BY 1 ORDER BY 1`,
        [today],
      );
      const payments = await client.query<{ paid: boolean; currency: string; amount: string; count: string }>(
        `SELECT p.paid, c.currency_code AS currency, sum(p.payment_amount)::text AS amount, count(*)::text AS count
           FROM payment p JOIN currency c USING (currency_id) GROUP BY 1, 2 ORDER BY 2`,
      );
      const overdue = await client.query<{ currency: string; amount: string; count: string }>(
        `SELECT c.currency_code AS currency, sum(p.payment_amount)::text AS amount, count(*)::text AS count
           FROM payment p JOIN currency c USING (currency_id)
          WHERE NOT p.paid AND p.payment_date::date < $1::date GROUP BY 1 ORDER BY 1`,
        [today],
      );
      const cut = await withClient(world.warehouse.url, (w) =>
        w.query<{ lsn: string }>('SELECT lsn::text AS lsn FROM pipeline.cut'),
      );
      return { sales: sales.rows, payments: payments.rows, overdue: overdue.rows, cut: cut.rows[0]?.lsn };
    });
    const decimalSum = (values: readonly string[]) =>
      values.reduce((total, v) => total + BigInt(v.replace('.', '')), 0n).toString();
    const cents = (text: string) => BigInt(text.replace('.', '')).toString();
    const perCurrency = snapshot.business.sales.perCurrency;
    expect(snapshot.business.sales.days).toHaveLength(30);
    expect(snapshot.business.sales.days.at(-1)).toBe(today);
    expect(
      perCurrency.map((c) => ({
        currency: c.currency,
        value: decimalSum(c.value),
        units: String(c.units.reduce((a, b) => a + b, 0)),
      })),
    ).toEqual(expected.sales.map((s) => ({ currency: s.currency, value: cents(s.value), units: s.units })));
    const money = (rows: { currency: string; amount: string; count: string | number }[]) =>
      rows.map((r) => ({ currency: r.currency, amount: r.amount, count: Number(r.count) }));
    expect(money([...snapshot.business.payments.paid])).toEqual(
      money(expected.payments.filter((p) => p.paid)),
    );
    expect(money([...snapshot.business.payments.unpaid])).toEqual(
      money(expected.payments.filter((p) => !p.paid)),
    );
    expect(money([...snapshot.business.payments.overdue])).toEqual(money(expected.overdue));
    expect(snapshot.history.cut?.lsn).toBe(formatLsn(parseLsn(expected.cut as string)));
    expect(snapshot.history.loads.length).toBeGreaterThanOrEqual(1);
    expect(snapshot.lag.lake).toHaveLength(11);
    expect(snapshot.statusProblem).toBeNull();
  });
});
