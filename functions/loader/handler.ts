/**
 * @module
 * The loader Lambda (on a schedule): one run of loader/run-load.ts, then the market step (loader/market-merge.ts
 * `MarketMergeGate`, as `up` runs it), then their figures through the metrics port and one log entry. Adapters
 * are created once per container and reused across invocations; so is the market gate's digest, which a cold
 * start forgets (its first run merges once more, idempotently).
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { AWS_DELIVERY_DEADLINE_MS } from '../../core/delivery-stream-spec.ts';
import { LAKE_PREFIXES } from '../../core/lake-layout.ts';
import { ENV, METRICS, SERVICES } from '../../core/operations.ts';
import type { LeaseStore } from '../../core/ports/lease-store.ts';
import type { Log } from '../../core/ports/log.ts';
import type { MetricPoint, MetricsPublisher } from '../../core/ports/metrics.ts';
import { LakeObjectRecovery } from '../../lake/lake-object-recovery.ts';
import { S3ObjectStore } from '../../lake/s3-object-store.ts';
import { loaderMetricPoints } from '../../loader/loader-metrics.ts';
import type { GatedMarketMerge } from '../../loader/market-merge.ts';
import { type LoadOutcome, runLoad } from '../../loader/run-load.ts';
import { requestResnapshot } from '../../reader/resnapshot-requests.ts';
import { S3LeaseStore } from '../../reader/state/s3-lease-store.ts';
import { S3StateStore } from '../../reader/state/s3-state-store.ts';
import { isAuthenticationFailure } from '../operations/database-secret.ts';
import { lambdaLogger, powertoolsLog } from '../operations/powertools-log.ts';
import { lambdaMetrics, powertoolsMetrics } from '../operations/powertools-metrics.ts';
import { createLoaderDeps, type LoaderFunctionDeps, readLoaderConfig } from './config.ts';

/** Where the handler reports, and how it keeps to one run at a time. */
export interface LoaderOperations {
  readonly log: Log;
  readonly metrics: MetricsPublisher;
  /**
   * Single flight without reserved concurrency: a run holds the `loader` lease for its remaining time plus
   * a minute; a tick that finds it held returns `busy` (the cut would refuse a concurrent load anyway).
   */
  readonly leases: LeaseStore;
  /**
   * Quarantines what the lake lost (an object Athena cannot read, a partition short of its round's count) and
   * has its tables re-read, as locally (lake/lake-object-recovery.ts); without it such a run fails.
   */
  readonly recovery?: LakeObjectRecovery;
  /** The clock for the delivery deadline (epoch milliseconds). @default Date.now */
  readonly now?: () => number;
}

/** The name of the loader's lease. */
export const LOADER_LEASE = 'loader';

/** A tick that found another run holding the lease. */
export interface BusyOutcome {
  readonly status: 'busy';
}

/** A handler over the given adapters (tests inject DuckDB and a test warehouse). */
export function createHandler(makeDeps: () => Promise<LoaderFunctionDeps>, operations: LoaderOperations) {
  let deps: Promise<LoaderFunctionDeps> | undefined;
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
    /** The market step over this container's deps, when they were set up; it logs its own failure. */
    const mergeMarket = async (runLog: Log): Promise<GatedMarketMerge | undefined> => {
      const held = await deps?.catch(() => undefined);
      return held?.market?.mergeIfLakeChanged(runLog);
    };
    const ready = async (): Promise<LoaderFunctionDeps> => {
      deps ??= makeDeps();
      // A failed set-up must not stick to the container: try again on the next invocation.
      return deps.catch((error: unknown) => {
        deps = undefined;
        throw error;
      });
    };
    try {
      let outcome: LoadOutcome;
      let loginRetried = false;
      for (;;) {
        try {
          outcome = await runLoad(await ready());
          break;
        } catch (error) {
          // An unreadable lake object is moved aside (its table re-read) and the load tried again at once.
          if (await operations.recovery?.recover(error)) continue;
          if (loginRetried || !isAuthenticationFailure(error)) throw error;
          // The password cached with this container's warehouse was rotated: read the secret again, once.
          log.warn('warehouse login refused; reading its secret again', { error });
          await closeDeps(await deps);
          deps = undefined;
          loginRetried = true;
        }
      }
      if (outcome.status === 'loaded' && outcome.missingRecords.length > 0)
        await operations.recovery?.recoverMissing(outcome.missingRecords);
      // A watermark still missing a delivery deadline after its round is gone, not late (README, "A lake
      // object deleted while nothing read it"): noted, its table re-read, so the cut does not wait for good.
      const now = (operations.now ?? Date.now)();
      const overdue = outcome.waiting.filter((p) => now - Date.parse(p.emittedAt) > AWS_DELIVERY_DEADLINE_MS);
      if (overdue.length > 0) await operations.recovery?.recoverLostWatermarks(overdue);
      const market = await mergeMarket(log);
      operations.metrics.publish([
        ...loaderMetricPoints(outcome),
        ...marketMergePoints(market),
        { name: METRICS.runs.loaderCompleted, unit: 'Count', value: 1 },
      ]);
      log.info(`loader run ${outcome.status}`, {
        lsn: outcome.status === 'loaded' ? outcome.toCut.lsn : outcome.fromCut?.lsn,
        ...(market?.status === 'merged' ? { counts: market.rows } : {}),
      });
      return outcome;
    } catch (error) {
      log.error('loader run failed', { error });
      // Market tables take no part in the cut: a failed star load does not hold them back.
      operations.metrics.publish(marketMergePoints(await mergeMarket(log)));
      throw error;
    } finally {
      await lease.release();
    }
  };
}

/** A failed market merge counts 1 (alarmed: it fails nothing else, so nothing else would say so). */
function marketMergePoints(market: GatedMarketMerge | undefined): MetricPoint[] {
  return market?.status === 'failed' ? [{ name: METRICS.market.mergesFailed, unit: 'Count', value: 1 }] : [];
}

/** Ends the connections of deps set up before a refused login. */
async function closeDeps(held: LoaderFunctionDeps | undefined): Promise<void> {
  await (held?.close ? held.close() : held?.warehouse.close())?.catch(() => undefined);
}

const s3 = new S3Client({});
const lakeBucket = process.env[ENV.lakeBucket] ?? '';
const log = powertoolsLog(lambdaLogger(SERVICES.loader));
const metrics = powertoolsMetrics(lambdaMetrics(SERVICES.loader));
// The reader's state lives in the lake bucket under state/ (cdk/lib/constructs/cdc-reader.ts): its re-read
// requests are documents there.
const readerState = new S3StateStore({ client: s3, bucket: lakeBucket, prefix: LAKE_PREFIXES.state });

/** The Lambda entry point. */
export const handler = createHandler(async () => createLoaderDeps(await readLoaderConfig(process.env)), {
  log,
  metrics,
  leases: new S3LeaseStore({ client: s3, bucket: lakeBucket, prefix: LAKE_PREFIXES.state }),
  recovery: new LakeObjectRecovery({
    store: new S3ObjectStore({ client: s3, bucket: lakeBucket }),
    root: `s3://${lakeBucket}`,
    requestReread: (tables) => requestResnapshot(readerState, tables),
    log: log.with({ stage: 'loader' }),
    metrics,
  }),
});
