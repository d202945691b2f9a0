/**
 * @module
 * The HTTP app over an end-to-end world (test/e2e/e2e-harness.ts), called in-process (`app.request`), with a
 * fixed clock so "today" is a day of the seeded data.
 */
import { afterEach, beforeEach, vi } from 'vitest';
import { buildDashboardAssets } from '../../http/dashboard-assets.ts';
import { createHttpApp, type HttpApp } from '../../http/http-app.ts';
import { WarehouseReader } from '../../http/warehouse-reader.ts';
import { readStatusReport } from '../../local/status-report.ts';
import { type E2eWorld, openWorld, pipelineNames } from '../e2e/e2e-harness.ts';

/** The app, its warehouse pool and how to close both. */
export interface HttpKit extends HttpApp {
  readonly warehouse: WarehouseReader;
  /** GETs `path` and parses the JSON answer. */
  json<T>(path: string): Promise<{ status: number; contentType: string | null; body: T }>;
  dispose(): Promise<void>;
}

/** The app over `world`, its clock at `now`; `/api/status` reads the world's pipeline like `status --json`. */
export function openHttpKit(world: E2eWorld, now: Date, warehouseUrl = world.warehouse.url): HttpKit {
  // status reads the slot named by TOTESYS_SLOT, as the CLI does.
  vi.stubEnv('TOTESYS_SLOT', pipelineNames(world).slot);
  const warehouse = new WarehouseReader({ connection: warehouseUrl });
  const http = createHttpApp({
    warehouse,
    readStatus: () =>
      readStatusReport({
        sourceUrl: world.source.url,
        warehouseUrl: world.warehouse.url,
        dataDir: world.dataDir,
      }),
    assets: buildDashboardAssets,
    live: 'stream',
    version: 'test',
    clock: () => now,
  });
  return {
    ...http,
    warehouse,
    async json<T>(path: string) {
      const response = await http.app.request(path);
      return {
        status: response.status,
        contentType: response.headers.get('content-type'),
        body: (await response.json()) as T,
      };
    },
    async dispose() {
      await http.close();
      await warehouse.close();
      vi.unstubAllEnvs();
    },
  };
}

/** A fresh end-to-end world per test, and the kits a test opens over it. */
export interface HttpWorldPerTest {
  /** The current test's world. */
  world(): E2eWorld;
  /** {@link openHttpKit} over the current world; disposed after the test unless the test did it first. */
  openKit(now: Date, warehouseUrl?: string): HttpKit;
}

/**
 * Registers the set-up the HTTP integration tests share: before each test a world seeded at `scale`, after it
 * every kit opened disposed and the world closed.
 */
export function httpWorldPerTest(scale: number): HttpWorldPerTest {
  let world: E2eWorld | undefined;
  const open: HttpKit[] = [];
  beforeEach(async () => {
    world = await openWorld(scale);
  });
  afterEach(async () => {
    for (const kit of open.splice(0)) await kit.dispose();
    await world?.close();
    world = undefined;
  });
  const current = () => {
    if (!world) throw new Error('httpWorldPerTest: no world outside a test.');
    return world;
  };
  return {
    world: current,
    openKit(now, warehouseUrl) {
      const kit = openHttpKit(current(), now, warehouseUrl);
      let disposed: Promise<void> | undefined;
      const once: HttpKit = { ...kit, dispose: () => (disposed ??= kit.dispose()) };
      open.push(once);
      return once;
    },
  };
}
