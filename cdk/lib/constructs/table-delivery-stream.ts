/**
 * @module
 * One Firehose delivery stream for one lake table (a source table's, or a market table's): Direct PUT, the
 * transformation Lambda, dynamic partitioning on the Lambda's `dt` key, and JSON to Parquet conversion with the
 * table's own Glue schema.
 * One stream per table because conversion takes exactly one schema per stream (README, How the data flows).
 */
import { Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import type * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { DeliveryStreamSpec, MarketDeliveryStreamSpec } from '../../../core/delivery-stream-spec.ts';
import { acknowledge, functionVersionsFinding, wildcardFinding } from '../acknowledge.ts';
import { LAKE_PREFIXES, lakeObjectsFinding } from './lake-bucket.ts';
import type { CatalogTableName } from './lake-catalog.ts';

/** Props of {@link TableDeliveryStream}. */
export interface TableDeliveryStreamProps<T extends CatalogTableName = CatalogTableName> {
  /** The stream's name, prefixes, partitioning, processor and buffering (core/delivery-stream-spec.ts). */
  readonly spec: (DeliveryStreamSpec | MarketDeliveryStreamSpec) & { readonly lakeTable: T };
  /** The lake table's Glue table: the Parquet schema. */
  readonly glueTable: glue.CfnTable;
  /** ARNs of the Glue catalog, database and this table. */
  readonly glueArns: readonly string[];
  readonly bucket: s3.IBucket;
  readonly transformer: lambda.IFunction;
  /**
   * What happens to the stream's log group when it is removed.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * A delivery stream with its own role. The L2 destination would grant the role `bucket.grantReadWrite` (every
 * object of the bucket, `s3:GetObject*`, `s3:DeleteObject*`, ...); instead the role gets exactly what the
 * Firehose documentation lists, scoped to this table's two prefixes, and the L2 is handed the role without
 * policy updates so it adds nothing of its own.
 */
export class TableDeliveryStream<T extends CatalogTableName = CatalogTableName> extends Construct {
  readonly deliveryStream: firehose.DeliveryStream;
  readonly deliveryStreamName: string;
  readonly lakeTable: T;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: TableDeliveryStreamProps<T>) {
    super(scope, id);
    const stack = Stack.of(this);
    const { spec } = props;
    const table = spec.lakeTable;
    this.lakeTable = table;
    this.deliveryStreamName = spec.name;
    // Not named: a retained log group with a fixed name would make the next deploy of this stack fail.
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: `Firehose ${spec.name}: write ${table}/ and errors/${table}/ of the lake`,
    });
    const objects = [
      props.bucket.arnForObjects(`${table}/*`),
      props.bucket.arnForObjects(`${LAKE_PREFIXES.errors}${table}/*`),
    ];
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnPrefixes',
        actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'],
        resources: objects,
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'LocateBucket',
        actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        resources: [props.bucket.bucketArn],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadConversionSchema',
        actions: ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions'],
        resources: [...props.glueArns],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        // AWS documents this with Resource "*": Firehose calls it while resolving the conversion schema and
        // the action has no resource-level scoping for Glue Data Catalog tables. The L2 grants the same.
        sid: 'ResolveSchemaVersion',
        actions: ['glue:GetSchemaVersion'],
        resources: ['*'],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'InvokeTransformer',
        actions: ['lambda:InvokeFunction', 'lambda:GetFunctionConfiguration'],
        resources: [props.transformer.functionArn, `${props.transformer.functionArn}:*`],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteDeliveryLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    const boundRole = this.role.withoutPolicyUpdates();

    this.deliveryStream = new firehose.DeliveryStream(this, 'Stream', {
      deliveryStreamName: spec.name,
      encryption: firehose.StreamEncryption.awsOwnedKey(),
      destination: new firehose.S3Bucket(props.bucket, {
        role: boundRole,
        loggingConfig: new firehose.EnableLogging(logGroup),
        processors: [
          new firehose.LambdaFunctionProcessor(props.transformer, {
            // Firehose calls the Lambda synchronously (6 MB payload limit): small batches keep the
            // base64-encoded response well under it even when rows grow in the transformation.
            bufferSize: Size.mebibytes(spec.processorBuffering.sizeInMBs),
            bufferInterval: Duration.seconds(spec.processorBuffering.intervalInSeconds),
            retries: spec.processorRetries,
          }),
        ],
        dynamicPartitioning: {
          enabled: spec.partitionKeys.length > 0,
          retryDuration: Duration.seconds(spec.dynamicPartitioningRetrySeconds),
        },
        dataFormatConversion: {
          schemaConfiguration: firehose.SchemaConfiguration.fromCfnTable(props.glueTable),
          inputFormat: firehose.InputFormat.OPENX_JSON,
          outputFormat: firehose.OutputFormat.PARQUET,
        },
        dataOutputPrefix: spec.prefix,
        errorOutputPrefix: spec.errorOutputPrefix,
        bufferingInterval: Duration.seconds(spec.buffering.intervalInSeconds),
        bufferingSize: Size.mebibytes(spec.buffering.sizeInMBs),
      }),
    });
    // The stream must not be created before its role's policy exists (the first delivery would fail); the
    // role itself is already ordered by the stream's GetAtt on its ARN.
    const policy = this.role.node.tryFindChild('DefaultPolicy');
    if (policy) this.deliveryStream.node.addDependency(policy);

    const objectsReason =
      "Firehose names the objects it writes, so they are granted by prefix: this table's own and its errors only.";
    acknowledge(this.role, [
      { id: lakeObjectsFinding(this, `${table}/`), reason: objectsReason },
      { id: lakeObjectsFinding(this, `${LAKE_PREFIXES.errors}${table}/`), reason: objectsReason },
      {
        id: wildcardFinding('*'),
        reason: 'glue:GetSchemaVersion only: AWS documents it on Resource "*" for record format conversion.',
      },
      {
        id: functionVersionsFinding(props.transformer),
        reason:
          'Invoking the transformation Lambda by a qualified ARN (version or alias) is the same function.',
      },
    ]);
  }
}
