import type { Page } from 'puppeteer-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type DashboardWorld,
  openDashboardWorld,
  openLiveDashboard,
  watchedPage,
} from '../support/dashboard-browser-world.ts';
import { withClient } from '../support/test-databases.ts';
import { waitFor } from '../support/wait-for.ts';

let dashboard: DashboardWorld;

beforeEach(async () => {
  dashboard = await openDashboardWorld();
});

afterEach(async () => {
  await dashboard?.close();
});

/** Paid and unpaid counts and amounts per currency, on the warehouse (each payment at its latest version). */
async function warehousePayments(): Promise<string[][]> {
  return withClient(dashboard.world.warehouse.url, async (client) => {
    const result = await client.query<{ row: string[] }>(
      `SELECT ARRAY[c.currency_code,
                    count(*) FILTER (WHERE p.paid)::text, count(*) FILTER (WHERE NOT p.paid)::text,
                    coalesce(sum(p.payment_amount) FILTER (WHERE p.paid), 0)::numeric(14,2)::text,
                    coalesce(sum(p.payment_amount) FILTER (WHERE NOT p.paid), 0)::numeric(14,2)::text] AS row
         FROM public.current_payment p JOIN public.dim_currency c USING (currency_id) GROUP BY c.currency_code ORDER BY 1`,
    );
    // The page groups thousands; the figures are the same digits.
    return result.rows.map((r) =>
      r.row.map((cell, i) => (i >= 3 ? cell.replace(/\B(?=(\d{3})+(?!\d))/g, ',') : cell)),
    );
  });
}

/** The page's paid-versus-unpaid table, row by row. */
function pagePayments(page: Page): Promise<string[][]> {
  return page.$$eval('[data-figure="payments-paid"] tbody tr', (rows) =>
    rows.map((row) => [...row.querySelectorAll('th, td')].map((cell) => cell.textContent ?? '')),
  );
}

/** Rows of the source and the warehouse agree: the pipeline has loaded what the source holds. */
async function caughtUp(): Promise<boolean> {
  const count = (url: string, table: string) =>
    withClient(url, async (c) => Number((await c.query(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n));
  return (
    (await count(dashboard.world.source.url, 'payment')) ===
    (await count(dashboard.world.warehouse.url, 'public.current_payment'))
  );
}

describe('the dashboard in a real browser', () => {
  it('shows the warehouse figures, follows a change in the source without a reload, with no console error', async () => {
    // Prepare
    const { page, problems } = await watchedPage(dashboard.browser);
    await waitFor('the first load of the seeded source', caughtUp, 120_000);

    // Act
    await openLiveDashboard(page, dashboard.http.url);
    await page.evaluate(`window.marker = 'loaded once'`);

    // Assess: the figures equal SQL on the warehouse.
    expect((await pagePayments(page)).length).toBeGreaterThan(0);
    expect(await pagePayments(page)).toEqual(await warehousePayments());
    expect(await page.$eval('[data-figure="cut-lsn"]', (e) => e.textContent)).toMatch(
      /^[0-9A-F]+\/[0-9A-F]+$/,
    );

    // Act: a new unpaid payment in the source.
    const before = await warehousePayments();
    const currency = before[0]![0]!;
    await withClient(dashboard.world.source.url, (client) =>
      client.query(
        `WITH t AS (
           INSERT INTO transaction (transaction_type, sales_order_id, created_at, last_updated)
           SELECT 'SALE', NULL, now(), now() RETURNING transaction_id)
         INSERT INTO payment (created_at, last_updated, transaction_id, counterparty_id, payment_amount, currency_id,
                              payment_type_id, paid, payment_date, company_ac_number, counterparty_ac_number)
         SELECT now(), now(), t.transaction_id, (SELECT min(counterparty_id) FROM counterparty), 4321.09,
                (SELECT currency_id FROM currency WHERE currency_code = $1), 1, false, '2030-01-01', 12345678, 87654321
           FROM t`,
        [currency],
      ),
    );

    // Assess: the page moves to the new figures on its own, and they are the warehouse's.
    const unpaidCell = `[data-figure="payments-paid"] tr[data-row="${currency}"] td:nth-of-type(2)`;
    const unpaid = String(Number(before[0]![2]) + 1);
    await page.waitForFunction(
      `document.querySelector(${JSON.stringify(unpaidCell)})?.textContent === ${JSON.stringify(unpaid)}`,
      { timeout: 60_000 },
    );
    const after = await pagePayments(page);
    expect(after).toEqual(await warehousePayments());
    expect(BigInt(after[0]![4]!.replaceAll(',', '').replace('.', ''))).toBe(
      BigInt(before[0]![4]!.replaceAll(',', '').replace('.', '')) + 432109n,
    );
    expect(await page.evaluate('window.marker')).toBe('loaded once');

    // Keyboard first stop is the skip link; on a phone nothing spills sideways.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to the figures');
    await page.setViewport({ width: 390, height: 844 });
    await waitFor('the phone layout', () =>
      page.evaluate('document.documentElement.scrollWidth <= window.innerWidth'),
    );
    expect(problems).toEqual([]);
  });
});
