/**
 * @module
 * The compaction Lambda (functions/compaction/) on two EventBridge Scheduler schedules: the hourly one merges
 * the lake's small objects below the warehouse's cut, keeps the state snapshots at the cut and replaces the
 * `_latest` views over them; the other (every 5 minutes) is a delete pass, which deletes what the last merge
 * replaced once its grace period has passed (core/compaction-schedule.ts has the cadences, target size and
 * grace period). It reads the
 * warehouse's cut, so it runs in the loader's network with the warehouse secret; one run at a time by the
 * `lake/compactor` lease.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { COMPACTION_SCHEDULE, DELETE_PASS_EVENT } from '../../../core/compaction-schedule.ts';
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

/** Where the reader takes re-read requests (reader/resnapshot-requests.ts, under the state prefix). */
const REREAD_REQUESTS = `${LAKE_PREFIXES.state}reader/resnapshot-requests/`;

/** Props of {@link LakeCompactor}. */
export interface LakeCompactorProps extends LakeQueryTarget {
  readonly entry: string;
  /** ARNs of the Glue catalog, database, lake tables, snapshot tables and `_latest` views. */
  readonly glueArns: readonly string[];
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** The compactor function and its schedule. */
export class LakeCompactor extends Construct {
  readonly fn: PipelineFunction;
  readonly schedule: ScheduledInvoke;
  readonly deletePass: ScheduledInvoke;

  constructor(scope: Construct, id: string, props: LakeCompactorProps) {
    super(scope, id);
    this.fn = new PipelineFunction(this, 'Function', {
      entry: props.entry,
      logRemovalPolicy: props.logRemovalPolicy,
      description: 'totesys-stream compaction: merges small lake objects, keeps state snapshots at the cut',
      bundledDirectories: ['queries'],
      timeout: Duration.minutes(15),
      // One output object (up to the target size) and one input in memory, with room for the encoder.
      memorySize: 2048,
      rdsNetwork: props,
      environment: lakeQueryEnvironment(props),
    });
    grantWarehouseSecret(this.fn, props);
    const athena = athenaQueryStatements(props, 'ReplaceLatestViews');
    const rewritten = [
      ...[...LAKE_TABLE_NAMES, ...MARKET_LAKE_TABLE_NAMES].map((t) => `${t}/`),
      LAKE_PREFIXES.snapshots,
      LAKE_PREFIXES.rounds,
    ];
    const statements = [
      new iam.PolicyStatement({
        sid: 'RewriteLake',
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: rewritten.map((prefix) => props.bucket.arnForObjects(`${prefix}*`)),
      }),
      athena.listLake,
      new iam.PolicyStatement({
        sid: 'KeepPlanAndLease',
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [
          props.bucket.arnForObjects(`${LAKE_PREFIXES.state}compaction/*`),
          props.bucket.arnForObjects(`${LAKE_PREFIXES.state}leases/*`),
        ],
      }),
      // An object a merge cannot read is moved to quarantine/ (its note beside it) and its table re-read through
      // the reader's request documents, as the loader does (lake/lake-object-recovery.ts).
      new iam.PolicyStatement({
        sid: 'QuarantineUnreadableObjects',
        actions: ['s3:PutObject'],
        resources: [
          props.bucket.arnForObjects(`${LAKE_PREFIXES.quarantine}*`),
          props.bucket.arnForObjects(`${REREAD_REQUESTS}*`),
        ],
      }),
      athena.runQueries,
      new iam.PolicyStatement({
        sid: 'UpdateViewsInCatalog',
        actions: [
          'glue:GetDatabase',
          'glue:GetTable',
          'glue:GetTables',
          'glue:CreateTable',
          'glue:UpdateTable',
        ],
        resources: [...props.glueArns],
      }),
      athena.writeQueryResults,
    ];
    for (const statement of statements) this.fn.addToRolePolicy(statement);
    this.schedule = new ScheduledInvoke(this, 'Schedule', {
      fn: this.fn,
      rate: Duration.minutes(COMPACTION_SCHEDULE.aws.everyMinutes),
      description: 'Compact the totesys lake and keep its state snapshots at the cut',
    });
    // Between two merges: delete what the last one replaced once its grace period has passed, so loader runs
    // stop opening those objects within minutes of it rather than at the next merge.
    this.deletePass = new ScheduledInvoke(this, 'DeletePass', {
      fn: this.fn,
      rate: Duration.minutes(COMPACTION_SCHEDULE.aws.deletePassEveryMinutes),
      input: DELETE_PASS_EVENT,
      description: 'Delete the lake objects the last compaction replaced, once their grace period has passed',
    });
    acknowledge(this.fn, [
      ...[
        ...rewritten,
        `${LAKE_PREFIXES.state}compaction/`,
        `${LAKE_PREFIXES.state}leases/`,
        LAKE_PREFIXES.athenaResults,
      ].map((prefix) => ({
        id: lakeObjectsFinding(this, prefix),
        reason:
          'Compaction rewrites the objects of each lake table, snapshot and round by name at run time, so objects are granted by those prefixes only (never errors/ or imports/).',
      })),
      ...[LAKE_PREFIXES.quarantine, REREAD_REQUESTS].map((prefix) => ({
        id: lakeObjectsFinding(this, prefix),
        reason:
          'Quarantined objects keep their lake key and re-read requests are named by time, so the grants are these prefixes only (puts, no reads).',
      })),
    ]);
  }
}
