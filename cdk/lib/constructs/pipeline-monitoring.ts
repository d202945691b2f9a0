/**
 * @module
 * What on-call watches: one alarm per lag figure of the README's Watching lag (metrics the Lambdas publish in
 * embedded metric format, names from core/operations.ts), Firehose freshness and failures per stream, failed
 * records landing under errors/, Lambda errors and throttles, the source's replication slot and free storage;
 * all on one dashboard and notifying one SNS topic.
 */
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { ALARM_THRESHOLDS } from '../../../core/alarm-thresholds.ts';
import {
  COLLECTOR_DIMENSION,
  METRIC_NAMESPACE,
  METRICS,
  SERVICE_DIMENSION,
  SERVICES,
  type ServiceName,
  TABLE_DIMENSION,
} from '../../../core/operations.ts';
import type { LakeTableName } from '../../../core/schema/lake-tables.ts';
import type { CollectorName } from '../../../core/schema/market-lake-tables.ts';
import { acknowledge } from '../acknowledge.ts';
import { ERRORS_METRICS_FILTER_ID } from './lake-bucket.ts';
import type { CatalogTableName } from './lake-catalog.ts';

/** A delivery stream and the lake table it fills. */
export interface MonitoredStream<T extends CatalogTableName = LakeTableName> {
  readonly deliveryStreamName: string;
  readonly lakeTable: T;
}

/**
 * Alarm thresholds; each default (core/alarm-thresholds.ts, which the dashboard's red marks use too) is what
 * "behind" means for a one-minute pipeline.
 */
export interface LagThresholds {
  /** @default 300 (seconds since the oldest commit not yet accepted by Firehose) */
  readonly readerLagSeconds?: number;
  /** @default 1 GiB of WAL held by the slot */
  readonly readerSlotLagBytes?: number;
  /** @default 900 (per lake table: now minus the newest watermark that reached the lake) */
  readonly lakeLagSeconds?: number;
  /** @default 900 */
  readonly warehouseLagSeconds?: number;
  /** @default 900 (p95 of commit-to-warehouse latency per load) */
  readonly endToEndP95Seconds?: number;
  /** @default 5 GiB of WAL (RDS OldestReplicationSlotLag) */
  readonly rdsSlotLagBytes?: number;
  /** @default 5 GiB (RDS FreeStorageSpace below this alarms) */
  readonly rdsFreeStorageBytes?: number;
}

/** Props of {@link PipelineMonitoring}. */
export interface PipelineMonitoringProps {
  readonly streams: readonly MonitoredStream[];
  /**
   * The market tables' delivery streams: alarmed on freshness, processing and conversion like the others, not
   * on lake lag (observations carry no watermark; a collector's own alarm says it stopped delivering).
   * @default none
   */
  readonly marketStreams?: readonly MonitoredStream<CatalogTableName>[];
  /**
   * The deployed market collectors: each alarms when it has delivered nothing for a day (README, "Market data
   * on AWS").
   * @default none
   */
  readonly collectors?: readonly CollectorName[];
  readonly reader: lambda.IFunction;
  readonly transformer: lambda.IFunction;
  readonly loader: lambda.IFunction;
  /**
   * The gold-price model's daily function: alarmed on its errors, and when it has written no prediction for a
   * day (README, "The gold-price model").
   * @default none
   */
  readonly forecaster?: lambda.IFunction;
  /** Name of the lake bucket, whose `errors` request-metrics filter counts failed records. */
  readonly bucketName: string;
  /** The delivery streams' buffering interval; freshness alarms sit well above it. */
  readonly bufferingInterval: Duration;
  /** RDS instance identifier of the source; without it the RDS alarms are not created. */
  readonly sourceDbInstanceIdentifier?: string;
  /** Where alarm notifications are emailed; without it the topic has no subscription. */
  readonly alarmEmail?: string;
  readonly thresholds?: LagThresholds;
  /** @default 'totesys-stream' */
  readonly dashboardName?: string;
  /**
   * CloudWatch namespace the pipeline's functions publish under (`POWERTOOLS_METRICS_NAMESPACE`).
   * @default METRIC_NAMESPACE (`TotesysStream`)
   */
  readonly metricNamespace?: string;
  /**
   * Time between two loader runs; the loader's no-completed-run alarm waits three of them (at least 15 min).
   * @default 1 minute
   */
  readonly loaderRate?: Duration;
  /**
   * Whether the reader and loader have reserved concurrency. With it, ticks that arrive while a run holds the
   * one execution are throttled and expire by design, so dropped async events are not alarmed; without it a
   * dropped tick means the account's concurrency ran out.
   * @default false
   */
  readonly reservedConcurrency?: boolean;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * Hours without a delivery before a collector alarms, or without a saved prediction before the forecast
 * function does: a day, plus two for a daily schedule's jitter.
 */
export const COLLECTOR_SILENT_HOURS = 26;

/** The dashboard, the alarms and the alarm topic. */
export class PipelineMonitoring extends Construct {
  readonly topic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    const t = { ...ALARM_THRESHOLDS, ...props.thresholds };
    this.topic = new sns.Topic(this, 'Alarms', { displayName: 'totesys-stream alarms', enforceSSL: true });
    // With enforceSSL the topic gets a policy of its own, which replaces SNS's default one: without this
    // Allow nothing may publish, CloudWatch included, and no alarm would ever notify anyone.
    const stack = Stack.of(this);
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    acknowledge(this.topic, [
      {
        id: 'AwsSolutions-SNS2',
        reason:
          'Alarm notifications carry no pipeline data; CloudWatch cannot publish to a topic under the AWS managed SNS key, and a customer key would cost more than it protects.',
      },
    ]);

    // Powertools Metrics puts the publishing function's `service` dimension on every metric.
    const pipeline = (
      service: ServiceName,
      metricName: string,
      statistic: string,
      dimensions: Record<string, string> = {},
    ) =>
      new cloudwatch.Metric({
        namespace: props.metricNamespace ?? METRIC_NAMESPACE,
        metricName,
        statistic,
        period: FIVE_MINUTES,
        dimensionsMap: { [SERVICE_DIMENSION]: service, ...dimensions },
      });

    // Lag figures (README, Watching lag).
    const readerLag = pipeline(SERVICES.reader, METRICS.reader.lagSeconds, 'Maximum');
    const slotLag = pipeline(SERVICES.reader, METRICS.reader.slotLagBytes, 'Maximum');
    const warehouseLag = pipeline(SERVICES.loader, METRICS.warehouse.lagSeconds, 'Maximum');
    const e2eP50 = pipeline(SERVICES.loader, METRICS.endToEnd.p50Seconds, 'Maximum');
    const e2eP95 = pipeline(SERVICES.loader, METRICS.endToEnd.p95Seconds, 'Maximum');
    const e2eMax = pipeline(SERVICES.loader, METRICS.endToEnd.maxSeconds, 'Maximum');
    // The reader publishes its lag on every run (0 when idle): silence means it is not running.
    this.#alarm(
      'ReaderLag',
      readerLag,
      t.readerLagSeconds,
      'The CDC reader is behind the source (seconds since the oldest unshipped commit), or not running.',
      cloudwatch.TreatMissingData.BREACHING,
    );
    this.#alarm(
      'ReaderSlotLag',
      slotLag,
      t.readerSlotLagBytes,
      'The replication slot holds back this much WAL; the source keeps it on disk until the reader catches up.',
    );
    this.#alarm(
      'ReaderChangesSetAside',
      pipeline(SERVICES.reader, METRICS.unshippable.changesSetAside, 'Sum'),
      0,
      'The reader set aside a change it can never ship (over the Firehose record limit) under errors/<table>/reader-failed/.',
    );
    this.#alarm(
      'TransformerEventsRejected',
      pipeline(SERVICES.transformer, METRICS.transformer.eventsRejected, 'Sum'),
      0,
      'The transformation refused a change event packed among good ones and set it aside under errors/<table>/transformer-failed/ (`errors list` names the reason).',
    );
    this.#alarm(
      'SchemaDrift',
      pipeline(SERVICES.reader, METRICS.schemaDrift.tablesDrifted, 'Maximum'),
      0,
      "Source tables no longer match the pipeline's schema (added, dropped, renamed or retyped columns); see the README, Schema drift.",
    );
    const lakeLags = props.streams.map((s) => {
      const metric = pipeline(SERVICES.loader, METRICS.lake.lagSeconds, 'Maximum', {
        [TABLE_DIMENSION]: s.lakeTable,
      });
      this.#alarm(
        `LakeLag-${s.lakeTable}`,
        metric,
        t.lakeLagSeconds,
        `No recent watermark reached lake table ${s.lakeTable}: its delivery stream is behind or failing.`,
      );
      return metric;
    });
    // The loader and compaction both quarantine what they cannot read (lake/lake-object-recovery.ts): one alarm.
    this.#alarm(
      'LakeObjectsQuarantined',
      new cloudwatch.MathExpression({
        expression: 'FILL(loader, 0) + FILL(compaction, 0)',
        usingMetrics: {
          loader: pipeline(SERVICES.loader, METRICS.lake.objectsQuarantined, 'Sum'),
          compaction: pipeline(SERVICES.compaction, METRICS.lake.objectsQuarantined, 'Sum'),
        },
        label: 'lake objects quarantined',
        period: FIVE_MINUTES,
      }),
      0,
      'The loader or compaction quarantined a lake object it could not read (or the loader found a partition short of its round) and the table is re-read from the source; see quarantine/ in the lake bucket and the loader or compaction log.',
    );
    this.#alarm(
      'MarketMergeFailed',
      pipeline(SERVICES.loader, METRICS.market.mergesFailed, 'Sum'),
      0,
      "The loader's market step failed (the star load went on): the warehouse's market tables no longer follow the lake; see the loader log for 'market merge failed'.",
    );
    this.#alarm(
      'WarehouseLag',
      warehouseLag,
      t.warehouseLagSeconds,
      'Changes have waited above the warehouse cut this long (0 when nothing is behind): the loader is behind or failing.',
    );
    this.#alarm(
      'EndToEndP95',
      e2eP95,
      t.endToEndP95Seconds,
      '95% of the changes a load made visible took longer than this from commit to warehouse.',
    );

    // Firehose, per stream.
    const freshnessThreshold = props.bufferingInterval.toSeconds() * 2 + 300;
    const firehoseMetric = (name: string, metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Firehose',
        metricName,
        statistic,
        period: FIVE_MINUTES,
        dimensionsMap: { DeliveryStreamName: name },
      });
    const freshness = [...props.streams, ...(props.marketStreams ?? [])].map((s) => {
      const metric = firehoseMetric(s.deliveryStreamName, 'DeliveryToS3.DataFreshness', 'Maximum');
      this.#alarm(
        `Freshness-${s.lakeTable}`,
        metric,
        freshnessThreshold,
        `The oldest record in ${s.deliveryStreamName} is older than two buffering intervals plus 5 minutes: delivery to S3 is stuck.`,
      );
      const processing = firehoseMetric(s.deliveryStreamName, 'ExecuteProcessing.Success', 'Minimum');
      this.#alarm(
        `Processing-${s.lakeTable}`,
        processing,
        1,
        `Invocations of the transformation Lambda from ${s.deliveryStreamName} failed; after 3 retries the batch goes to errors/.`,
        cloudwatch.TreatMissingData.NOT_BREACHING,
        cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      );
      const conversion = firehoseMetric(s.deliveryStreamName, 'FailedConversion.Records', 'Sum');
      this.#alarm(
        `Conversion-${s.lakeTable}`,
        conversion,
        0,
        `Records of ${s.deliveryStreamName} failed Parquet conversion (schema mismatch) and went to errors/.`,
      );
      return metric;
    });

    // S3 request metrics on the errors/ filter: each PUT there is Firehose writing records that failed
    // processing or conversion, whatever the cause, so one alarm covers both paths.
    const errorObjects = new cloudwatch.Metric({
      namespace: 'AWS/S3',
      metricName: 'PutRequests',
      statistic: 'Sum',
      period: FIVE_MINUTES,
      dimensionsMap: { BucketName: props.bucketName, FilterId: ERRORS_METRICS_FILTER_ID },
    });
    this.#alarm(
      'ErrorObjects',
      errorObjects,
      ALARM_THRESHOLDS.errorObjects,
      'Firehose wrote failed records under errors/ in the lake bucket; inspect them and replay.',
    );

    // Lambdas.
    const functions = {
      Reader: props.reader,
      Transformer: props.transformer,
      Loader: props.loader,
      ...(props.forecaster ? { Forecast: props.forecaster } : {}),
    };
    for (const [name, fn] of Object.entries(functions)) {
      this.#alarm(
        `${name}Errors`,
        fn.metricErrors({ period: FIVE_MINUTES }),
        0,
        `The ${name.toLowerCase()} Lambda failed.`,
      );
    }
    this.#alarm(
      'TransformerThrottles',
      props.transformer.metricThrottles({ period: FIVE_MINUTES }),
      0,
      'The transformation Lambda was throttled; Firehose retries, then sends the batch to errors/.',
    );
    // What on-call acts on for the two scheduled functions: no run finished for a while (a tick that finds
    // the previous run still busy is the design's normal case, not a failure), and ticks Lambda dropped.
    const loaderWindow = Math.min(
      1440,
      Math.max(15, 3 * (props.loaderRate ?? Duration.minutes(1)).toMinutes()),
    );
    const runs = [
      ['Reader', props.reader, METRICS.runs.readerCompleted, SERVICES.reader, 15],
      ['Loader', props.loader, METRICS.runs.loaderCompleted, SERVICES.loader, loaderWindow],
    ] as const;
    for (const [name, fn, metricName, service, minutes] of runs) {
      const completed = new cloudwatch.Metric({
        namespace: props.metricNamespace ?? METRIC_NAMESPACE,
        metricName,
        statistic: 'Sum',
        period: Duration.minutes(minutes),
        dimensionsMap: { [SERVICE_DIMENSION]: service },
      });
      this.#alarm(
        `${name}Stalled`,
        completed,
        1,
        `No ${name.toLowerCase()} run finished in ${minutes} minutes: runs fail, time out or never start.`,
        cloudwatch.TreatMissingData.BREACHING,
        cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      );
      if (!props.reservedConcurrency) {
        this.#alarm(
          `${name}TicksDropped`,
          fn.metric('AsyncEventsDropped', { statistic: 'Sum', period: FIVE_MINUTES }),
          0,
          `Scheduled ${name.toLowerCase()} invocations were dropped unrun: the account's Lambda concurrency is exhausted.`,
        );
      }
    }

    // Market collectors: each publishes CollectorRunsDelivered once Firehose accepted a run's rows, so a day
    // without one means it stopped delivering (failing, throttled for good, its key missing, or not running),
    // whatever the cause. Hourly periods, all 26 missing: a day plus the slack a daily schedule needs.
    const deliveries = (props.collectors ?? []).map((name) => {
      const delivered = new cloudwatch.Metric({
        namespace: props.metricNamespace ?? METRIC_NAMESPACE,
        metricName: METRICS.collector.runsDelivered,
        statistic: 'Sum',
        period: Duration.hours(1),
        dimensionsMap: { [SERVICE_DIMENSION]: SERVICES.collector, [COLLECTOR_DIMENSION]: name },
      });
      this.#alarm(
        `CollectorSilent-${name}`,
        delivered,
        1,
        `The ${name} collector has delivered nothing to Firehose for a day: its runs fail (see its log group) or never start.`,
        cloudwatch.TreatMissingData.BREACHING,
        cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        COLLECTOR_SILENT_HOURS,
      );
      // A label would make the alarm a metric-math one; the graph gets it only.
      return delivered.with({ label: name });
    });
    // The forecast function publishes ForecastRunsCompleted once its prediction is saved (or confirmed
    // unchanged): a daily run, so a day without one means no prediction was written, whatever the cause.
    if (props.forecaster) {
      this.#alarm(
        'ForecastSilent',
        pipeline(SERVICES.forecast, METRICS.runs.forecastCompleted, 'Sum').with({
          period: Duration.hours(1),
        }),
        1,
        'The forecast function has written no gold-price prediction for a day: its runs fail (see ForecastErrors and its log group) or never start.',
        cloudwatch.TreatMissingData.BREACHING,
        cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        COLLECTOR_SILENT_HOURS,
      );
    }

    // The source database.
    const rdsWidgets: cloudwatch.IWidget[] = [];
    if (props.sourceDbInstanceIdentifier) {
      const rds = (metricName: string, statistic: string) =>
        new cloudwatch.Metric({
          namespace: 'AWS/RDS',
          metricName,
          statistic,
          period: FIVE_MINUTES,
          dimensionsMap: { DBInstanceIdentifier: props.sourceDbInstanceIdentifier! },
        });
      const rdsSlot = rds('OldestReplicationSlotLag', 'Maximum');
      const free = rds('FreeStorageSpace', 'Minimum');
      this.#alarm(
        'SourceSlotLag',
        rdsSlot,
        t.rdsSlotLagBytes,
        'The source retains this much WAL for its oldest replication slot; if it keeps growing the disk fills and writes stop.',
      );
      this.#alarm(
        'SourceFreeStorage',
        free,
        t.rdsFreeStorageBytes,
        'The source database is running out of storage (often WAL held by a stalled slot).',
        cloudwatch.TreatMissingData.MISSING,
        cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      );
      rdsWidgets.push(
        new cloudwatch.GraphWidget({
          title: 'Source: oldest replication slot lag (bytes)',
          left: [rdsSlot],
          width: 12,
        }),
        new cloudwatch.GraphWidget({ title: 'Source: free storage (bytes)', left: [free], width: 12 }),
      );
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? 'totesys-stream',
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Reader lag (s)', left: [readerLag], width: 8 }),
      new cloudwatch.GraphWidget({ title: 'Replication slot lag (bytes)', left: [slotLag], width: 8 }),
      new cloudwatch.GraphWidget({ title: 'Warehouse lag (s)', left: [warehouseLag], width: 8 }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Lake lag per table (s)', left: lakeLags, width: 12 }),
      new cloudwatch.GraphWidget({
        title: 'End-to-end latency (s)',
        left: [e2eP50, e2eP95, e2eMax],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Firehose DeliveryToS3.DataFreshness (s)',
        left: freshness,
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Failed records written under errors/',
        left: [errorObjects],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Lambda errors',
        left: Object.values(functions).map((fn) => fn.metricErrors({ period: FIVE_MINUTES })),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Lambda throttles',
        left: Object.values(functions).map((fn) => fn.metricThrottles({ period: FIVE_MINUTES })),
        width: 12,
      }),
    );
    if (rdsWidgets.length > 0) this.dashboard.addWidgets(...rdsWidgets);
    if (deliveries.length > 0) {
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'Collector runs delivered (per hour)',
          left: deliveries,
          width: 24,
        }),
      );
    }
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 8 }),
    );
  }

  /** The alarm created with construct id `id` (`ReaderLag`, `ReaderSlotLag`, … as in the README's table). */
  alarmNamed(id: string): cloudwatch.Alarm {
    const alarm = this.alarms.find((a) => a.node.id === id);
    if (!alarm) throw new Error(`PipelineMonitoring has no alarm ${id}.`);
    return alarm;
  }

  #alarm(
    id: string,
    metric: cloudwatch.IMetric,
    threshold: number,
    description: string,
    treatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
    comparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods = 1,
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric,
      threshold,
      // Every period must breach (CloudWatch's default for datapointsToAlarm).
      evaluationPeriods,
      comparisonOperator,
      treatMissingData,
      alarmDescription: description,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    this.alarms.push(alarm);
    return alarm;
  }
}
