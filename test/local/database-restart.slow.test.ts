import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedCluster, startEmbeddedPostgres } from '../../local/embedded-postgres.ts';
import { LocalPipeline } from '../../local/pipeline.ts';
import { METRICS_STATE_KEY } from '../../reader/reader-metrics.ts';
import { FileStateStore } from '../../reader/state/file-state-store.ts';
import { migrateSource } from '../../source/source-migration.ts';
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
    const pipeline = await LocalPipeline.start({
      sourceUrl: cluster.sourceUrl,
      warehouseUrl: cluster.warehouseUrl,
      dataDir,
      log,
      reconnectDelays: { baseDelayMs: 5, maxDelayMs: 20 },
    });
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
      cluster = await startEmbeddedPostgres({ dataDir: join(root, 'pg'), port });
      await withClient(cluster.sourceUrl, (client) => insertCurrency(client, 2, 'EUR'));

      // Assess: the change made after the restart reaches the warehouse, and nothing gave up.
      await waitFor(
        'the second currency in the warehouse',
        async () => (await currencies(cluster.warehouseUrl)) === 2,
        120_000,
      );
      expect(pipeline.failure).toBeUndefined();
      expect(entries.filter((entry) => entry.level === 'ERROR' && entry.stage === 'reader')).toEqual([]);
      // The outage was told, but not at every one of the attempts.
      const warnings = entries.filter((entry) => entry.stage === 'reader' && entry.level === 'WARN');
      expect(warnings.length).toBeGreaterThan(0);
      expect(warnings.length).toBeLessThan(10);
    } finally {
      await pipeline.stop();
    }
  });
});
