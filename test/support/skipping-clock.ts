/**
 * @module
 * A Clock whose sleeps move its time on at once and are recorded: backoff is counted, not waited for (the
 * Clock contract holds: a sleep resolves once `now()` has moved on by its delay).
 */
import type { Clock } from '../../core/ports/clock.ts';

/** A skipping clock starting at `startMs`, with the delays it was asked to sleep. */
export function skippingClock(startMs: number): Clock & { readonly slept: number[] } {
  let now = startMs;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += Math.max(ms, 0);
    },
  };
}
