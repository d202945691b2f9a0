/**
 * @module
 * The collector Lambda (README, "Market data on AWS"): one run of one collector, invoked by its EventBridge
 * Scheduler schedule. A thin shell over the `collect/` core the CLI runs: the same collectors and shipping,
 * through the RecordBatchPutter port to Amazon Data Firehose; the API key from Secrets Manager (never the
 * environment, never a log); the `files` collector over `drop/` of the lake bucket. On success it publishes
 * `CollectorRunsDelivered` (the no-delivery alarm's metric); a failed run wrote nothing and throws, so Lambda
 * counts an error, and the next tick fetches again.
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { collectOnce, configureCollector } from '../../collect/configured-collector.ts';
import { collectDroppedFileBatch } from '../../collect/dropped-file-batch.ts';
import { describeErrorChain } from '../../core/error-chain.ts';
import { LAKE_PREFIXES } from '../../core/lake-layout.ts';
import { COLLECTOR_DIMENSION, METRICS, SERVICES } from '../../core/operations.ts';
import { type Clock, SYSTEM_CLOCK } from '../../core/ports/clock.ts';
import type { Log } from '../../core/ports/log.ts';
import type { MetricsPublisher } from '../../core/ports/metrics.ts';
import type { ObjectStore } from '../../core/ports/object-store.ts';
import type { RecordBatchPutter } from '../../core/ports/record-batch-putter.ts';
import { S3ObjectStore } from '../../lake/s3-object-store.ts';
import { AwsFirehosePutter } from '../../reader/aws-firehose-putter.ts';
import { lambdaLogger, powertoolsLog } from '../operations/powertools-log.ts';
import { lambdaMetrics, powertoolsMetrics } from '../operations/powertools-metrics.ts';
import { type CollectorConfig, readApiKey, readCollectorConfig } from './config.ts';

/** What one run did. */
export interface CollectorRunResult {
  readonly collector: string;
  readonly rows: number;
  readonly records?: number;
  /** `files` only: files shipped and refused. */
  readonly files?: { readonly accepted: number; readonly refused: number };
}

/** Everything the handler needs from outside; tests pass their own. */
export interface CollectorDependencies {
  config(): CollectorConfig;
  apiKey(secretArn: string): Promise<string>;
  readonly putter: RecordBatchPutter;
  /** The lake bucket's store (the `files` collector's drop prefix and error objects). */
  lake(bucket: string): ObjectStore;
  readonly clock: Clock;
  readonly log: Log;
  readonly metrics: MetricsPublisher;
}

/** Builds the handler over its dependencies. */
export function createHandler(deps: CollectorDependencies) {
  return async (
    _event: unknown,
    context?: Partial<Pick<Context, 'awsRequestId'>>,
  ): Promise<CollectorRunResult> => {
    const config = deps.config();
    const log = deps.log.with({ stage: 'collector', id: context?.awsRequestId });
    let result: CollectorRunResult;
    try {
      result = await runCollector(deps, config, log);
    } catch (error) {
      log.error(`collect ${config.collector} failed: ${describeErrorChain(error)}`, { error });
      throw error;
    }
    const dimensions = { [COLLECTOR_DIMENSION]: config.collector };
    deps.metrics.publish([
      { name: METRICS.collector.runsDelivered, unit: 'Count', value: 1, dimensions },
      { name: METRICS.collector.rowsShipped, unit: 'Count', value: result.rows, dimensions },
    ]);
    log.info(`collect ${config.collector} delivered`, { rows: result.rows });
    return result;
  };
}

async function runCollector(
  deps: CollectorDependencies,
  config: CollectorConfig,
  log: Log,
): Promise<CollectorRunResult> {
  if (config.collector === 'files') {
    // readCollectorConfig refuses `files` without a bucket.
    const lake = deps.lake(config.lakeBucket!);
    const summary = await collectDroppedFileBatch({
      drop: lake,
      dropPrefix: LAKE_PREFIXES.drop,
      lake,
      putter: deps.putter,
      clock: deps.clock,
      streamPrefix: config.streamPrefix,
      log,
    });
    return {
      collector: 'files',
      rows: summary.rows,
      files: { accepted: summary.accepted, refused: summary.refused.length },
    };
  }
  const apiKey = config.apiKeySecretArn ? await deps.apiKey(config.apiKeySecretArn) : undefined;
  const configured = configureCollector(
    config.collector,
    { kind: 'http', ...(config.apiUrl ? { apiUrl: config.apiUrl } : {}) },
    {
      clock: deps.clock,
      ...(apiKey ? { apiKey } : {}),
      missingKeyHint: 'give the function its secret (README, Market data on AWS).',
    },
  );
  const summary = await collectOnce(configured, {
    putter: deps.putter,
    clock: deps.clock,
    log,
    streamPrefix: config.streamPrefix,
  });
  return { collector: summary.collector, rows: summary.rows, records: summary.records };
}

const secrets = new SecretsManagerClient({});
const s3 = new S3Client({});

/** The Lambda entry point (clients are created once per container). */
export const handler = createHandler({
  config: () => readCollectorConfig(),
  apiKey: (arn) => readApiKey(secrets, arn),
  putter: new AwsFirehosePutter(new FirehoseClient({})),
  lake: (bucket) => new S3ObjectStore({ client: s3, bucket }),
  clock: SYSTEM_CLOCK,
  log: powertoolsLog(lambdaLogger(SERVICES.collector)),
  metrics: powertoolsMetrics(lambdaMetrics(SERVICES.collector)),
});
