/**
 * @module
 * One market collector on AWS (README, "Market data on AWS"): its Lambda (functions/collector/), its
 * EventBridge Scheduler schedule, and for a keyed collector the secret of its API key. The function runs
 * outside any VPC: it calls a public API, and a Lambda without a VPC reaches the internet (and Firehose and
 * Secrets Manager over their public TLS endpoints) through Lambda's own network, where a VPC Lambda would need a
 * NAT gateway (about $32 a month each) to get out. Least privilege: `firehose:PutRecordBatch` on its own
 * tables' streams only, the one secret, and for `files` the `drop/` prefix and its tables' `files-failed/`
 * error prefixes.
 */
import { Duration, type RemovalPolicy, SecretValue } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ERROR_OUTPUT_TYPES } from '../../../core/error-documents.ts';
import { LAKE_PREFIXES } from '../../../core/lake-layout.ts';
import { ENV, MARKET_API_KEY_FIELD } from '../../../core/operations.ts';
import {
  COLLECTOR_TABLES,
  type CollectorName,
  type MarketLakeTableName,
  needsApiKey,
} from '../../../core/schema/market-lake-tables.ts';
import { acknowledge } from '../acknowledge.ts';
import type { MarketCollectorSettings } from '../pipeline-settings.ts';
import { lakeObjectsFinding } from './lake-bucket.ts';
import { PipelineFunction } from './pipeline-function.ts';
import { ScheduledInvoke } from './scheduled-invoke.ts';
import { grantSecretKeyDecrypt } from './secret-key-grant.ts';
import type { TableDeliveryStream } from './table-delivery-stream.ts';

/** When each collector runs (UTC), and why then. */
export const COLLECTOR_SCHEDULES: {
  readonly [C in CollectorName]: { readonly expression: scheduler.ScheduleExpression; readonly why: string };
} = {
  fx: {
    // Every day, weekends too: the fetch of a day without a fixing returns the last one again (harmless), and
    // the no-delivery alarm needs a delivery a day.
    expression: scheduler.ScheduleExpression.cron({ minute: '30', hour: '16' }),
    why: 'daily at 16:30 UTC, after the ECB publishes its reference rates (about 16:00 CET)',
  },
  equities: {
    expression: scheduler.ScheduleExpression.cron({ minute: '30', hour: '22' }),
    why: "daily at 22:30 UTC, after the US close has reached Alpha Vantage's daily series",
  },
  fred: {
    expression: scheduler.ScheduleExpression.cron({ minute: '0', hour: '14' }),
    why: 'daily at 14:00 UTC, after FRED publishes the previous business day (the last 30 days are re-read)',
  },
  crypto: {
    expression: scheduler.ScheduleExpression.rate(Duration.hours(1)),
    why: 'hourly: crypto trades all day, and each fetch updates the price of its UTC day',
  },
  files: {
    expression: scheduler.ScheduleExpression.rate(Duration.minutes(15)),
    why: 'every 15 minutes: a dropped file lands within a quarter of an hour',
  },
};

/** Props of {@link MarketCollector}. */
export interface MarketCollectorProps {
  readonly entry: string;
  readonly settings: MarketCollectorSettings;
  /** The market tables' delivery streams; the collector may put to its own tables' only. */
  readonly streams: readonly TableDeliveryStream<MarketLakeTableName>[];
  readonly streamPrefix: string;
  /** The lake bucket: `files` reads `drop/` and writes refused files under `errors/`. */
  readonly bucket: s3.IBucket;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** The collector's function, schedule and (keyed collectors) API key secret. */
export class MarketCollector extends Construct {
  readonly name: CollectorName;
  readonly fn: PipelineFunction;
  readonly schedule: ScheduledInvoke;
  /** The API key's secret: the one created here, or the user's. */
  readonly apiKeySecret?: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: MarketCollectorProps) {
    super(scope, id);
    const { name } = props.settings;
    this.name = name;
    const tables = COLLECTOR_TABLES[name];
    this.fn = new PipelineFunction(this, 'Function', {
      entry: props.entry,
      description: `totesys-stream ${name} collector: market data into its delivery stream`,
      // An API's retries take about a minute per request (collect/market-api-client.ts), Firehose's seconds.
      timeout: Duration.minutes(5),
      memorySize: 256,
      logRemovalPolicy: props.logRemovalPolicy,
      environment: {
        [ENV.collectorName]: name,
        [ENV.streamPrefix]: props.streamPrefix,
        ...(name === 'files' ? { [ENV.lakeBucket]: props.bucket.bucketName } : {}),
      },
    });
    this.fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'PutOwnStreams',
        actions: ['firehose:PutRecordBatch'],
        resources: props.streams
          .filter((s) => tables.includes(s.lakeTable))
          .map((s) => s.deliveryStream.deliveryStreamArn),
      }),
    );

    if (needsApiKey(name)) {
      this.apiKeySecret = this.#apiKeySecret(props.settings);
      this.apiKeySecret.grantRead(this.fn);
      grantSecretKeyDecrypt(this.fn, props.settings.apiKeySecretKeyArn);
      this.fn.addEnvironment(ENV.marketApiKeySecretArn, this.apiKeySecret.secretArn);
    }
    if (name === 'files') this.#grantDropPrefix(props.bucket, tables);

    this.schedule = new ScheduledInvoke(this, 'Schedule', {
      fn: this.fn,
      rate: COLLECTOR_SCHEDULES[name].expression,
      description: `totesys-stream ${name} collector, ${COLLECTOR_SCHEDULES[name].why}`,
    });
  }

  /** The user's secret, or an empty one (`{"apiKey": ""}`) for the key to be put in. */
  #apiKeySecret(settings: MarketCollectorSettings): secretsmanager.ISecret {
    if (settings.apiKeySecretArn) {
      return secretsmanager.Secret.fromSecretCompleteArn(this, 'ApiKey', settings.apiKeySecretArn);
    }
    const secret = new secretsmanager.Secret(this, 'ApiKey', {
      description: `totesys-stream ${settings.name} collector: its API key (put it in as the apiKey field or alone)`,
      // No key in the template: the field is empty until the user puts the key in (README).
      secretStringValue: SecretValue.unsafePlainText(JSON.stringify({ [MARKET_API_KEY_FIELD]: '' })),
    });
    acknowledge(secret, [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'A market-data API key is issued by its provider, which Secrets Manager cannot ask for a new one: it is replaced by hand (put-secret-value) when the provider reissues it.',
      },
    ]);
    return secret;
  }

  /** `files`: list, read, move and delete under `drop/`; write refused files to its tables' error prefixes. */
  #grantDropPrefix(bucket: s3.IBucket, tables: readonly MarketLakeTableName[]): void {
    this.fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ListDropPrefix',
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${LAKE_PREFIXES.drop}*`] } },
      }),
    );
    this.fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'TakeDroppedFiles',
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [bucket.arnForObjects(`${LAKE_PREFIXES.drop}*`)],
      }),
    );
    const errorPrefixes = tables.map((t) => `${LAKE_PREFIXES.errors}${t}/${ERROR_OUTPUT_TYPES.files}/`);
    this.fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'WriteRefusedFiles',
        actions: ['s3:PutObject'],
        resources: errorPrefixes.map((p) => bucket.arnForObjects(`${p}*`)),
      }),
    );
    const reason =
      'The files collector takes whatever files are dropped under drop/ (names chosen by whoever drops them) and names its error objects by day; each grant is one prefix.';
    acknowledge(this.fn, [
      { id: lakeObjectsFinding(this, LAKE_PREFIXES.drop), reason },
      ...errorPrefixes.map((p) => ({ id: lakeObjectsFinding(this, p), reason })),
    ]);
  }
}
