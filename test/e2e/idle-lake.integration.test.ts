/**
 * An idle source costs nothing in the lake: once synced, the running pipeline writes no object while the
 * source changes nothing, yet its cut follows the WAL (heartbeats, other databases' writes) through the
 * round log's quiet mark.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../lake/fs-object-store.ts';
import { LOCAL_LAKE_BUCKET, pipelinePaths } from '../../local/data-dir-layout.ts';
import { LocalPipeline } from '../../local/pipeline.ts';
import { currentSourceLsn } from '../../local/sync.ts';
import { createTestDatabase, type TestDatabase, withClient } from '../support/test-databases.ts';
import { waitFor } from '../support/wait-for.ts';
import { type E2eWorld, openWorld } from './e2e-harness.ts';

let world: E2eWorld;
let other: TestDatabase;

beforeEach(async () => {
  world = await openWorld(0.01);
  other = await createTestDatabase('idle_churn');
});

afterEach(async () => {
  await other.drop();
  await world.close();
});

describe('an idle source', () => {
  it('adds no lake object while the cut follows the WAL', async () => {
    // Prepare: a pipeline synced to the seeded source.
    const pipeline = await LocalPipeline.start({
      sourceUrl: world.source.url,
      warehouseUrl: world.warehouse.url,
      dataDir: world.dataDir,
      slot: world.slot,
      publication: `${world.source.name}_pub`,
      loaderIntervalMs: 100,
      watermarkIntervalMs: 100,
    });
    try {
      const synced = await currentSourceLsn(world.source.url);
      await waitFor(
        'the first load to reach the source',
        async () => BigInt((await pipeline.warehouse.currentCut())?.lsn ?? '-1') >= synced,
        60_000,
      );
      const store = new FsObjectStore(pipelinePaths(world.dataDir).lake, LOCAL_LAKE_BUCKET);
      await waitFor('the first quiet mark', async () => (await store.get('rounds/quiet.json')) !== undefined);
      const before = (await store.list('')).map((o) => o.key);

      // Act: only another database of the cluster is written, and the pipeline keeps running.
      await withClient(other.url, (client) =>
        client.query('CREATE TABLE noise AS SELECT generate_series(1, 5000) AS n'),
      );
      const moved = await currentSourceLsn(world.source.url);
      const runs = pipeline.loadRuns;
      await waitFor(
        'the cut to pass the other database’s writes',
        async () => BigInt((await pipeline.warehouse.currentCut())?.lsn ?? '-1') >= moved,
        60_000,
      );
      await waitFor('twenty more loader runs', () => pipeline.loadRuns >= runs + 20, 60_000);

      // Assess: the same objects, the round log's quiet mark included (replaced, not added).
      expect((await store.list('')).map((o) => o.key)).toEqual(before);
    } finally {
      await pipeline.stop();
    }
  });
});
