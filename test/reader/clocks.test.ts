import { describe, expect, it } from 'vitest';
import { repeatUntilAborted, SYSTEM_CLOCK } from '../../core/ports/clock.ts';
import { ManualClock } from '../../testing/manual-clock.ts';
import { describeClockContract } from '../support/clock-contract.ts';

describeClockContract('SYSTEM_CLOCK', () => ({
  clock: SYSTEM_CLOCK,
  pass: (ms) => SYSTEM_CLOCK.sleep(ms),
}));

describeClockContract('ManualClock', () => {
  const clock = new ManualClock();
  return { clock, pass: (ms) => clock.advance(ms) };
});

describe('repeatUntilAborted', () => {
  it('runs a task once per interval of the clock, goes on after a failure, and stops on abort', async () => {
    const clock = new ManualClock();
    const stop = new AbortController();
    const runs: number[] = [];
    const errors: unknown[] = [];
    const start = clock.now();

    const repeating = repeatUntilAborted(
      clock,
      1000,
      stop.signal,
      () => {
        runs.push(clock.now() - start);
        if (runs.length === 2) throw new Error('second run fails');
      },
      (error) => errors.push(error),
    );
    await clock.advance(999);
    expect(runs).toEqual([]);
    await clock.advance(2001);
    stop.abort();
    await repeating;
    await clock.advance(5000);

    expect(runs).toEqual([1000, 2000, 3000]);
    expect(errors).toEqual([new Error('second run fails')]);
  });
});
