/**
 * @module
 * Deterministic or transient: whether trying the same thing again can succeed. A stage retries a transient
 * failure (a dropped connection, throttling) with backoff; a deterministic one (a record over a service
 * limit, a stream that does not exist) fails the same way every time, so it is reported at once instead of
 * being retried until a budget runs out. An error says which it is with a `failureKind` property; a wrapper
 * keeps its cause's kind (`{ cause }`).
 */

/** The two kinds; anything not marked deterministic is treated as transient. */
export type FailureKind = 'deterministic' | 'transient';

/** How deep the cause chain is followed. */
const MAX_CAUSES = 8;

/** The kind of a failure: `deterministic` when it or any cause in its chain is marked so. */
export function failureKind(error: unknown): FailureKind {
  let current: unknown = error;
  for (let depth = 0; depth <= MAX_CAUSES && current instanceof Error; depth++) {
    if ((current as { failureKind?: unknown }).failureKind === 'deterministic') return 'deterministic';
    current = current.cause;
  }
  return 'transient';
}
