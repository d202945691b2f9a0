import { describe, expect, it } from 'vitest';
import { StageGaveUpError, superviseStage } from '../../local/stage-supervisor.ts';
import { SourceCheckError } from '../../reader/source-setup.ts';
import { memoryLog } from '../../testing/memory-operations.ts';

/** A manual clock: `sleep` moves it instead of waiting. */
function manualClock() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
    sleeps,
  };
}

describe('superviseStage', () => {
  it('restarts a failing stage with a capped exponential backoff until it stops on purpose', async () => {
    const clock = manualClock();
    const { entries, log } = memoryLog();
    let runs = 0;
    await superviseStage({
      stage: 'reader',
      signal: new AbortController().signal,
      log,
      now: clock.now,
      sleep: clock.sleep,
      random: () => 0.999,
      run: async () => {
        runs += 1;
        if (runs < 8) throw new Error('connection refused');
      },
    });

    expect(runs).toBe(8);
    expect(clock.sleeps).toEqual([999, 1998, 3996, 7992, 15984, 29970, 29970]);
    // Told once at the first failure, then once a minute at most.
    expect(entries.map((entry) => entry.message)).toEqual([
      'stopped with an error; restarting',
      expect.stringMatching(/^still failing after \d+ s \(7 attempts\); restarting, budget for ever$/),
    ]);
    expect(entries[0]).toMatchObject({ level: 'WARN', stage: 'reader' });
  });

  it('keeps trying for ever by default, and gives up past a finite reconnect budget', async () => {
    const clock = manualClock();
    let forever = 0;
    const abort = new AbortController();
    await superviseStage({
      stage: 'reader',
      signal: abort.signal,
      now: clock.now,
      sleep: clock.sleep,
      run: async () => {
        forever += 1;
        clock.advance(1000);
        if (forever === 2000) abort.abort();
        throw new Error('down');
      },
    });
    expect(forever).toBe(2000);
    expect(clock.now()).toBeGreaterThan(3_600_000);

    const bounded = manualClock();
    await expect(
      superviseStage({
        stage: 'reader',
        signal: new AbortController().signal,
        budget: { seconds: 120 },
        now: bounded.now,
        sleep: bounded.sleep,
        run: async () => {
          throw new Error('down');
        },
      }),
    ).rejects.toThrow(StageGaveUpError);
    expect(bounded.now()).toBeGreaterThan(120_000);
    expect(bounded.now()).toBeLessThan(200_000);
  });

  it('does not retry a deterministic failure: it needs a person', async () => {
    let runs = 0;
    await expect(
      superviseStage({
        stage: 'reader',
        signal: new AbortController().signal,
        sleep: async () => undefined,
        run: async () => {
          runs += 1;
          throw new SourceCheckError(['wal_level is replica; set it to logical']);
        },
      }),
    ).rejects.toThrow(/wal_level/);
    expect(runs).toBe(1);
  });
});
