import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { type LogEntry, logWriting } from '../../core/ports/log.ts';
import { compactOnSchedule } from '../../local/local-compaction.ts';
import { ManualClock } from '../../testing/manual-clock.ts';

describe("up's compaction schedule", () => {
  it('compacts once a period after the previous run, goes on after a failure, and leaves no listener behind', async () => {
    const clock = new ManualClock();
    const stop = new AbortController();
    const entries: LogEntry[] = [];
    const log = logWriting((entry) => entries.push(entry));
    let runs = 0;
    const schedule = compactOnSchedule({
      everyMinutes: 1,
      clock,
      signal: stop.signal,
      log,
      compact: async () => {
        runs++;
        if (runs === 3) throw new Error('lake busy');
      },
    });

    await clock.advance(59_999);
    expect(runs).toBe(0);
    for (let minute = 0; minute < 15; minute++) await clock.advance(60_000);
    expect(runs).toBe(15);
    // One sleep waits now; the fifteen before it took their listeners off the run's signal.
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(1);
    expect(entries.map((e) => [e.level, e.message, e.stage])).toEqual([
      ['ERROR', 'compaction failed; retrying at the next run', 'compaction'],
    ]);

    stop.abort();
    await schedule;
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });
});
