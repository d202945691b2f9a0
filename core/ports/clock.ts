/**
 * @module
 * Clock: where code that waits or measures reads time (the reader's cadences, backoff and budget), so a test
 * can drive time with a manual clock (testing/manual-clock.ts) instead of waiting on the wall clock.
 */

/**
 * The time and a way to wait for it.
 *
 * Contract:
 * - **Now.** `now()` is milliseconds since the Unix epoch and never goes backwards.
 * - **Sleep.** `sleep(ms)` resolves once `now()` has moved on by at least `ms` (at once for `ms <= 0`); sleeps
 *   resolve in the order they fall due.
 * - **Abort.** A sleep whose `signal` aborts resolves at once (it never rejects), and one given an aborted
 *   signal does not wait at all: callers check what woke them.
 * - **No trace on the signal.** A sleep that ends, however it ends, leaves no listener on its `signal`: a
 *   long-lived signal serves every sleep of a loop that runs for days.
 */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * The wall clock: `Date.now()` and `setTimeout`. A Node timer may fire up to a millisecond before `Date.now()`
 * has moved on by its delay (timers run on the monotonic clock, rounded), so an early wake re-arms for the rest
 * and the contract's "at least `ms`" holds.
 */
export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted || ms <= 0) {
        resolve();
        return;
      }
      const due = Date.now() + ms;
      let timer: ReturnType<typeof setTimeout>;
      const wake = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', wake);
        resolve();
      };
      const check = () => {
        const left = due - Date.now();
        if (left > 0) timer = setTimeout(check, left);
        else wake();
      };
      timer = setTimeout(check, ms);
      signal?.addEventListener('abort', wake, { once: true });
    }),
};

/**
 * Runs `task` every `intervalMs` on `clock` until `signal` aborts: the first run one interval after the call,
 * each next one an interval after the previous one finished (runs never overlap). A task that throws is
 * reported to `onError` and the cadence goes on. Resolves once stopped and no run is under way.
 */
export async function repeatUntilAborted(
  clock: Clock,
  intervalMs: number,
  signal: AbortSignal,
  task: () => Promise<void> | void,
  onError: (error: unknown) => void,
): Promise<void> {
  for (;;) {
    await clock.sleep(intervalMs, signal);
    if (signal.aborted) return;
    try {
      await task();
    } catch (error) {
      onError(error);
    }
  }
}
