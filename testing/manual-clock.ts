/**
 * @module
 * A clock that moves only when the test moves it (the Clock port, core/ports/clock.ts): the reader's
 * cadences, backoff and budget then run on the test's time, with no wall-clock wait.
 */
import type { Clock } from '../core/ports/clock.ts';

interface Sleeper {
  readonly due: number;
  readonly order: number;
  readonly wake: () => void;
}

/** Yields to the event loop a few times, so code woken by a sleep runs up to its next wait. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A manual clock; starts at `startMs` (default 2022-11-03T14:20:49.962Z, a time the fixtures use). */
export class ManualClock implements Clock {
  #now: number;
  #order = 0;
  #sleepers: Sleeper[] = [];

  constructor(startMs = Date.UTC(2022, 10, 3, 14, 20, 49, 962)) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (ms <= 0 || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const sleeper: Sleeper = {
        due: this.#now + ms,
        order: this.#order++,
        wake: () => {
          this.#sleepers = this.#sleepers.filter((other) => other !== sleeper);
          signal?.removeEventListener('abort', sleeper.wake);
          resolve();
        },
      };
      this.#sleepers.push(sleeper);
      signal?.addEventListener('abort', sleeper.wake, { once: true });
    });
  }

  /** Sleeps not yet woken (a test waits for the code under test to be waiting). */
  get sleeping(): number {
    return this.#sleepers.length;
  }

  /**
   * Moves time on by `ms`, waking each sleep as its time comes, in due order, and letting the woken code run
   * (to its next wait) before time moves further.
   */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      const next = this.#sleepers
        .filter((sleeper) => sleeper.due <= end)
        .sort((a, b) => a.due - b.due || a.order - b.order)[0];
      if (!next) break;
      this.#now = Math.max(this.#now, next.due);
      next.wake();
      await settle();
    }
    this.#now = end;
    await settle();
  }
}
