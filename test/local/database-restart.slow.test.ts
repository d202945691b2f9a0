import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upServices } from '../../cli/actions/up.ts';
import type { UpOptions } from '../../cli/commands/up.ts';
import { runServices } from '../../cli/services.ts';
import { type EmbeddedCluster, startEmbeddedPostgres } from '../../local/embedded-postgres.ts';
import { LocalPipeline } from '../../local/pipeline.ts';
import { METRICS_STATE_KEY } from '../../reader/reader-metrics.ts';
import { FileStateStore } from '../../reader/state/file-state-store.ts';
import { migrateSource } from '../../source/source-migration.ts';
import { ManualClock } from '../../testing/manual-clock.ts';
import { memoryLog } from '../../testing/memory-operations.ts';
import { insertCurrency } from '../reader/reader-test-kit.ts';
import { withClient } from '../support/test-databases.ts';
import { waitFor } from '../support/wait-for.ts';

async function currencies(url: string): Promise<number> {
  return withClient(url, async (client) => {
    const exists = (await client.query("SELECT to_regclass('public.dim_currency') IS NOT NULL AS ok")).rows[0]
      ?.ok;
    if (!exists) return 0;
    return Number((await client.query('SELECT count(*) AS n FROM public.dim_currency')).rows[0]?.n);
  });
}

describe('a database restart under a running pipeline', () => {
  // Its own cluster: stopping the suite's shared one would fail every other test file.
  let root: string;
  let cluster: EmbeddedCluster;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'totesys-restart-'));
    await chmod(root, 0o755);
    cluster = await startEmbeddedPostgres({ dataDir: join(root, 'pg') });
    await withClient(cluster.sourceUrl, migrateSource);
  });
  afterAll(async () => {
    await cluster.stop().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  });

  it('is ridden out: the reader keeps reconnecting past the old ten attempts, and changes after it arrive', async () => {
    const dataDir = join(root, 'data');
    const { entries, log } = memoryLog();
    // The loader's failures are told on this clock (core/failure-streak.ts): it stands still unless moved.
    const clock = new ManualClock();
    const pipeline = await LocalPipeline.start({
      sourceUrl: cluster.sourceUrl,
      warehouseUrl: cluster.warehouseUrl,
      dataDir,
      log,
      clock,
      reconnectDelays: { baseDelayMs: 5, maxDelayMs: 20 },
    });
    const loadFailures = () =>
      entries.filter((entry) => entry.stage === 'loader' && entry.message.startsWith('load '));
    try {
      await withClient(cluster.sourceUrl, (client) => insertCurrency(client, 1, 'GBP'));
      await waitFor(
        'the first currency in the warehouse',
        async () => (await currencies(cluster.warehouseUrl)) === 1,
        120_000,
      );

      // Act: stop the database, and keep it down while the reader fails many more times than it used to allow.
      const port = cluster.port;
      await cluster.stop();
      const state = new FileStateStore(join(dataDir, 'state'));
      const before = (await state.get(METRICS_STATE_KEY))?.reconnects ?? 0;
      await waitFor(
        'the reader to try reconnecting 30 times',
        async () => ((await state.get(METRICS_STATE_KEY))?.reconnects ?? 0) >= before + 30,
        120_000,
      );
      // The loader failed at every run meanwhile (every second); within a minute of the clock each failure is
      // told once, not at every run. A minute later the same failure is told again, with the runs failed since.
      const runsDown = pipeline.loadRuns;
      await waitFor('five more loader runs', async () => pipeline.loadRuns >= runsDown + 5, 120_000);
      const toldWithinAMinute = loadFailures();
      const messages = toldWithinAMinute.map((entry) => String(entry.error));
      expect(toldWithinAMinute.length).toBeGreaterThan(0);
      // (A different failure is told at once: the first run may see the connection end, the next ones refused.)
      expect(messages.filter((message, i) => message === messages[i - 1])).toEqual([]);
      expect(toldWithinAMinute.every((entry) => entry.level === 'ERROR')).toBe(true);
      await clock.advance(61_000);
      const runsAfterAMinute = pipeline.loadRuns;
      await waitFor('another loader run', async () => pipeline.loadRuns >= runsAfterAMinute + 2, 120_000);
      expect(loadFailures().at(-1)?.message).toMatch(/^load still failing: \d+ runs failed over 61 s;/);
      cluster = await startEmbeddedPostgres({ dataDir: join(root, 'pg'), port });
      await withClient(cluster.sourceUrl, (client) => insertCurrency(client, 2, 'EUR'));

      // Assess: the change made after the restart reaches the warehouse, and nothing gave up.
      await waitFor(
        'the second currency in the warehouse',
        async () => (await currencies(cluster.warehouseUrl)) === 2,
        120_000,
      );
      expect(pipeline.failure).toBeUndefined();
      // The recovery is told once.
      expect(
        entries.filter(
          (entry) => entry.stage === 'loader' && entry.message.startsWith('loading again after'),
        ),
      ).toHaveLength(1);
      expect(entries.filter((entry) => entry.level === 'ERROR' && entry.stage === 'reader')).toEqual([]);
      // The outage was told, but not at every one of the attempts.
      const warnings = entries.filter((entry) => entry.stage === 'reader' && entry.level === 'WARN');
      expect(warnings.length).toBeGreaterThan(0);
      expect(warnings.length).toBeLessThan(10);
      // Each of the reader's periodic tasks (heartbeat, watermarks, metrics, re-read polls) tells a failure once,
      // not at every tick: at most once per kind of failure (the server shutting down, then refusing) per task.
      const periodic = warnings.filter((entry) => entry.message === 'periodic task failed');
      expect(periodic.length).toBeLessThanOrEqual(8);
    } finally {
      await pipeline.stop();
    }
  });

  it("keeps printing up's status line through the restart, the source fragment saying it reconnects", async () => {
    // Prepare: up's own services (the source watch and the pipeline; no simulator, HTTP or market).
    const lines: string[] = [];
    const abort = new AbortController();
    const options = {
      http: false,
      simulate: false,
      market: false,
      forecast: false,
      rate: 1,
      scale: 1,
      seed: 1,
      statusInterval: 1,
    } as UpOptions;
    const runtime = {
      dataDir: join(root, 'data-up'),
      sourceUrl: cluster.sourceUrl,
      warehouseUrl: cluster.warehouseUrl,
      cluster: undefined,
      close: async () => undefined,
    };
    let failure: Error | undefined;
    const running = runServices(
      upServices(runtime, options, (error) => {
        failure = error;
      }),
      { signal: abort.signal, statusIntervalMs: 100, print: (line) => lines.push(line) },
    );
    try {
      const statusLineAfter = async (from: number, text: string) =>
        waitFor(
          `a status line with "${text}"`,
          async () => lines.slice(from).some((l) => l.includes(text)),
          120_000,
        );
      await statusLineAfter(0, 'source LSN');

      // Act: the database stops and starts again.
      const port = cluster.port;
      await cluster.stop();
      const stopped = lines.length;
      await statusLineAfter(stopped, 'source unreachable (reconnecting)');
      cluster = await startEmbeddedPostgres({ dataDir: join(root, 'pg'), port });
      const restarted = lines.length;

      // Assess: the lines kept coming, and the source fragment is back once it answers.
      await statusLineAfter(restarted, 'source LSN');
      expect(lines.length).toBeGreaterThan(restarted);
      expect(lines.slice(stopped).every((line) => line.includes('warehouse'))).toBe(true);
      expect(failure).toBeUndefined();
    } finally {
      abort.abort();
      await running;
    }
  });
  it('survives every connection it holds being ended by the server, again and again, and goes on', async () => {
    // What a restart does to each open connection, at many moments of up's work: the loader's pool, the
    // status line's clients, the reader's walsender and control connection. Any client without a listener
    // for its lost connection (postgres/connections.ts) ends the process with an uncaught 'error'.
    const uncaught: unknown[] = [];
    const record = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', record);
    const CODES = ['USD', 'JPY', 'CHF', 'AUD', 'CAD', 'NZD', 'SEK', 'NOK'];
    const lines: string[] = [];
    const abort = new AbortController();
    const options = {
      http: false,
      simulate: false,
      market: false,
      forecast: false,
      rate: 1,
      scale: 1,
      seed: 1,
      statusInterval: 1,
    } as UpOptions;
    const runtime = {
      dataDir: join(root, 'data-terminated'),
      sourceUrl: cluster.sourceUrl,
      warehouseUrl: cluster.warehouseUrl,
      cluster: undefined,
      close: async () => undefined,
    };
    let failure: Error | undefined;
    const running = runServices(
      upServices(runtime, options, (error) => {
        failure = error;
      }),
      { signal: abort.signal, statusIntervalMs: 50, print: (line) => lines.push(line) },
    );
    try {
      const before = await currencies(cluster.warehouseUrl);
      for (let round = 1; round <= 8; round++) {
        // Each round: a change for the pipeline to carry, a status line showing the source, then every
        // backend but this one ended.
        await withClient(cluster.sourceUrl, (client) =>
          insertCurrency(client, 100 + round, CODES[round - 1]!),
        );
        const from = lines.length;
        await waitFor(
          `a status line with the source's LSN (round ${round})`,
          async () => lines.slice(from).some((line) => line.includes('source LSN')) || uncaught.length > 0,
          120_000,
        );
        await withClient(cluster.sourceUrl, (client) =>
          client.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE pid <> pg_backend_pid() AND backend_type IN ('client backend', 'walsender')`,
          ),
        );
        expect(uncaught).toEqual([]);
      }

      // Assess: every change made meanwhile reaches the warehouse, and nothing ended or gave up.
      await waitFor(
        'the eight currencies in the warehouse',
        async () => (await currencies(cluster.warehouseUrl)) === before + 8 || uncaught.length > 0,
        120_000,
      );
      expect(uncaught).toEqual([]);
      expect(failure).toBeUndefined();
    } finally {
      abort.abort();
      await running;
      process.off('uncaughtException', record);
    }
  });
});
