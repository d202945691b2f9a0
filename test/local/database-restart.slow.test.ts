import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
});
