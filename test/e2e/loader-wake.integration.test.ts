/**
 * The local loader does not wait for its interval when the lake has news: a lake object landing wakes it
 * (local/pipeline.ts), so a change reaches the warehouse about one Firehose buffer interval after its commit
 * (README, What it guarantees).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalPipeline } from '../../local/pipeline.ts';
import { currentSourceLsn } from '../../local/sync.ts';
import { withClient } from '../support/test-databases.ts';
import { waitFor } from '../support/wait-for.ts';
import { type E2eWorld, openWorld, pipelineNames } from './e2e-harness.ts';

let world: E2eWorld;

beforeEach(async () => {
  world = await openWorld(0.01);
});

afterEach(async () => {
  await world.close();
});

describe('the local loader', () => {
  it('loads a change once its objects land, long before its interval is up', async () => {
    // Prepare: a loader whose interval alone would leave every change out of the warehouse for ten minutes.
    const pipeline = await LocalPipeline.start({
      sourceUrl: world.source.url,
      warehouseUrl: world.warehouse.url,
      dataDir: world.dataDir,
      ...pipelineNames(world),
      loaderIntervalMs: 600_000,
      compactionEveryMinutes: null,
    });
    try {
      const synced = await currentSourceLsn(world.source.url);
      await waitFor(
        'the initial snapshot in the warehouse',
        async () => BigInt((await pipeline.warehouse.currentCut())?.lsn ?? '-1') >= synced,
        60_000,
      );
      const versions = () =>
        withClient(world.warehouse.url, async (client) =>
          Number(
            (await client.query<{ n: string }>('SELECT count(*) AS n FROM fact_payment WHERE payment_id = 1'))
              .rows[0]?.n,
          ),
        );
      const before = await versions();

      // Act: one change in the source.
      await withClient(world.source.url, (client) =>
        client.query("UPDATE payment SET last_updated = last_updated + interval '1 ms' WHERE payment_id = 1"),
      );

      // Assess: loaded by a run the landing objects woke, well inside the interval.
      expect(
        await waitFor('the new version in the warehouse', async () => (await versions()) > before, 60_000),
      ).toBe(true);
    } finally {
      await pipeline.stop();
    }
  });
});
