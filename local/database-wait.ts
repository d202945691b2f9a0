/**
 * @module
 * `up` started while the source or the warehouse is down (README, "Nothing stuck"): instead of failing, it
 * waits for the database with the same backoff and reconnect budget as the stages (local/stage-supervisor.ts,
 * `TOTESYS_RECONNECT_BUDGET_SECONDS`, for ever by default), saying so at once and then once a minute. What
 * waiting cannot fix (a refused login, a database that does not exist, wal_level not logical) fails at once.
 */
import type { Log } from '../core/ports/log.ts';
import type { ReconnectBudget } from '../core/reconnect-budget.ts';
import { DatabaseUnreachableError } from './database-checks.ts';
import { type SuperviseStageOptions, superviseStage } from './stage-supervisor.ts';

/** Options of {@link untilDatabasesAnswer}. */
export type DatabaseWaitOptions = Pick<
  SuperviseStageOptions,
  'signal' | 'baseDelayMs' | 'maxDelayMs' | 'now' | 'sleep' | 'random'
> & {
  readonly log?: Log;
  readonly budget?: ReconnectBudget;
};

/**
 * The result of `open` (which connects to the databases), tried again while it fails on a database that does
 * not answer; undefined when `signal` aborted first.
 */
export async function untilDatabasesAnswer<T>(
  open: () => Promise<T>,
  options: DatabaseWaitOptions,
): Promise<T | undefined> {
  let opened: { value: T } | undefined;
  let fatal: { error: unknown } | undefined;
  await superviseStage({
    ...options,
    stage: 'source',
    run: async () => {
      try {
        opened = { value: await open() };
      } catch (error) {
        // Only a database that does not answer is waited for; anything else is the caller's to report.
        if (!isConnectionFailure(error)) {
          fatal = { error };
          return;
        }
        throw error;
      }
    },
    messages: {
      failing: 'a database does not answer; waiting for it',
      stillFailing: (seconds, attempts, budget) =>
        `still waiting for the database after ${seconds} s (${attempts} attempts), budget ${budget}`,
    },
  });
  if (fatal) throw fatal.error;
  return opened?.value;
}

/** Connection-level codes: the server is down, starting, shutting down or unreachable. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  '57P01',
  '57P03',
]);

/** How deep the cause chain is searched. */
const MAX_CAUSES = 8;

function isConnectionFailure(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth <= MAX_CAUSES && current instanceof Error; depth++) {
    if (current instanceof DatabaseUnreachableError) return current.failureKind === 'transient';
    if (CONNECTION_CODES.has(String((current as { code?: unknown }).code))) return true;
    if (/Connection terminated/i.test(current.message)) return true;
    current = current.cause;
  }
  return false;
}
