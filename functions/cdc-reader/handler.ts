/**
 * @module
 * The CDC reader Lambda (scheduled every minute): streams until its time budget is nearly spent, then ships,
 * acknowledges, puts watermarks and returns a summary. All logic is in reader/. Single flight is the
 * replication slot's: PostgreSQL lets one reader at a time stream from it, so a tick that finds it active
 * (the previous run still streaming) returns `busy` at once instead of failing.
 */
import type { Context } from 'aws-lambda';
import type pg from 'pg';
import { METRICS, WATERMARK_ROUND_INTERVAL_MS } from '../../core/operations.ts';
import { createClient } from '../../postgres/connections.ts';
import { type ReaderSummary, runReader } from '../../reader/reader-loop.ts';
import { findSlot } from '../../reader/source-setup.ts';
import { isAuthenticationFailure } from '../operations/database-secret.ts';
import type { CdcReaderConfig } from './config.ts';
import { awsDependencies, type CdcReaderDependencies } from './dependencies.ts';

/** A tick that found another run streaming from the slot. */
export interface BusyOutcome {
  readonly status: 'busy';
}

/** Builds the handler over its dependencies. */
export function createHandler(deps: CdcReaderDependencies) {
  return async (
    _event: unknown,
    context: Pick<Context, 'getRemainingTimeInMillis'> & Partial<Pick<Context, 'awsRequestId'>>,
  ): Promise<ReaderSummary | BusyOutcome> => {
    const config = deps.config();
    const log = deps.log.with({ stage: 'reader', id: context.awsRequestId });
    const budget = () => context.getRemainingTimeInMillis() - deps.safetyMarginMs;
    if (budget() <= 0)
      throw new Error(`No time budget left: raise the function timeout above ${deps.safetyMarginMs} ms.`);
    let source = await deps.connection(config);
    try {
      if (await slotActive(source, config)) {
        log.info('another reader run is streaming from the slot; this tick does nothing', {
          slot: config.slot,
        });
        return { status: 'busy' };
      }
    } catch (error) {
      if (!isAuthenticationFailure(error)) throw error;
      // A rotated password: the secret is read on every run, and once more here (the rotation may have
      // landed between the read and the login).
      log.warn('source login refused; reading its secret again', { error });
      source = await deps.connection(config);
      if (await slotActive(source, config)) return { status: 'busy' };
    }
    const changeStream = deps.changeStream(config);
    try {
      const summary = await runReader({
        source,
        changeStream,
        stateStore: deps.stateStore(config),
        roundLog: deps.roundLog(config),
        // One round per loader interval at most: a round more often proves nothing the loader would read.
        watermarkIntervalMs: WATERMARK_ROUND_INTERVAL_MS.aws,
        metricsIntervalMs: 5000,
        slot: config.slot,
        publication: config.publication,
        budgetMs: budget(),
        reconnect: { budget: config.reconnectBudget },
        maxBufferedBytes: config.memory.readerBufferBytes,
        log,
        metrics: deps.metrics,
      });
      deps.metrics.publish([{ name: METRICS.runs.readerCompleted, unit: 'Count', value: 1 }]);
      return summary;
    } finally {
      await changeStream.close();
    }
  };
}

/** Whether another session streams from the reader's slot right now (false when there is no slot yet). */
async function slotActive(source: pg.ClientConfig, config: CdcReaderConfig): Promise<boolean> {
  const client = createClient(source);
  await client.connect();
  try {
    return (await findSlot(client, config.slot))?.active === true;
  } finally {
    await client.end();
  }
}

/** The Lambda entry point. */
export const handler = createHandler(awsDependencies());
