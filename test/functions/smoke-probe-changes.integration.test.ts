import { afterEach, describe, expect, it } from 'vitest';
import { SOURCE_TABLE_NAMES } from '../../core/schema/source-tables.ts';
import {
  inspectProbeChanges,
  makeProbeChanges,
  PROBED_TABLES,
  ProbeChangeError,
} from '../../functions/smoke-probe/probe-changes.ts';
import { type E2eWorld, openWorld, syncWorld } from '../e2e/e2e-harness.ts';
import { withClient } from '../support/test-databases.ts';

let world: E2eWorld | undefined;

afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('the smoke probe’s changes', () => {
  it('changes every source table once, and sees each change in the warehouse only after the pipeline loaded it', async () => {
    // Prepare
    world = await openWorld(0.01);
    await syncWorld(world);
    const opened = world;

    // Act
    const changes = await withClient(opened.source.url, (c) => makeProbeChanges(c, 'smoke 0a1b2c3d'));
    const before = await withClient(opened.warehouse.url, (c) => inspectProbeChanges(c, changes));
    await syncWorld(opened);
    const after = await withClient(opened.warehouse.url, (c) => inspectProbeChanges(c, changes));

    // Assess
    expect([...PROBED_TABLES].sort()).toEqual([...SOURCE_TABLE_NAMES].sort());
    expect(changes.map((c) => c.table)).toEqual(PROBED_TABLES);
    expect(before.visible).toEqual([]);
    expect(before.cutLoadedAt).not.toBeNull();
    expect([...after.visible].sort()).toEqual([...SOURCE_TABLE_NAMES].sort());
    expect(Date.parse(after.cutLoadedAt ?? '')).toBeGreaterThan(Date.parse(before.cutLoadedAt ?? ''));
    // The payment moved by exactly one cent, as text: no float on the way.
    const payment = changes.find((c) => c.table === 'payment');
    expect(payment?.value).toMatch(/^\d+\.\d\d$/);
  }, 600_000);

  it('sees nothing in a warehouse the loader has not created yet', async () => {
    world = await openWorld(0.01);
    const opened = world;
    const changes = await withClient(opened.source.url, (c) => makeProbeChanges(c, 'smoke x'));
    expect(await withClient(opened.warehouse.url, (c) => inspectProbeChanges(c, changes))).toEqual({
      visible: [],
      cutLoadedAt: null,
    });
  });

  it('names the table it could not change in an empty source, and says to load it', async () => {
    world = await openWorld(0);
    const opened = world;
    await expect(withClient(opened.source.url, (c) => makeProbeChanges(c, 'smoke x'))).rejects.toThrow(
      new ProbeChangeError(
        'Source table address has no row the smoke can change: load the demo source first (the source loader\'s {"action":"seed"}).',
      ),
    );
  });
});
