/**
 * @module
 * The set-up the dashboard's browser tests share: a seeded source and a warehouse (the e2e world), the local
 * pipeline over them on short intervals, the HTTP app, headless Chromium, and a page opened on the dashboard
 * that waits for its live stream and collects every console error and page error.
 */
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { vi } from 'vitest';
import { SILENT_LOG } from '../../core/ports/log.ts';
import { type LocalHttp, startLocalHttp } from '../../local/http-service.ts';
import { LocalPipeline } from '../../local/pipeline.ts';
import type { LocalPipelineOptions } from '../../local/pipeline-options.ts';
import { type E2eWorld, openWorld, pipelineNames } from '../e2e/e2e-harness.ts';

/** Debian's chromium (`.ci/run` installs it); CHROMIUM_PATH points elsewhere. */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Everything a dashboard browser test runs against. */
export interface DashboardWorld {
  readonly world: E2eWorld;
  readonly pipeline: LocalPipeline;
  readonly http: LocalHttp;
  readonly browser: Browser;
  /** Stops it all, in reverse order. */
  close(): Promise<void>;
}

/**
 * Opens the world, runs `beforePipeline` on it (say, to add a source row), then starts the pipeline with
 * `pipeline`'s options beside the test defaults, the HTTP app and the browser.
 */
export async function openDashboardWorld(
  options: {
    readonly pipeline?: Pick<LocalPipelineOptions, 'market' | 'forecast'>;
    readonly beforePipeline?: (world: E2eWorld) => Promise<void>;
  } = {},
): Promise<DashboardWorld> {
  const world = await openWorld(0.01);
  vi.stubEnv('TOTESYS_SLOT', pipelineNames(world).slot);
  let pipeline: LocalPipeline | undefined;
  let http: LocalHttp | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    await http?.close();
    await pipeline?.stop();
    vi.unstubAllEnvs();
    await world.close();
  };
  try {
    await options.beforePipeline?.(world);
    pipeline = await LocalPipeline.start({
      sourceUrl: world.source.url,
      warehouseUrl: world.warehouse.url,
      dataDir: world.dataDir,
      ...pipelineNames(world),
      loaderIntervalMs: 200,
      watermarkIntervalMs: 200,
      log: SILENT_LOG,
      ...options.pipeline,
    });
    http = await startLocalHttp({
      warehouseUrl: world.warehouse.url,
      sourceUrl: world.source.url,
      dataDir: world.dataDir,
      version: 'test',
    });
    browser = await puppeteer.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new'] });
    return { world, pipeline, http, browser, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A new page that records console errors, page errors and failed requests (but the cut event stream). */
export async function watchedPage(browser: Browser): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page: ${String(error)}`));
  page.on('requestfailed', (request) => {
    // The event stream is cut when the test closes the browser; anything else failing is a problem.
    if (!request.url().endsWith('/api/live')) problems.push(`request: ${request.url()}`);
  });
  return { page, problems };
}

/** Opens the dashboard on `page` and waits until its live stream is up. */
export async function openLiveDashboard(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/`);
  // (Page-side code is given as text: it runs in the browser, whose globals this file does not type.)
  await page.waitForFunction(`document.querySelector('[data-figure="connection"]')?.textContent === 'live'`, {
    timeout: 60_000,
  });
}
