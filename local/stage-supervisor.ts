/**
 * @module
 * Keeps one stage of the local pipeline running (README, What it guarantees): when a run of it fails, the
 * failure is told once and the stage starts again after an exponential backoff with full jitter (1 s, doubling,
 * at most 30 s), for ever by default; a long outage is told once a minute, not at every attempt. A run that
 * lasted a minute before failing was progress: the backoff starts over. A deterministic failure
 * (core/failure-kind.ts) is not retried: it is the caller's to report. The reconnect budget
 * (core/reconnect-budget.ts) bounds how long failures may go on before the stage gives up for good.
 */
import { failureKind } from '../core/failure-kind.ts';
import { type Log, type LogStage, SILENT_LOG } from '../core/ports/log.ts';
import {
  DEFAULT_RECONNECT_BUDGET,
  describeReconnectBudget,
  type ReconnectBudget,
  reconnectBudgetMs,
  STILL_TRYING_NOTICE_MS,
} from '../core/reconnect-budget.ts';

/** The stage kept failing for longer than its reconnect budget. */
export class StageGaveUpError extends Error {
  override readonly name = 'StageGaveUpError';
}

/** Options of {@link superviseStage}. */
export interface SuperviseStageOptions {
  readonly stage: LogStage;
  /** One run of the stage; resolving means it stopped on purpose (no restart). */
  readonly run: () => Promise<unknown>;
  /** Aborting stops restarting (the run itself is stopped by its own means). */
  readonly signal: AbortSignal;
  readonly log?: Log;
  /** @default for ever */
  readonly budget?: ReconnectBudget;
  /** @default 1000 */
  readonly baseDelayMs?: number;
  /** @default 30000 */
  readonly maxDelayMs?: number;
  /** Clock and wait, injected by tests. */
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly random?: () => number;
  /** What the warnings say; by default that the stage stopped and restarts. */
  readonly messages?: {
    readonly failing: string;
    readonly stillFailing: (seconds: number, attempts: number, budget: string) => string;
  };
}

/** A run this long before it failed counts as progress: the backoff starts over. */
const PROGRESS_MS = 60_000;

/** Runs the stage until it stops on purpose or `signal` aborts; see the module comment. */
export async function superviseStage(options: SuperviseStageOptions): Promise<void> {
  const log = (options.log ?? SILENT_LOG).with({ stage: options.stage });
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? abortableDelay;
  const random = options.random ?? Math.random;
  const budget = options.budget ?? DEFAULT_RECONNECT_BUDGET;
  const base = options.baseDelayMs ?? 1000;
  const cap = options.maxDelayMs ?? 30_000;
  let failures = 0;
  let failingSince = 0;
  let reportedAt = Number.NEGATIVE_INFINITY;
  while (!options.signal.aborted) {
    const startedAt = now();
    try {
      await options.run();
      return;
    } catch (error) {
      if (options.signal.aborted) return;
      // What fails the same on every attempt (a source not set up for replication) needs a person, not a retry.
      if (failureKind(error) === 'deterministic') throw error;
      const at = now();
      if (at - startedAt >= PROGRESS_MS) failures = 0;
      failures += 1;
      if (failures === 1) failingSince = startedAt;
      if (at - failingSince > reconnectBudgetMs(budget)) {
        throw new StageGaveUpError(
          `The ${options.stage} kept failing for ${Math.round((at - failingSince) / 1000)} s, over its reconnect ` +
            `budget of ${describeReconnectBudget(budget)}: ${(error as Error).message}`,
          { cause: error },
        );
      }
      const delay = Math.floor(random() * Math.min(cap, base * 2 ** Math.min(failures - 1, 30)));
      if (failures === 1 || at - reportedAt >= STILL_TRYING_NOTICE_MS) {
        reportedAt = at;
        const seconds = Math.round((at - failingSince) / 1000);
        log.warn(
          failures === 1
            ? (options.messages?.failing ?? 'stopped with an error; restarting')
            : (options.messages?.stillFailing(seconds, failures, describeReconnectBudget(budget)) ??
                `still failing after ${seconds} s (${failures} attempts); restarting, ` +
                  `budget ${describeReconnectBudget(budget)}`),
          { delayMs: delay, error },
        );
      }
      await sleep(delay, options.signal);
    }
  }
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
