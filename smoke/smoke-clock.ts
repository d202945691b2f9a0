/**
 * @module
 * The smoke run's clock and its one way of waiting: poll a condition until it holds or a deadline passes.
 * Injected so that the orchestration test drives time by hand and never sleeps.
 */

/** Wall-clock time and interruptible sleep. */
export interface SmokeClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** The real clock. */
export const systemClock: SmokeClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    }),
};

/** A condition that did not hold before its deadline; the message says what was awaited and for how long. */
export class SmokeTimeoutError extends Error {
  override readonly name = 'SmokeTimeoutError';
}

/** How long and how often to look. */
export interface PollOptions {
  /** What is awaited, for the timeout message ("the first warehouse load"). */
  readonly what: string;
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly clock: SmokeClock;
  readonly signal: AbortSignal;
}

/**
 * Calls `probe` until it returns a value other than `undefined`, waiting `intervalMs` between calls; throws
 * {@link SmokeTimeoutError} once `timeoutMs` have passed, or the signal's reason once it aborts.
 */
export async function pollUntil<T>(probe: () => Promise<T | undefined>, options: PollOptions): Promise<T> {
  const deadline = options.clock.now() + options.timeoutMs;
  for (;;) {
    options.signal.throwIfAborted();
    const value = await probe();
    if (value !== undefined) return value;
    if (options.clock.now() >= deadline) {
      throw new SmokeTimeoutError(
        `Gave up waiting for ${options.what} after ${Math.round(options.timeoutMs / 60_000)} min.`,
      );
    }
    await options.clock.sleep(options.intervalMs, options.signal);
  }
}
