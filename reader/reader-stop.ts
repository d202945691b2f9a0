/**
 * @module
 * Why and when a reader run stops: the caller's signal, the time budget (on the injected clock) or a target
 * LSN made durable. The first reason wins; everything that waits in the run wakes on {@link StopRequest.signal}.
 */
import type { Clock } from '../core/ports/clock.ts';

/** What ended a run. */
export type StopReason = 'budget' | 'signal' | 'target';

/** The run's stop: requested once, by the first of its reasons. */
export class StopRequest {
  readonly #controller = new AbortController();
  #reason: StopReason | undefined;

  /** Why the run is stopping, once it is. */
  get reason(): StopReason | undefined {
    return this.#reason;
  }

  /** Aborts when a stop is requested: sleeps and waits given it wake at once. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  request(reason: StopReason): void {
    this.#reason ??= reason;
    this.#controller.abort();
  }

  /**
   * Stops on the caller's `signal` and once `budgetMs` of `clock` time passed. Returns the function that
   * unhooks both (the budget's sleep ends with `done`).
   */
  watch(options: { signal?: AbortSignal; budgetMs?: number; clock: Clock; done: AbortSignal }): () => void {
    const onAbort = () => this.request('signal');
    if (options.signal?.aborted) this.request('signal');
    options.signal?.addEventListener('abort', onAbort);
    const budgetMs = options.budgetMs;
    if (budgetMs !== undefined) {
      const either = AbortSignal.any([options.done, this.signal]);
      void options.clock.sleep(budgetMs, either).then(() => {
        if (!either.aborted) this.request('budget');
      });
    }
    return () => options.signal?.removeEventListener('abort', onAbort);
  }
}
