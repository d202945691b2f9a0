import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FORECAST_DEFAULTS } from '../../forecast/forecast-settings.ts';
import { OFFLINE_MARKET } from '../../local/market-collection.ts';
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
  dashboard = await openDashboardWorld({
    // A USD order of today, so the GBP chart has a figure of the window to show.
    beforePipeline: (world) =>
      withClient(world.source.url, async (client) => {
        await client.query(
          `INSERT INTO sales_order (created_at, last_updated, design_id, staff_id, counterparty_id, units_sold,
             unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id)
           SELECT now(), now(), (SELECT min(design_id) FROM design), (SELECT min(staff_id) FROM staff),
             (SELECT min(counterparty_id) FROM counterparty), 7, 123.45,
             (SELECT currency_id FROM currency WHERE currency_code = 'USD'), '2030-01-01', '2030-01-01',
             (SELECT min(address_id) FROM address)`,
        );
      }),
    pipeline: {
      // `up`'s market: the synthetic one, backfilled (one round is enough here), and `up`'s model on it,
      // checking often so the test need not wait a minute.
      market: { ...OFFLINE_MARKET, everyMs: 3_600_000 },
      forecast: { ...FORECAST_DEFAULTS, checkEveryMs: 500 },
    },
  });
});

afterEach(async () => {
  await dashboard?.close();
});

/** The predictions as the panel should show them, from SQL on the warehouse. */
async function warehouseForecasts(): Promise<string[][]> {
  return withClient(dashboard.world.warehouse.url, async (client) => {
    const { rows } = await client.query<{ row: string[] }>(
      `SELECT ARRAY[f.target_date::text, f.predicted_close::text, f.last_close::text || ' (' || f.last_price_date::text || ')',
                    coalesce(p.close::text, '-'), f.training_from::text] AS row
         FROM market.price_forecast f
         LEFT JOIN market.market_price p ON p.symbol = f.symbol AND p.source = f.source AND p.price_date = f.target_date
        ORDER BY f.target_date DESC`,
    );
    // The page groups thousands; the figures are the same digits.
    return rows.map((r) =>
      r.row.map((cell) => cell.replace(/^(\d+)(?=\.)/, (w) => w.replace(/\B(?=(\d{3})+(?!\d))/g, ','))),
    );
  });
}

describe('the dashboard with market data, in a real browser', () => {
  it('shows sales in GBP at the warehouse rates and labels the synthetic market as such', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const todayInGbp = () =>
      withClient(dashboard.world.warehouse.url, async (client) => {
        const { rows } = await client.query<{ value: string | null }>(
          'SELECT sum(amount_gbp)::text AS value FROM public.sales_order_gbp WHERE created_date = $1',
          [today],
        );
        return rows[0]?.value ?? null;
      });
    await waitFor('the order of today priced in GBP', async () => (await todayInGbp()) !== null, 180_000);
    const rates = await withClient(dashboard.world.warehouse.url, async (client) => {
      const { rows } = await client.query<{ currency: string; rate: string; date: string; source: string }>(
        `SELECT DISTINCT ON (quote_currency) quote_currency AS currency, rate::text AS rate,
           rate_date::text AS date, source FROM market.fx_rate ORDER BY quote_currency, rate_date DESC`,
      );
      return rows;
    });
    expect(rates.map((r) => [r.currency, r.source])).toEqual([
      ['EUR', 'synthetic'],
      ['USD', 'synthetic'],
    ]);

    const { page, problems } = await watchedPage(dashboard.browser);
    await openLiveDashboard(page, dashboard.http.url);
    const label = await page.$eval('[data-figure="gbp-rates"]', (e) => e.textContent ?? '');
    expect(label).toContain('SYNTHETIC market data, not real rates');
    for (const rate of rates) {
      expect(label).toContain(`1 GBP = ${Number(rate.rate).toFixed(4)} ${rate.currency} (${rate.date})`);
    }
    const lastRow = await page.$$eval('[data-chart-table="sales-gbp"] tbody tr', (rows) =>
      [...(rows.at(-1)?.querySelectorAll('th, td') ?? [])].map((cell) => cell.textContent ?? ''),
    );
    expect(lastRow).toEqual([today, String(Number(await todayInGbp()))]);
    expect(problems).toEqual([]);
  });

  it("shows up's gold-price prediction as the warehouse holds it, labelled synthetic", async () => {
    await waitFor(
      'a prediction from the backfilled market',
      async () => (await warehouseForecasts()).length > 0,
      240_000,
    );
    const expected = await warehouseForecasts();
    const { page, problems } = await watchedPage(dashboard.browser);
    await openLiveDashboard(page, dashboard.http.url);
    const shown = await page.$$eval('[data-figure="forecasts"] tbody tr', (rows) =>
      rows.map((row) => [...row.querySelectorAll('th, td')].map((cell) => cell.textContent ?? '')),
    );
    expect(shown).toEqual(expected);
    const label = await page.$eval('[data-figure="forecast-label"]', (e) => e.textContent ?? '');
    expect(label).toContain('SYNTHETIC market data, not real prices');
    expect(label).toContain('gold-xgboost (ml-xgboost 1.1.2) on GLD in USD');
    expect(problems).toEqual([]);
  });
});
