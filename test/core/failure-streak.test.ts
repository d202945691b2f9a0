import { describe, expect, it } from 'vitest';
import { FailureStreak } from '../../core/failure-streak.ts';
import { ManualClock } from '../../testing/manual-clock.ts';

/** Runs failing once a second (up's loader cadence) for `seconds`, and how many of them were told. */
async function failEverySecond(streak: FailureStreak, clock: ManualClock, seconds: number, error: Error) {
  const told = [];
  for (let i = 0; i < seconds; i++) {
    const notice = streak.failed(error);
    if (notice.tell) told.push(notice);
    await clock.advance(1000);
  }
  return told;
}

describe('a repeating run that keeps failing', () => {
  it('is told at once, then once a minute with the runs failed since, and once when it recovers', async () => {
    const clock = new ManualClock();
    const streak = new FailureStreak(clock);
    const down = new Error('connect ECONNREFUSED 127.0.0.1:5432');

    const told = await failEverySecond(streak, clock, 150, down);
    const recovered = streak.succeeded();

    // Runs 1, 61 and 121 of 150: the first at once, then one a minute, each saying how many failed by then.
    expect(told).toEqual([
      { tell: true, runs: 1, failingForMs: 0, first: true },
      { tell: true, runs: 61, failingForMs: 60_000, first: false },
      { tell: true, runs: 121, failingForMs: 120_000, first: false },
    ]);
    expect(recovered).toEqual({ tell: true, runs: 150, failingForMs: 150_000 });
    // A run that succeeds with nothing failed before says nothing; the next failure is a first again.
    expect(streak.succeeded()).toEqual({ tell: false });
    expect(streak.failed(down)).toMatchObject({ tell: true, runs: 1, first: true });
  });

  it('tells a different failure at once', async () => {
    const clock = new ManualClock();
    const streak = new FailureStreak(clock);
    await failEverySecond(streak, clock, 5, new Error('connect ECONNREFUSED 127.0.0.1:5432'));

    const other = streak.failed(new Error('permission denied for schema pipeline'));

    expect(other).toEqual({ tell: true, runs: 6, failingForMs: 5000, first: false });
    expect(streak.failed(new Error('permission denied for schema pipeline'))).toEqual({ tell: false });
  });
});
