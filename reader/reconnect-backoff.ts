/**
 * @module
 * When the reader reconnects after a streaming session ended, and when it gives up: full-jitter exponential
 * backoff over consecutive sessions that made no progress (a put that always fails, a slot held by another
 * reader, a database that is down). A session that moved the durable position resets the count. By default it
 * never gives up (core/reconnect-budget.ts: `TOTESYS_RECONNECT_BUDGET_SECONDS`, for ever unless set), and an
 * outage is told when it starts and then once a minute, not at every attempt.
 */
import {
  DEFAULT_RECONNECT_BUDGET,
  type ReconnectBudget,
  reconnectBudgetMs,
  STILL_TRYING_NOTICE_MS,
} from '../core/reconnect-budget.ts';

/** How the reader retries a lost replication connection. */
export interface ReconnectPolicy {
  /** @default 200 */
  readonly baseDelayMs?: number;
  /** @default 10000 */
  readonly maxDelayMs?: number;
  /** Consecutive sessions without progress before giving up. @default no limit */
  readonly maxAttempts?: number;
  /** How long sessions may go on failing without progress before giving up. @default for ever */
  readonly budget?: ReconnectBudget;
}

const DEFAULT_POLICY: Required<ReconnectPolicy> = {
  baseDelayMs: 200,
  maxDelayMs: 10_000,
  maxAttempts: Number.POSITIVE_INFINITY,
  budget: DEFAULT_RECONNECT_BUDGET,
};

/** The delay before the next session, or that the reader has to give up. */
export type ReconnectDecision =
  | {
      readonly kind: 'retry';
      readonly delayMs: number;
      /** Failed sessions in a row, this one included. */
      readonly attempts: number;
      /** Since the first of them. */
      readonly failingForMs: number;
      /** Whether to say so: the first failure of a run, then once a minute. */
      readonly tell: boolean;
    }
  | { readonly kind: 'give-up'; readonly attempts: number; readonly failingForMs: number };

/** Counts failed sessions of one run. */
export class ReconnectBackoff {
  readonly #policy: Required<ReconnectPolicy>;
  readonly #random: () => number;
  #failures = 0;
  #failingSince = 0;
  #toldAt = Number.NEGATIVE_INFINITY;

  /** @param random a number in [0, 1) per decision; `Math.random` unless a test fixes it. */
  constructor(policy: ReconnectPolicy = {}, random: () => number = Math.random) {
    this.#policy = { ...DEFAULT_POLICY, ...policy };
    this.#random = random;
  }

  /** The policy's budget, for messages. */
  get budget(): ReconnectBudget {
    return this.#policy.budget;
  }

  /** Decides after a session ended at `nowMs`; `progressed` when it moved the durable position. */
  afterSession(progressed: boolean, nowMs: number): ReconnectDecision {
    this.#failures = progressed ? 1 : this.#failures + 1;
    if (this.#failures === 1) this.#failingSince = nowMs;
    const failingForMs = nowMs - this.#failingSince;
    const { baseDelayMs, maxDelayMs, maxAttempts, budget } = this.#policy;
    if (this.#failures > maxAttempts || failingForMs > reconnectBudgetMs(budget)) {
      return { kind: 'give-up', attempts: this.#failures - 1, failingForMs };
    }
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(this.#failures - 1, 30));
    const tell = this.#failures === 1 || nowMs - this.#toldAt >= STILL_TRYING_NOTICE_MS;
    if (tell) this.#toldAt = nowMs;
    return { kind: 'retry', delayMs: this.#random() * ceiling, attempts: this.#failures, failingForMs, tell };
  }
}
