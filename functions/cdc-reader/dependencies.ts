/**
 * @module
 * The AWS adapters the CDC reader Lambda runs with: Firehose for changes, S3 for state and the round log,
 * Powertools for logs and metrics.
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import type pg from 'pg';
import { SERVICES } from '../../core/operations.ts';
import type { ChangeStream } from '../../core/ports/change-stream.ts';
import type { Log } from '../../core/ports/log.ts';
import type { MetricsPublisher } from '../../core/ports/metrics.ts';
import type { RoundLog } from '../../core/ports/round-log.ts';
import type { StateStore } from '../../core/ports/state-store.ts';
import { ObjectStoreRoundLog } from '../../lake/object-store-round-log.ts';
import { S3ObjectStore } from '../../lake/s3-object-store.ts';
import { AwsFirehosePutter } from '../../reader/aws-firehose-putter.ts';
import { FirehoseChangeStream } from '../../reader/firehose-change-stream.ts';
import { S3StateStore } from '../../reader/state/s3-state-store.ts';
import { rereadingTruncatedTables } from '../../reader/truncated-tables.ts';
import { UnshippableChanges } from '../../reader/unshippable-changes.ts';
import { lambdaLogger, powertoolsLog } from '../operations/powertools-log.ts';
import { lambdaMetrics, powertoolsMetrics } from '../operations/powertools-metrics.ts';
import { type CdcReaderConfig, readConfig, sourceConnection } from './config.ts';

/** Everything the handler needs from outside; tests pass their own. */
export interface CdcReaderDependencies {
  config(): CdcReaderConfig;
  connection(config: CdcReaderConfig): Promise<pg.ClientConfig>;
  changeStream(config: CdcReaderConfig): ChangeStream;
  stateStore(config: CdcReaderConfig): StateStore;
  roundLog(config: CdcReaderConfig): RoundLog;
  /** Time kept back from the Lambda's remaining time for the final ship, acknowledgement and watermarks. */
  readonly safetyMarginMs: number;
  readonly log: Log;
  readonly metrics: MetricsPublisher;
}

/** The production wiring (clients are created once per Lambda container). */
export function awsDependencies(): CdcReaderDependencies {
  const firehose = new FirehoseClient({});
  const s3 = new S3Client({});
  const log = powertoolsLog(lambdaLogger(SERVICES.reader));
  const metrics = powertoolsMetrics(lambdaMetrics(SERVICES.reader));
  const stateStore = (config: CdcReaderConfig) =>
    new S3StateStore({ client: s3, bucket: config.stateBucket, prefix: config.statePrefix });
  return {
    config: () => readConfig(),
    connection: (config) => sourceConnection(config),
    changeStream: (config) => {
      // Dead letters go to the lake bucket's errors/ (the state bucket is the lake bucket, core/lake-layout.ts).
      const unshippable = new UnshippableChanges({
        store: new S3ObjectStore({ client: s3, bucket: config.stateBucket }),
        stateStore: stateStore(config),
        log,
        metrics,
      });
      const stream = new FirehoseChangeStream({
        putter: new AwsFirehosePutter(firehose),
        streamPrefix: config.streamPrefix,
        setAside: unshippable.setAside,
      });
      // A TRUNCATE is answered with a re-read of its table (reader/truncated-tables.ts).
      return rereadingTruncatedTables(unshippable.watching(stream), stateStore(config), log);
    },
    stateStore,
    roundLog: (config) =>
      new ObjectStoreRoundLog(new S3ObjectStore({ client: s3, bucket: config.lakeBucket })),
    safetyMarginMs: 15_000,
    log,
    metrics,
  };
}
