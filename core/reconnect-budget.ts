/**
 * @module
 * How long a stage keeps trying to reach a database it lost (README, Configuration): one setting,
 * `TOTESYS_RECONNECT_BUDGET_SECONDS`, read by the local runtime and by the Lambdas alike. The default is to keep
 * trying for ever and say so once a minute: an outage of the source or the warehouse must not end change
 * capture; it ends when the database is back. A finite budget makes the stage give up after that many
 * seconds without progress (a supervisor that wants to be told, a test).
 */

/** Seconds of consecutive failures before giving up, or for ever. */
export type ReconnectBudget = { readonly seconds: number } | 'forever';

/** The default: keep trying. */
export const DEFAULT_RECONNECT_BUDGET: ReconnectBudget = 'forever';

/** How often a stage that keeps failing says it is still trying. */
export const STILL_TRYING_NOTICE_MS = 60_000;

/** The setting is not `forever` or a positive number of seconds. */
export class ReconnectBudgetError extends RangeError {
  override readonly name = 'ReconnectBudgetError';
}

/**
 * Reads the setting's text: empty or `forever` keep trying, a positive number is seconds. `name` is the
 * variable or option the text came from, for the message.
 */
export function parseReconnectBudget(text: string | undefined, name: string): ReconnectBudget {
  const trimmed = text?.trim() ?? '';
  if (trimmed === '' || trimmed.toLowerCase() === 'forever') return 'forever';
  const seconds = Number(trimmed);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new ReconnectBudgetError(
      `${name} must be "forever" or a positive number of seconds (got "${trimmed}").`,
    );
  }
  return { seconds };
}

/** The budget in milliseconds (Infinity for ever). */
export function reconnectBudgetMs(budget: ReconnectBudget): number {
  return budget === 'forever' ? Number.POSITIVE_INFINITY : budget.seconds * 1000;
}

/** The budget as a person reads it (`for ever`, `300 s`). */
export function describeReconnectBudget(budget: ReconnectBudget): string {
  return budget === 'forever' ? 'for ever' : `${budget.seconds} s`;
}
