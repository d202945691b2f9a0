/**
 * @module
 * The loader Lambda: on a schedule it finds the consistent cut across the lake tables, runs the Athena
 * queries from queries/ and upserts the result into the warehouse in one transaction.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENV, LOADER_INTERVAL_MS } from '../../../core/operations.ts';
import { LAKE_TABLE_NAMES } from '../../../core/schema/lake-tables.ts';
import { acknowledge } from '../acknowledge.ts';
import { LAKE_PREFIXES, lakeObjectsFinding } from './lake-bucket.ts';
import { PipelineFunction } from './pipeline-function.ts';
import { ScheduledInvoke } from './scheduled-invoke.ts';
import { grantSecretKeyDecrypt } from './secret-key-grant.ts';

/** Props of {@link WarehouseLoader}. */
export interface WarehouseLoaderProps {
  readonly entry: string;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly securityGroups: readonly ec2.ISecurityGroup[];
  /** The warehouse's credentials (RDS secret JSON). */
  readonly warehouseSecret: secretsmanager.ISecret;
  readonly bucket: s3.IBucket;
  readonly glueDatabase: string;
  /** ARNs of the Glue catalog, database and lake tables. */
  readonly glueArns: readonly string[];
  readonly workGroupName: string;
  readonly workGroupArn: string;
  /**
   * Time between two loads.
   * @default 1 minute
   */
  readonly rate?: Duration;
  /**
   * Longest load.
   * @default 5 minutes
   */
  readonly timeout?: Duration;
  /**
   * Reserve one concurrent execution (single flight holds without it).
   * @default false
   */
  readonly reservedConcurrency?: boolean;
  /**
   * Customer-managed KMS key of the secret, granted kms:Decrypt through Secrets Manager.
   * @default none (the AWS managed key needs no grant)
   */
  readonly secretKeyArn?: string;
  /**
   * What happens to the function's log group when it is removed.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The loader. One run at a time by the `loader` lease under `state/leases/` (S3 conditional writes); a second
 * concurrent load would be refused by the cut anyway. Reserved concurrency is opt-in.
 */
export class WarehouseLoader extends Construct {
  readonly fn: PipelineFunction;
  readonly schedule: ScheduledInvoke;

  constructor(scope: Construct, id: string, props: WarehouseLoaderProps) {
    super(scope, id);
    this.fn = new PipelineFunction(this, 'Function', {
      entry: props.entry,
      logRemovalPolicy: props.logRemovalPolicy,
      description: 'totesys-stream loader: Athena over the lake into the warehouse',
      // The loader reads its SQL from queries/ beside the bundle at run time.
      bundledDirectories: ['queries'],
      timeout: props.timeout ?? Duration.minutes(5),
      memorySize: 1024,
      ...(props.reservedConcurrency ? { reservedConcurrentExecutions: 1 } : {}),
      connectsToRds: true,
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [...props.securityGroups],
      environment: {
        [ENV.warehouseSecretArn]: props.warehouseSecret.secretArn,
        [ENV.lakeBucket]: props.bucket.bucketName,
        [ENV.glueDatabase]: props.glueDatabase,
        [ENV.athenaWorkgroup]: props.workGroupName,
      },
    });
    props.warehouseSecret.grantRead(this.fn);
    grantSecretKeyDecrypt(this.fn, props.secretKeyArn);
    const policy: iam.PolicyStatement[] = [
      new iam.PolicyStatement({
        sid: 'RunQueries',
        actions: [
          'athena:StartQueryExecution',
          'athena:GetQueryExecution',
          'athena:GetQueryResults',
          'athena:StopQueryExecution',
          'athena:GetWorkGroup',
        ],
        resources: [props.workGroupArn],
      }),
      new iam.PolicyStatement({
        sid: 'ReadCatalog',
        actions: [
          'glue:GetDatabase',
          'glue:GetTable',
          'glue:GetTables',
          'glue:GetPartition',
          'glue:GetPartitions',
        ],
        resources: [...props.glueArns],
      }),
      // Athena reads the lake and writes results with the caller's permissions.
      new iam.PolicyStatement({
        sid: 'ReadLakeTables',
        actions: ['s3:GetObject'],
        resources: LAKE_TABLE_NAMES.map((t) => props.bucket.arnForObjects(`${t}/*`)),
      }),
      new iam.PolicyStatement({
        sid: 'ReadRounds',
        actions: ['s3:GetObject'],
        resources: [props.bucket.arnForObjects(`${LAKE_PREFIXES.rounds}*`)],
      }),
      // The dimension joins read the state snapshots compaction writes (and their manifests).
      new iam.PolicyStatement({
        sid: 'ReadSnapshots',
        actions: ['s3:GetObject'],
        resources: [props.bucket.arnForObjects(`${LAKE_PREFIXES.snapshots}*`)],
      }),
      new iam.PolicyStatement({
        sid: 'ListLake',
        actions: ['s3:ListBucket', 's3:GetBucketLocation'],
        resources: [props.bucket.bucketArn],
      }),
      new iam.PolicyStatement({
        sid: 'HoldLease',
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [props.bucket.arnForObjects(`${LAKE_PREFIXES.state}leases/*`)],
      }),
      // An unreadable lake object is moved to quarantine/, a short partition noted there, their tables re-read
      // through the reader's request documents; failed records under errors/ are read to tell them apart
      // (lake/lake-object-recovery.ts).
      new iam.PolicyStatement({
        sid: 'QuarantineLakeObjects',
        actions: ['s3:DeleteObject'],
        resources: LAKE_TABLE_NAMES.map((t) => props.bucket.arnForObjects(`${t}/*`)),
      }),
      new iam.PolicyStatement({
        sid: 'WriteQuarantine',
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [props.bucket.arnForObjects(`${LAKE_PREFIXES.quarantine}*`)],
      }),
      new iam.PolicyStatement({
        sid: 'ReadErrors',
        actions: ['s3:GetObject'],
        resources: [props.bucket.arnForObjects(`${LAKE_PREFIXES.errors}*`)],
      }),
      new iam.PolicyStatement({
        sid: 'RequestRereads',
        actions: ['s3:PutObject'],
        resources: [props.bucket.arnForObjects(`${LAKE_PREFIXES.state}reader/resnapshot-requests/*`)],
      }),
      new iam.PolicyStatement({
        sid: 'WriteQueryResults',
        actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        resources: [props.bucket.arnForObjects(`${LAKE_PREFIXES.athenaResults}*`)],
      }),
    ];
    for (const statement of policy) this.fn.addToRolePolicy(statement);
    this.schedule = new ScheduledInvoke(this, 'Schedule', {
      fn: this.fn,
      rate: props.rate ?? Duration.millis(LOADER_INTERVAL_MS.aws),
      description: 'Load the totesys warehouse from the lake',
    });
    acknowledge(this.fn, [
      ...[
        ...LAKE_TABLE_NAMES.map((t) => `${t}/`),
        LAKE_PREFIXES.rounds,
        LAKE_PREFIXES.snapshots,
        LAKE_PREFIXES.athenaResults,
      ].map((prefix) => ({
        id: lakeObjectsFinding(this, prefix),
        reason:
          "Athena reads every Parquet file of a lake table and names its result files itself, rounds and snapshots are named by their LSN, so objects are granted by the tables' prefixes, rounds/, snapshots/ and athena-results/ only.",
      })),
      {
        id: lakeObjectsFinding(this, `${LAKE_PREFIXES.state}leases/`),
        reason: 'Lease objects are named per job at run time; the grant is the leases/ prefix only.',
      },
      ...[
        LAKE_PREFIXES.quarantine,
        LAKE_PREFIXES.errors,
        `${LAKE_PREFIXES.state}reader/resnapshot-requests/`,
      ].map((prefix) => ({
        id: lakeObjectsFinding(this, prefix),
        reason:
          'Quarantined objects keep their lake key, error objects are named by Firehose and re-read requests by time, so the grants are these prefixes only.',
      })),
    ]);
  }
}
