/**
 * @module
 * The loader Lambda (on a schedule): one run of loader/run-load.ts, then its figures through the metrics
 * port and one log entry. Adapters are created once per container and reused across invocations.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { LAKE_PREFIXES } from '../../core/lake-layout.ts';
import { ENV, METRICS, SERVICES } from '../../core/operations.ts';
import type { LeaseStore } from '../../core/ports/lease-store.ts';
import type { Log } from '../../core/ports/log.ts';
import type { MetricsPublisher } from '../../core/ports/metrics.ts';
import { loaderMetricPoints } from '../../loader/loader-metrics.ts';
import { type LoaderDeps, type LoadOutcome, runLoad } from '../../loader/run-load.ts';
import { S3LeaseStore } from '../../reader/state/s3-lease-store.ts';
import { isAuthenticationFailure } from '../operations/database-secret.ts';
import { lambdaLogger, powertoolsLog } from '../operations/powertools-log.ts';
import { lambdaMetrics, powertoolsMetrics } from '../operations/powertools-metrics.ts';
import { createLoaderDeps, readLoaderConfig } from './config.ts';

/** Where the handler reports, and how it keeps to one run at a time. */
export interface LoaderOperations {
  readonly log: Log;
  readonly metrics: MetricsPublisher;
  /**
   * Single flight without reserved concurrency: a run holds the `loader` lease for its remaining time plus
   * a minute; a tick that finds it held returns `busy` (the cut would refuse a concurrent load anyway).
   */
  readonly leases: LeaseStore;
}

/** The name of the loader's lease. */
export const LOADER_LEASE = 'loader';

/** A tick that found another run holding the lease. */
export interface BusyOutcome {
  readonly status: 'busy';
}

/** A handler over the given adapters (tests inject DuckDB and a test warehouse). */
export function createHandler(makeDeps: () => Promise<LoaderDeps>, operations: LoaderOperations) {
  let deps: Promise<LoaderDeps> | undefined;
  return async (
    _event: unknown,
    context: Pick<Context, 'awsRequestId' | 'getRemainingTimeInMillis'>,
  ): Promise<LoadOutcome | BusyOutcome> => {
    const log = operations.log.with({ stage: 'loader', id: context.awsRequestId });
    const lease = await operations.leases.acquire(LOADER_LEASE, context.getRemainingTimeInMillis() + 60_000);
    if (!lease) {
      log.info('another loader run holds the lease; this tick does nothing');
      return { status: 'busy' };
    }
    const ready = async (): Promise<LoaderDeps> => {
      deps ??= makeDeps();
      // A failed set-up must not stick to the container: try again on the next invocation.
      return deps.catch((error: unknown) => {
        deps = undefined;
        throw error;
      });
    };
    try {
      let outcome: LoadOutcome;
      try {
        outcome = await runLoad(await ready());
      } catch (error) {
        if (!isAuthenticationFailure(error)) throw error;
        // The password cached with this container's warehouse was rotated: read the secret again, once.
        log.warn('warehouse login refused; reading its secret again', { error });
        await (await deps)?.warehouse.close().catch(() => undefined);
        deps = undefined;
        outcome = await runLoad(await ready());
      }
      operations.metrics.publish([
        ...loaderMetricPoints(outcome),
        { name: METRICS.runs.loaderCompleted, unit: 'Count', value: 1 },
      ]);
      log.info(`loader run ${outcome.status}`, {
        lsn: outcome.status === 'loaded' ? outcome.toCut.lsn : outcome.fromCut?.lsn,
      });
      return outcome;
    } catch (error) {
      log.error('loader run failed', { error });
      throw error;
    } finally {
      await lease.release();
    }
  };
}

/** The Lambda entry point. */
export const handler = createHandler(async () => createLoaderDeps(await readLoaderConfig(process.env)), {
  log: powertoolsLog(lambdaLogger(SERVICES.loader)),
  metrics: powertoolsMetrics(lambdaMetrics(SERVICES.loader)),
  leases: new S3LeaseStore({
    client: new S3Client({}),
    bucket: process.env[ENV.lakeBucket] ?? '',
    prefix: LAKE_PREFIXES.state,
  }),
});
