/**
 * @module
 * When the reader reconnects after a streaming session ended, and when it gives up: full-jitter exponential
 * backoff over consecutive sessions that made no progress (a put that always fails, a slot held by another
 * reader). A session that moved the durable position resets the count.
 */

/** How the reader retries a lost replication connection. */
export interface ReconnectPolicy {
  /** @default 200 */
  readonly baseDelayMs?: number;
  /** @default 10000 */
  readonly maxDelayMs?: number;
  /** Consecutive sessions without progress before giving up. @default 10 */
  readonly maxAttempts?: number;
}

const DEFAULT_POLICY: Required<ReconnectPolicy> = { baseDelayMs: 200, maxDelayMs: 10_000, maxAttempts: 10 };

/** The delay before the next session, or that the reader has to give up. */
export type ReconnectDecision =
  | { readonly kind: 'retry'; readonly delayMs: number }
  | { readonly kind: 'give-up'; readonly attempts: number };

/** Counts failed sessions of one run. */
export class ReconnectBackoff {
  readonly #policy: Required<ReconnectPolicy>;
  readonly #random: () => number;
  #failures = 0;

  /** @param random a number in [0, 1) per decision; `Math.random` unless a test fixes it. */
  constructor(policy: ReconnectPolicy = {}, random: () => number = Math.random) {
    this.#policy = { ...DEFAULT_POLICY, ...policy };
    this.#random = random;
  }

  /** Decides after a session ended; `progressed` when it moved the durable position. */
  afterSession(progressed: boolean): ReconnectDecision {
    this.#failures = progressed ? 1 : this.#failures + 1;
    const { baseDelayMs, maxDelayMs, maxAttempts } = this.#policy;
    if (this.#failures > maxAttempts) return { kind: 'give-up', attempts: maxAttempts };
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (this.#failures - 1));
    return { kind: 'retry', delayMs: this.#random() * ceiling };
  }
}
