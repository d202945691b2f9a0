/**
 * @module
 * `npm run docs:screenshot`: regenerates `docs/dashboard.png` (the README's picture of the dashboard) as a user
 * sees it after `npm start`. Runs `totesys-stream up` offline in a throw-away data dir (embedded PostgreSQL on
 * free ports, the built-in synthetic market, labelled synthetic on the page), waits until the page is live and
 * every panel has data (pipeline figures, sales in GBP, the gold-price prediction), takes the screenshot in
 * headless Chromium, and stops `up` with Ctrl-C as a user would. Arguments after `--` go to `up` (say
 * `--scale 0.2`). Chromium is found as the browser tests find it (test/support/dashboard-browser-world.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUTPUT = join(ROOT, 'docs', 'dashboard.png');
/** Debian's chromium; CHROMIUM_PATH points elsewhere. */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** How long `up` may take to seed, backfill the market and train its first model on a busy machine. */
const READY_WITHIN_MS = 15 * 60_000;
/** The picture's width, and the height of the window the page is laid out in (the shot is the full page). */
const VIEWPORT = { width: 1440, height: 900, deviceScaleFactor: 1 };

/** What the page shows once every panel has data (page-side code, as text: it runs in the browser). */
const PAGE_READY = `(() => {
  const text = (name) => document.querySelector('[data-figure="' + name + '"]')?.textContent ?? '';
  return text('connection') === 'live'
    && text('gbp-rates').includes('SYNTHETIC')
    && document.querySelectorAll('[data-chart-table="sales-gbp"] tbody tr').length > 0
    && document.querySelectorAll('[data-figure="forecasts"] tbody tr').length > 0;
})()`;

/** Starts `up` and resolves with the dashboard's address once it printed it. */
async function startUp(dataDir: string, args: readonly string[]): Promise<{ up: ChildProcess; url: string }> {
  const up = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'totesys-stream.js'), '--data-dir', dataDir, 'up', '--status-interval', '60', ...args],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: up.stdout! });
  const exited = once(up, 'exit').then(([code]) => {
    throw new Error(`totesys-stream up exited (code ${code}) before it printed the dashboard's address.`);
  });
  const printed = (async () => {
    for await (const line of lines) {
      const url = /dashboard: (http:\/\/\S+)/.exec(line)?.[1];
      if (url) return url;
    }
    throw new Error("totesys-stream up closed its output before it printed the dashboard's address.");
  })();
  const url = await Promise.race([printed, exited]);
  // Once the address is printed, `up` exiting (at the end, on Ctrl-C) is no error.
  exited.catch(() => undefined);
  // Keep draining stdout so `up` never blocks on a full pipe.
  lines.on('line', () => undefined);
  return { up, url };
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'totesys-screenshot-'));
  const { up, url } = await startUp(dataDir, process.argv.slice(2));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--headless=new'],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport(VIEWPORT);
    await page.goto(`${url}/`);
    await page.waitForFunction(PAGE_READY, { timeout: READY_WITHIN_MS, polling: 1_000 });
    await page.screenshot({ path: OUTPUT, fullPage: true });
    process.stdout.write(`wrote ${OUTPUT} from ${url}\n`);
  } finally {
    await browser.close();
    up.kill('SIGINT');
    if (up.exitCode === null) await once(up, 'exit');
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
