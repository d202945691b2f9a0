/**
 * @module
 * The loader Lambda (on a schedule): one run of loader/run-load.ts, then its figures through the metrics
 * port and one log entry. Adapters are created once per container and reused across invocations.
 */
import type { Context } from 'aws-lambda';
import { SERVICES } from '../../core/operations.ts';
import type { Log } from '../../core/ports/log.ts';
import type { MetricsPublisher } from '../../core/ports/metrics.ts';
import { loaderMetricPoints } from '../../loader/loader-metrics.ts';
import { type LoaderDeps, type LoadOutcome, runLoad } from '../../loader/run-load.ts';
import { lambdaLogger, powertoolsLog } from '../operations/powertools-log.ts';
import { lambdaMetrics, powertoolsMetrics } from '../operations/powertools-metrics.ts';
import { createLoaderDeps, readLoaderConfig } from './config.ts';

/** Where the handler reports. */
export interface LoaderOperations {
  readonly log: Log;
  readonly metrics: MetricsPublisher;
}

/** A handler over the given adapters (tests inject DuckDB and a test warehouse). */
export function createHandler(makeDeps: () => Promise<LoaderDeps>, operations: LoaderOperations) {
  let deps: Promise<LoaderDeps> | undefined;
  return async (_event: unknown, context: Pick<Context, 'awsRequestId'>): Promise<LoadOutcome> => {
    const log = operations.log.with({ stage: 'loader', id: context.awsRequestId });
    deps ??= makeDeps();
    try {
      // A failed set-up must not stick to the container: try again on the next invocation.
      const ready = await deps.catch((error: unknown) => {
        deps = undefined;
        throw error;
      });
      const outcome = await runLoad(ready);
      operations.metrics.publish(loaderMetricPoints(outcome));
      log.info(`loader run ${outcome.status}`, {
        lsn: outcome.status === 'loaded' ? outcome.toCut.lsn : outcome.fromCut?.lsn,
      });
      return outcome;
    } catch (error) {
      log.error('loader run failed', { error });
      throw error;
    }
  };
}

/** The Lambda entry point. */
export const handler = createHandler(async () => createLoaderDeps(await readLoaderConfig(process.env)), {
  log: powertoolsLog(lambdaLogger(SERVICES.loader)),
  metrics: powertoolsMetrics(lambdaMetrics(SERVICES.loader)),
});
