/**
 * @module
 * The Clock contract (core/ports/clock.ts) as a test suite every implementation runs: the system clock and
 * the manual clock.
 */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../core/ports/clock.ts';

/** One clock and a way to let `ms` of its time pass (the wall clock waits; a manual clock advances). */
export interface ClockUnderTest {
  readonly clock: Clock;
  pass(ms: number): Promise<void>;
}

/** Registers the contract for clocks from `fresh`. */
export function describeClockContract(name: string, fresh: () => ClockUnderTest): void {
  describe(`${name} (Clock contract)`, () => {
    it('tells milliseconds since the epoch that never go backwards', async () => {
      const { clock, pass } = fresh();
      const first = clock.now();
      await pass(5);
      const second = clock.now();

      expect(Number.isInteger(first)).toBe(true);
      expect(first).toBeGreaterThan(Date.UTC(2020, 0, 1));
      expect(second).toBeGreaterThanOrEqual(first + 5);
    });

    it('wakes a sleep only once its time has passed, and sleeps in the order they fall due', async () => {
      const { clock, pass } = fresh();
      const start = clock.now();
      const woken: string[] = [];
      const long = clock.sleep(20).then(() => woken.push(`long at +${clock.now() - start >= 20}`));
      const short = clock.sleep(5).then(() => woken.push(`short at +${clock.now() - start >= 5}`));

      await pass(25);
      await Promise.all([long, short]);

      expect(woken).toEqual(['short at +true', 'long at +true']);
    });

    it('does not wait for a sleep of zero or less', async () => {
      const { clock } = fresh();
      await expect(Promise.all([clock.sleep(0), clock.sleep(-1)])).resolves.toBeDefined();
    });

    it('wakes a sleep at once when its signal aborts, and does not sleep on an aborted signal', async () => {
      const { clock } = fresh();
      const controller = new AbortController();
      const sleeping = clock.sleep(60 * 60 * 1000, controller.signal);

      controller.abort();

      await expect(sleeping).resolves.toBeUndefined();
      await expect(clock.sleep(60 * 60 * 1000, controller.signal)).resolves.toBeUndefined();
    });

    it('leaves no listener on a long-lived signal once a sleep ends, by time or by abort', async () => {
      const { clock, pass } = fresh();
      // One sleep that ends by time and one that ends by abort: each must take its listener off.
      const runs = new AbortController();
      const timed = clock.sleep(2, runs.signal);
      await pass(3);
      await timed;
      const aborted = new AbortController();
      const cut = clock.sleep(60 * 60 * 1000, aborted.signal);
      aborted.abort();
      await cut;

      expect(getEventListeners(runs.signal, 'abort')).toHaveLength(0);
      expect(getEventListeners(aborted.signal, 'abort')).toHaveLength(0);
    });
  });
}
