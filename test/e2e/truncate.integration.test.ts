import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pipelinePaths } from '../../local/data-dir-layout.ts';
import { pendingResnapshots } from '../../reader/resnapshot-requests.ts';
import { FileStateStore } from '../../reader/state/file-state-store.ts';
import { withClient } from '../support/test-databases.ts';
import { type E2eWorld, openWorld, reconcileWorld, syncWorld } from './e2e-harness.ts';

let world: E2eWorld;

beforeEach(async () => {
  world = await openWorld(0.01);
});

afterEach(async () => {
  await world.close();
});

describe('a TRUNCATE at the source', () => {
  it('re-reads the table, so its rows leave the warehouse’s current state, to zero differences', async () => {
    // Prepare: a synced world whose warehouse holds payments.
    await syncWorld(world);
    const current = () =>
      withClient(world.warehouse.url, async (client) =>
        Number((await client.query('SELECT count(*) AS n FROM current_payment')).rows[0].n),
      );
    expect(await current()).toBeGreaterThan(0);

    // Act: the table is truncated (one `t` event, no delete per row); sync, then once more for the re-read.
    await withClient(world.source.url, (client) => client.query('TRUNCATE payment'));
    await syncWorld(world);
    await syncWorld(world);

    // Assess: no re-read is left waiting, no payment is current, and reconcile finds nothing to report.
    expect(await pendingResnapshots(new FileStateStore(pipelinePaths(world.dataDir).state))).toEqual([]);
    expect(await current()).toBe(0);
    expect((await reconcileWorld(world)).differences).toEqual([]);
  });
});
