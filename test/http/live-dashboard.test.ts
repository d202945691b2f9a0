import { describe, expect, it } from 'vitest';
import type { DashboardSnapshot } from '../../http/dashboard-snapshot.ts';
import { LiveDashboard } from '../../http/live-dashboard.ts';
import { waitFor } from '../support/wait-for.ts';

/** A feed whose readings finish when the test says, and whose loads the test announces. */
function controlledFeed() {
  let loads = 0;
  let onLoad = () => undefined as unknown;
  const readings: { loadsSeen: number; finish: () => void }[] = [];
  let listening = false;
  const live = new LiveDashboard({
    read: () =>
      new Promise<DashboardSnapshot>((resolve) => {
        const loadsSeen = loads;
        readings.push({
          loadsSeen,
          finish: () => resolve({ readAt: String(loadsSeen) } as DashboardSnapshot),
        });
      }),
    listenForLoads: (callback) => {
      listening = true;
      onLoad = callback;
      return async () => {
        listening = false;
      };
    },
    refreshSeconds: 3600,
  });
  return {
    live,
    readings,
    isListening: () => listening,
    load() {
      loads++;
      onLoad();
    },
  };
}

describe('the live dashboard feed', () => {
  it('never reads twice at once, and reads once more after loads heard during a reading', async () => {
    // Prepare
    const feed = controlledFeed();
    const seen: string[] = [];
    const unsubscribe = feed.live.subscribe((snapshot) => seen.push(snapshot.readAt));
    expect(feed.readings).toHaveLength(1);

    // Act: three loads arrive while the first reading runs.
    feed.load();
    feed.load();
    feed.load();
    expect(feed.readings).toHaveLength(1);
    feed.readings[0]!.finish();
    await waitFor('the second reading', () => feed.readings.length === 2);
    feed.readings[1]!.finish();
    await waitFor('its snapshot', () => seen.length === 2);

    // Assess: one reading for the three loads, and the last snapshot saw the last load.
    expect(feed.readings.map((r) => r.loadsSeen)).toEqual([0, 3]);
    expect(seen).toEqual(['0', '3']);
    unsubscribe();
    await feed.live.close();
  });

  it('listens only while someone is subscribed', async () => {
    const feed = controlledFeed();
    const first = feed.live.subscribe(() => undefined);
    const second = feed.live.subscribe(() => undefined);
    expect(feed.isListening()).toBe(true);
    first();
    expect(feed.isListening()).toBe(true);
    second();
    await waitFor('the listener to stop', () => !feed.isListening());
    feed.readings[0]?.finish();
    await feed.live.close();
  });
});
