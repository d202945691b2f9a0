/**
 * @module
 * The loader Lambda: on a schedule it finds the consistent cut across the lake tables, runs the Athena
 * queries from queries/ and upserts the result into the warehouse in one transaction; then its market step
 * (loader/market-merge.ts) lists the market tables' prefixes and, when they changed, reads those tables
 * through Athena and merges them into the warehouse's market tables. Market objects are only read: never
 * quarantined, never deleted.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { LOADER_INTERVAL_MS } from '../../../core/operations.ts';
import { LAKE_TABLE_NAMES } from '../../../core/schema/lake-tables.ts';
import { MARKET_LAKE_TABLE_NAMES } from '../../../core/schema/market-lake-tables.ts';
import { acknowledge } from '../acknowledge.ts';
import { LAKE_PREFIXES, lakeObjectsFinding } from './lake-bucket.ts';
import {
  athenaQueryStatements,
  grantWarehouseSecret,
  type LakeQueryTarget,
  lakeQueryEnvironment,
} from './lake-queries.ts';
import { PipelineFunction } from './pipeline-function.ts';
import { ScheduledInvoke } from './scheduled-invoke.ts';

/** Props of {@link WarehouseLoader}. */
export interface WarehouseLoaderProps extends LakeQueryTarget {
  readonly entry: string;
  /** ARNs of the Glue catalog, database and lake tables. */
  readonly glueArns: readonly string[];
  /**
   * ARNs of the Glue catalog, database and market lake tables (not their views: the market step reads the
   * tables themselves).
   */
  readonly marketGlueArns: readonly string[];
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
      rdsNetwork: props,
      environment: lakeQueryEnvironment(props),
    });
    grantWarehouseSecret(this.fn, props);
    const athena = athenaQueryStatements(props, 'RunQueries');
    const policy: iam.PolicyStatement[] = [
      athena.runQueries,
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
      athena.listLake,
      new iam.PolicyStatement({
        sid: 'HoldLease',
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [props.bucket.arnForObjects(`${LAKE_PREFIXES.state}leases/*`)],
      }),
      // An unreadable lake object is moved to quarantine/, a short partition noted there, their tables re-read
      // through the reader's request documents; failed records under errors/ are read to tell them apart
      // (lake/lake-object-recovery.ts). The notes are read back when a round waits: a quarantined partition's
      // lost watermark is passed below its table's re-read (loader/consistent-cut.ts).
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
      athena.writeQueryResults,
      // The market step: Athena reads the market tables' Glue tables and objects with the loader's permissions;
      // the digest lists their prefixes (ListLake). Last: CDK moves what exceeds the inline policy's size limit
      // to a managed policy of the role's own, and these are the statements that may go there.
      new iam.PolicyStatement({
        sid: 'ReadMarketCatalog',
        actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions'],
        resources: [...props.marketGlueArns],
      }),
      new iam.PolicyStatement({
        sid: 'ReadMarketTables',
        actions: ['s3:GetObject'],
        resources: MARKET_LAKE_TABLE_NAMES.map((t) => props.bucket.arnForObjects(`${t}/*`)),
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
        ...MARKET_LAKE_TABLE_NAMES.map((t) => `${t}/`),
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
