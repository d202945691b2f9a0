/**
 * @module
 * The stateless stack: the Lambdas (and, with a read-only warehouse role, the dashboard's API), the 11 delivery
 * streams of the source tables and the 3 of the market tables, the VPC endpoints, the schedules and the
 * monitoring. It holds no data, so it can be destroyed and redeployed freely; the lake stays.
 */
import { CfnMapping, Duration, RemovalPolicy, type Size, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import {
  DESTINATION_BUFFERING,
  type DeliveryStreamSpec,
  deliveryStreamSpecs,
  type MarketDeliveryStreamSpec,
  marketDeliveryStreamSpecs,
} from '../../../core/delivery-stream-spec.ts';
import { type DeploymentNames, deploymentNames } from '../../../core/deployment-names.ts';
import { ERROR_OUTPUT_TYPES } from '../../../core/error-documents.ts';
import { ENV, LOADER_INTERVAL_MS } from '../../../core/operations.ts';
import { latestViewName } from '../../../core/schema/lake-snapshots.ts';
import { LAKE_TABLE_NAMES, type LakeTableName } from '../../../core/schema/lake-tables.ts';
import {
  MARKET_LAKE_TABLE_NAMES,
  type MarketLakeTableName,
} from '../../../core/schema/market-lake-tables.ts';
import { acknowledge } from '../acknowledge.ts';
import { CdcReader } from '../constructs/cdc-reader.ts';
import { ExistingConnections, type PipelineConnections } from '../constructs/existing-connections.ts';
import { LAKE_PREFIXES, lakeBucketName, lakeObjectsFinding } from '../constructs/lake-bucket.ts';
import type { CatalogTableName } from '../constructs/lake-catalog.ts';
import { LakeCompactor } from '../constructs/lake-compactor.ts';
import type { LakeQueryTarget } from '../constructs/lake-queries.ts';
import { MarketCollector } from '../constructs/market-collector.ts';
import { PaymentsApi } from '../constructs/payments-api.ts';
import { PipelineEndpoints } from '../constructs/pipeline-endpoints.ts';
import { PipelineFunction } from '../constructs/pipeline-function.ts';
import { type LagThresholds, PipelineMonitoring } from '../constructs/pipeline-monitoring.ts';
import { PriceForecaster } from '../constructs/price-forecaster.ts';
import { SmokeProbe } from '../constructs/smoke-probe.ts';
import { SourceLoader } from '../constructs/source-loader.ts';
import { TableDeliveryStream } from '../constructs/table-delivery-stream.ts';
import { WarehouseLoader } from '../constructs/warehouse-loader.ts';
import type { ExistingNetwork, MarketCollectorSettings } from '../pipeline-settings.ts';
import { FUNCTION_ENTRIES, type FunctionEntries } from '../repo-paths.ts';
import type { NamedStack } from '../stack-names.ts';
import type { LakeStack } from './lake-stack.ts';

/** Props of {@link IngestStack}. */
export interface IngestStackProps extends StackProps {
  readonly lake: LakeStack;
  /**
   * The names of the deployment: delivery streams, dashboard, metric namespace; the bucket's name.
   * @default the default deployment's (core/deployment-names.ts)
   */
  readonly names?: DeploymentNames;
  /**
   * The user's VPC, subnets, security group and secrets; required unless the lake stack has the demo.
   * @default the lake stack's demo databases
   */
  readonly existing?: ExistingNetwork;
  /**
   * Create the Firehose, Secrets Manager and Athena interface endpoints (false when the VPC has a NAT or
   * already has them: a second endpoint with private DNS for the same service cannot be created).
   * @default true
   */
  readonly interfaceEndpoints?: boolean;
  /** The Lambda handler files. */
  readonly entries: FunctionEntries;
  /** @default the deployment's stream prefix (`totesys-` for the default deployment) */
  readonly streamPrefix?: string;
  /** @default 60 seconds (the minimum with dynamic partitioning) */
  readonly bufferingInterval?: Duration;
  /** @default 64 MiB (the minimum with Parquet conversion) */
  readonly bufferingSize?: Size;
  /** @default 1 minute */
  readonly loaderRate?: Duration;
  readonly alarmEmail?: string;
  readonly thresholds?: LagThresholds;
  /**
   * Reserve one concurrent execution for the reader and for the loader (needs 100 unreserved executions left
   * in the account's quota).
   * @default false
   */
  readonly reservedConcurrency?: boolean;
  /**
   * Secrets Manager ARN of a read-only warehouse role (README "A read-only role"): with it, the dashboard and
   * payments API are deployed behind an IAM-authorised HTTP API.
   * @default no API
   */
  readonly warehouseReaderSecretArn?: string;
  /**
   * Delete the log groups with the stack (they are retained otherwise).
   * @default false
   */
  readonly destroyOnRemoval?: boolean;
  /**
   * The market collectors, each a Lambda on its schedule with its no-delivery alarm (README, "Market data on
   * AWS").
   * @default none
   */
  readonly marketCollectors?: readonly MarketCollectorSettings[];
  /**
   * Add the smoke probe Lambda (`npm run aws:smoke`); demo only.
   * @default false
   */
  readonly smokeProbe?: boolean;
}

/** Reader, delivery streams, transformer, loader and their monitoring. */
export class IngestStack extends Stack implements NamedStack {
  readonly names: DeploymentNames;
  readonly transformer: PipelineFunction;
  readonly streams: readonly TableDeliveryStream<LakeTableName>[];
  /** One per market lake table, from the same spec: what the collectors put to (README, "Market data"). */
  readonly marketStreams: readonly TableDeliveryStream<MarketLakeTableName>[];
  readonly reader: CdcReader;
  readonly loader: WarehouseLoader;
  /** The compaction Lambda and its schedule. */
  readonly compactor: LakeCompactor;
  readonly monitoring: PipelineMonitoring;
  /** With the demo only: seeds or imports into its empty source. */
  readonly sourceLoader?: SourceLoader;
  /** With `smokeProbe` only: the smoke run's changes and warehouse reads inside the VPC. */
  readonly smokeProbe?: SmokeProbe;
  /** With a read-only warehouse role only: the dashboard and the payments API. */
  readonly api?: PaymentsApi;
  /** The market collectors, one per configured source. */
  readonly collectors: readonly MarketCollector[];
  /** With the equities and fred collectors (the series it reads): the gold-price model's daily run. */
  readonly forecaster?: PriceForecaster;

  constructor(scope: Construct, id: string, props: IngestStackProps) {
    super(scope, id, props);
    // Set before any child: constructs read the bucket name from their stack (stack-names.ts).
    this.names = props.names ?? deploymentNames();
    const { lake } = props;
    const network = connectionsOf(this, props);
    // By its fixed name, not a cross-stack export: see lakeBucketName().
    const bucket = s3.Bucket.fromBucketName(this, 'LakeBucket', lakeBucketName(this.names));
    this.addStackDependency(lake);
    const prefix = props.streamPrefix ?? this.names.streamPrefix;
    const bufferingInterval =
      props.bufferingInterval ?? Duration.seconds(DESTINATION_BUFFERING.aws.intervalInSeconds);
    const logRemovalPolicy = props.destroyOnRemoval ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    // The transformation needs no VPC: Firehose hands it the records and takes the reply, and it reaches S3
    // only to set aside a bad event packed among good ones (functions/transformer/handler.ts).
    this.transformer = new PipelineFunction(this, 'Transformer', {
      entry: props.entries.transformer,
      description: 'totesys-stream Firehose transformation: change event to lake row',
      // Firehose waits at most 5 minutes for a transformation; a batch is 1 MB.
      timeout: Duration.minutes(1),
      memorySize: 512,
      logRemovalPolicy,
      environment: { [ENV.lakeBucket]: bucket.bucketName },
    });
    this.transformer.addToRolePolicy(
      new iam.PolicyStatement({
        // Write only, and only its own error type (transform/rejected-events.ts).
        sid: 'WriteRejectedEvents',
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects(`${LAKE_PREFIXES.errors}*/${ERROR_OUTPUT_TYPES.transformer}/*`)],
      }),
    );
    acknowledge(this.transformer, [
      {
        id: lakeObjectsFinding(this, `${LAKE_PREFIXES.errors}*/${ERROR_OUTPUT_TYPES.transformer}/`),
        reason: 'Refused events are named by table, day and LSN at run time; write-only, under errors/.',
      },
    ]);

    const specOptions = {
      runtime: 'aws',
      streamPrefix: prefix,
      buffering: {
        sizeInMBs: props.bufferingSize?.toMebibytes() ?? DESTINATION_BUFFERING.aws.sizeInMBs,
        intervalInSeconds: bufferingInterval.toSeconds(),
      },
    } as const;
    const streamOf = <T extends CatalogTableName>(
      spec: (DeliveryStreamSpec | MarketDeliveryStreamSpec) & { readonly lakeTable: T },
      id: string,
    ) =>
      new TableDeliveryStream<T>(this, `Stream-${id}`, {
        spec,
        glueTable: lake.catalog.tables[spec.lakeTable],
        glueArns: lake.catalog.tableArns([spec.lakeTable]),
        bucket,
        transformer: this.transformer,
        logRemovalPolicy,
      });
    this.streams = deliveryStreamSpecs(specOptions).map((spec) => streamOf(spec, spec.table.source));
    this.marketStreams = marketDeliveryStreamSpecs(specOptions).map((spec) => streamOf(spec, spec.lakeTable));

    if (props.interfaceEndpoints ?? true) {
      new PipelineEndpoints(this, 'Endpoints', {
        vpc: network.vpc,
        subnets: network.subnets,
        clientSecurityGroup: network.securityGroup,
        s3Gateway: network.routeTablesKnown,
      });
    }

    this.reader = new CdcReader(this, 'Reader', {
      entry: props.entries.reader,
      vpc: network.vpc,
      subnets: network.subnets,
      securityGroups: [network.securityGroup],
      sourceSecret: network.sourceSecret,
      deliveryStreams: this.streams.map((s) => s.deliveryStream),
      streamPrefix: prefix,
      stateBucket: bucket,
      logRemovalPolicy,
      reservedConcurrency: props.reservedConcurrency,
      secretKeyArn: network.sourceSecretKeyArn,
    });

    // The demo source is empty and unreachable from outside its VPC: a one-shot loader runs seed/import there.
    if (props.lake.demo) {
      this.sourceLoader = new SourceLoader(this, 'SourceLoader', {
        entry: props.entries.sourceLoader ?? FUNCTION_ENTRIES.sourceLoader,
        vpc: network.vpc,
        subnets: network.subnets,
        securityGroups: [network.securityGroup],
        sourceSecret: network.sourceSecret,
        bucket,
        logRemovalPolicy,
      });
    }

    this.loader = new WarehouseLoader(this, 'Loader', {
      entry: props.entries.loader,
      vpc: network.vpc,
      subnets: network.subnets,
      securityGroups: [network.securityGroup],
      warehouseSecret: network.warehouseSecret,
      bucket,
      glueDatabase: lake.catalog.databaseName,
      glueArns: lake.catalog.tableArns([...LAKE_TABLE_NAMES, ...lake.latestState.tableNames]),
      marketGlueArns: lake.catalog.tableArns(MARKET_LAKE_TABLE_NAMES),
      workGroupName: lake.athena.workGroupName,
      workGroupArn: lake.athena.workGroupArn,
      rate: props.loaderRate,
      logRemovalPolicy,
      reservedConcurrency: props.reservedConcurrency,
      secretKeyArn: network.warehouseSecretKeyArn,
    });

    // The warehouse, lake and workgroup the compactor and the forecast Lambda query (lake-queries.ts).
    const lakeQueries: LakeQueryTarget = {
      vpc: network.vpc,
      subnets: network.subnets,
      securityGroups: [network.securityGroup],
      warehouseSecret: network.warehouseSecret,
      secretKeyArn: network.warehouseSecretKeyArn,
      bucket,
      glueDatabase: lake.catalog.databaseName,
      workGroupName: lake.athena.workGroupName,
      workGroupArn: lake.athena.workGroupArn,
    };
    this.compactor = new LakeCompactor(this, 'Compactor', {
      ...lakeQueries,
      entry: props.entries.compaction ?? FUNCTION_ENTRIES.compaction,
      glueArns: lake.catalog.tableArns([...LAKE_TABLE_NAMES, ...lake.latestState.tableNames]),
      logRemovalPolicy,
    });
    if (props.warehouseReaderSecretArn) {
      this.api = new PaymentsApi(this, 'Api', {
        entry: props.entries.api ?? FUNCTION_ENTRIES.api,
        vpc: network.vpc,
        subnets: network.subnets,
        securityGroups: [network.securityGroup],
        readerSecret: secretsmanager.Secret.fromSecretCompleteArn(
          this,
          'WarehouseReaderSecret',
          props.warehouseReaderSecretArn,
        ),
        bucket,
        logRemovalPolicy,
      });
    }

    // Outside the VPC: they call public APIs (cdk/lib/constructs/market-collector.ts says why).
    this.collectors = (props.marketCollectors ?? []).map(
      (settings) =>
        new MarketCollector(this, `Collector-${settings.name}`, {
          entry: props.entries.collector ?? FUNCTION_ENTRIES.collector,
          settings,
          streams: this.marketStreams,
          streamPrefix: prefix,
          bucket,
          logRemovalPolicy,
        }),
    );

    // The model reads gold and the equity index (equities) and two rates (fred); without them it has no data.
    const collected = new Set(this.collectors.map((c) => c.name));
    if (collected.has('equities') && collected.has('fred')) {
      this.forecaster = new PriceForecaster(this, 'Forecaster', {
        ...lakeQueries,
        entry: props.entries.forecast ?? FUNCTION_ENTRIES.forecast,
        glueArns: lake.catalog.tableArns(MARKET_LAKE_TABLE_NAMES.flatMap((t) => [t, latestViewName(t)])),
        logRemovalPolicy,
      });
    }

    this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
      streams: this.streams.map(({ deliveryStreamName, lakeTable }) => ({
        deliveryStreamName,
        lakeTable,
      })),
      marketStreams: this.marketStreams.map(({ deliveryStreamName, lakeTable }) => ({
        deliveryStreamName,
        lakeTable,
      })),
      collectors: this.collectors.map((c) => c.name),
      reader: this.reader.fn,
      transformer: this.transformer,
      loader: this.loader.fn,
      ...(this.forecaster ? { forecaster: this.forecaster.fn } : {}),
      bucketName: bucket.bucketName,
      bufferingInterval,
      sourceDbInstanceIdentifier: network.sourceDbInstanceIdentifier,
      alarmEmail: props.alarmEmail,
      thresholds: props.thresholds,
      loaderRate: props.loaderRate ?? Duration.millis(LOADER_INTERVAL_MS.aws),
      reservedConcurrency: props.reservedConcurrency ?? false,
      dashboardName: this.names.dashboard,
      metricNamespace: this.names.metricNamespace,
    });
    if (props.smokeProbe) {
      if (!props.lake.demo) {
        throw new Error('The smoke probe needs the demo databases: deploy it with -c demo=true.');
      }
      this.smokeProbe = new SmokeProbe(this, 'SmokeProbe', {
        entry: props.entries.smokeProbe ?? FUNCTION_ENTRIES.smokeProbe,
        vpc: network.vpc,
        subnets: network.subnets,
        securityGroups: [network.securityGroup],
        sourceSecret: network.sourceSecret,
        warehouseSecret: network.warehouseSecret,
        // OK on a healthy pipeline (unlike ReaderLag, which breaches on missing data), so ALARM is a change
        // of state and notifies the topic.
        alarm: this.monitoring.alarmNamed('ReaderSlotLag'),
        alarmTopic: this.monitoring.topic,
        logRemovalPolicy,
      });
    }

    // The functions publish under the deployment's own namespace, the one its alarms read.
    const functions = [
      this.transformer,
      this.reader.fn,
      this.loader.fn,
      this.compactor.fn,
      this.sourceLoader?.fn,
      this.smokeProbe?.fn,
      ...this.collectors.map((c) => c.fn),
      this.forecaster?.fn,
    ];
    for (const fn of functions) {
      fn?.addEnvironment(ENV.metricNamespace, this.names.metricNamespace);
    }

    // The Firehose L2 adds a mapping of Firehose's CIDR ranges for Redshift/OpenSearch/Splunk destinations;
    // an S3 destination never reads it, and CloudFormation linters flag an unused mapping.
    // Nothing here uses the streams' `connections`, the mapping's only reader.
    const mapping = this.node.children.find(
      (c) => c instanceof CfnMapping && c.node.id.endsWith('.CidrBlocks'),
    );
    if (mapping) this.node.tryRemoveChild(mapping.node.id);
  }
}

/** The demo's network and databases when the lake stack has them, else the user's, imported. */
function connectionsOf(scope: Construct, props: IngestStackProps): PipelineConnections {
  const demo = props.lake.demo;
  if (demo) {
    return {
      vpc: demo.vpc,
      subnets: demo.lambdaSubnets,
      securityGroup: demo.lambdaSecurityGroup,
      sourceSecret: demo.source.secret!,
      warehouseSecret: demo.warehouse.secret!,
      sourceDbInstanceIdentifier: demo.source.instanceIdentifier,
      routeTablesKnown: true,
    };
  }
  if (!props.existing) {
    throw new Error(
      'The ingest stack needs a source and a warehouse: deploy with -c demo=true, or pass vpcId, subnetIds, ' +
        'securityGroupId, sourceSecretArn and warehouseSecretArn as context (README: Deploying to AWS).',
    );
  }
  return new ExistingConnections(scope, 'Existing', props.existing);
}
