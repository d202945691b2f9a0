import puppeteer, { type Browser } from 'puppeteer-core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SILENT_LOG } from '../../core/ports/log.ts';
import { type LocalHttp, startLocalHttp } from '../../local/http-service.ts';
import { OFFLINE_MARKET } from '../../local/market-collection.ts';
import { LocalPipeline } from '../../local/pipeline.ts';
import { type E2eWorld, openWorld, pipelineNames } from '../e2e/e2e-harness.ts';
import { withClient } from '../support/test-databases.ts';
import { waitFor } from '../support/wait-for.ts';

/** Debian's chromium (`.ci/run` installs it); CHROMIUM_PATH points elsewhere. */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

let world: E2eWorld;
let pipeline: LocalPipeline;
let http: LocalHttp;
let browser: Browser;

beforeEach(async () => {
  world = await openWorld(0.01);
  vi.stubEnv('TOTESYS_SLOT', pipelineNames(world).slot);
  // A USD order of today, so the GBP chart has a figure of the window to show.
  await withClient(world.source.url, (client) =>
    client.query(
      `INSERT INTO sales_order (created_at, last_updated, design_id, staff_id, counterparty_id, units_sold,
         unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id)
       SELECT now(), now(), (SELECT min(design_id) FROM design), (SELECT min(staff_id) FROM staff),
         (SELECT min(counterparty_id) FROM counterparty), 7, 123.45,
         (SELECT currency_id FROM currency WHERE currency_code = 'USD'), '2030-01-01', '2030-01-01',
         (SELECT min(address_id) FROM address)`,
    ),
  );
  pipeline = await LocalPipeline.start({
    sourceUrl: world.source.url,
    warehouseUrl: world.warehouse.url,
    dataDir: world.dataDir,
    ...pipelineNames(world),
    loaderIntervalMs: 200,
    watermarkIntervalMs: 200,
    log: SILENT_LOG,
    // `up`'s market: the synthetic one, backfilled (one round is enough here).
    market: { ...OFFLINE_MARKET, everyMs: 3_600_000 },
  });
  http = await startLocalHttp({
    warehouseUrl: world.warehouse.url,
    sourceUrl: world.source.url,
    dataDir: world.dataDir,
    version: 'test',
  });
  browser = await puppeteer.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new'] });
});

afterEach(async () => {
  await browser?.close();
  await http?.close();
  await pipeline?.stop();
  vi.unstubAllEnvs();
  await world.close();
});

describe('the dashboard with market data, in a real browser', () => {
  it('shows sales in GBP at the warehouse rates and labels the synthetic market as such', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const todayInGbp = () =>
      withClient(world.warehouse.url, async (client) => {
        const { rows } = await client.query<{ value: string | null }>(
          'SELECT sum(amount_gbp)::text AS value FROM public.sales_order_gbp WHERE created_date = $1',
          [today],
        );
        return rows[0]?.value ?? null;
      });
    await waitFor('the order of today priced in GBP', async () => (await todayInGbp()) !== null, 180_000);
    const rates = await withClient(world.warehouse.url, async (client) => {
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

    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page: ${String(error)}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    await page.goto(`${http.url}/`);
    await page.waitForFunction(
      `document.querySelector('[data-figure="connection"]')?.textContent === 'live'`,
      { timeout: 60_000 },
    );
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
});
