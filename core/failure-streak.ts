/**
 * @module
 * When a run that repeats on a short cadence (`up`'s loader, every second: core/operations.ts
 * `LOADER_INTERVAL_MS.local`) tells a person about its failures: the first failure at once, then at most once
 * every {@link STILL_TRYING_NOTICE_MS} while the same failure repeats (with how many runs failed since the
 * first), a different failure at once, and one line when a run succeeds again. Without it a warehouse outage
 * logged the same ERROR every second (README, What it guarantees: "Nothing stuck").
 */
import type { Clock } from './ports/clock.ts';
import { STILL_TRYING_NOTICE_MS } from './reconnect-budget.ts';

/** What to say after a failed run: nothing, or that it failed (`runs` failed in a row, this one included). */
export type FailureNotice =
  | { readonly tell: false }
  | { readonly tell: true; readonly runs: number; readonly failingForMs: number; readonly first: boolean };

/** What to say after a run that succeeded: nothing, or that it recovered after `runs` failed runs. */
export type RecoveryNotice =
  | { readonly tell: false }
  | { readonly tell: true; readonly runs: number; readonly failingForMs: number };

/** Counts the failed runs in a row of one repeating task; see the module comment. */
export class FailureStreak {
  readonly #clock: Pick<Clock, 'now'>;
  #runs = 0;
  #since = 0;
  #toldAt = Number.NEGATIVE_INFINITY;
  #told: string | undefined;

  constructor(clock: Pick<Clock, 'now'>) {
    this.#clock = clock;
  }

  /** Records a failed run; `error`'s name and message tell one failure from another. */
  failed(error: unknown): FailureNotice {
    const now = this.#clock.now();
    this.#runs += 1;
    if (this.#runs === 1) this.#since = now;
    const signature = error instanceof Error ? `${error.name}: ${error.message}` : typeof error;
    const first = this.#runs === 1;
    if (!first && signature === this.#told && now - this.#toldAt < STILL_TRYING_NOTICE_MS)
      return { tell: false };
    this.#told = signature;
    this.#toldAt = now;
    return { tell: true, runs: this.#runs, failingForMs: now - this.#since, first };
  }

  /** Records a run that succeeded; ends the streak. */
  succeeded(): RecoveryNotice {
    if (this.#runs === 0) return { tell: false };
    const notice = { tell: true, runs: this.#runs, failingForMs: this.#clock.now() - this.#since } as const;
    this.#runs = 0;
    this.#told = undefined;
    this.#toldAt = Number.NEGATIVE_INFINITY;
    return notice;
  }
}
