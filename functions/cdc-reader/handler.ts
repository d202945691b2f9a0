/**
 * @module
 * The CDC reader Lambda (scheduled every minute, reserved concurrency 1): streams until its time budget is
 * nearly spent, then ships, acknowledges, puts watermarks and returns a summary. All logic is in reader/.
 */
import type { Context } from 'aws-lambda';
import { type ReaderSummary, runReader } from '../../reader/reader-loop.ts';
import { awsDependencies, type CdcReaderDependencies } from './dependencies.ts';

/** Builds the handler over its dependencies. */
export function createHandler(deps: CdcReaderDependencies) {
  return async (
    _event: unknown,
    context: Pick<Context, 'getRemainingTimeInMillis'> & Partial<Pick<Context, 'awsRequestId'>>,
  ): Promise<ReaderSummary> => {
    const config = deps.config();
    const budgetMs = context.getRemainingTimeInMillis() - deps.safetyMarginMs;
    if (budgetMs <= 0)
      throw new Error(`No time budget left: raise the function timeout above ${deps.safetyMarginMs} ms.`);
    const changeStream = deps.changeStream(config);
    try {
      return await runReader({
        source: await deps.connection(config),
        changeStream,
        stateStore: deps.stateStore(config),
        roundLog: deps.roundLog(config),
        // One round per run at most (the final one): the loader reads the lake once a minute.
        watermarkIntervalMs: 60_000,
        metricsIntervalMs: 5000,
        slot: config.slot,
        publication: config.publication,
        budgetMs,
        log: deps.log.with({ id: context.awsRequestId }),
        metrics: deps.metrics,
      });
    } finally {
      await changeStream.close();
    }
  };
}

/** The Lambda entry point. */
export const handler = createHandler(awsDependencies());
