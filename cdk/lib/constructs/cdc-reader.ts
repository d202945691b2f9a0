/**
 * @module
 * The CDC reader Lambda: every minute it streams the source's logical replication slot into the delivery
 * streams until its time budget (the invocation's remaining time) is spent, then acknowledges and stops.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ERROR_OUTPUT_TYPES } from '../../../core/error-documents.ts';
import { DEFAULTS, ENV } from '../../../core/operations.ts';
import { acknowledge } from '../acknowledge.ts';
import { LAKE_PREFIXES, lakeObjectsFinding } from './lake-bucket.ts';
import { PipelineFunction, type RdsNetwork } from './pipeline-function.ts';
import { ScheduledInvoke } from './scheduled-invoke.ts';
import { grantSecretKeyDecrypt } from './secret-key-grant.ts';

/** Props of {@link CdcReader}. */
export interface CdcReaderProps extends RdsNetwork {
  readonly entry: string;
  /** The source's credentials (RDS secret JSON: host, port, username, password, dbname). */
  readonly sourceSecret: secretsmanager.ISecret;
  /** The 11 delivery streams it puts to. */
  readonly deliveryStreams: readonly firehose.IDeliveryStream[];
  readonly streamPrefix: string;
  /** The lake bucket; the reader keeps its state under `state/`. */
  readonly stateBucket: s3.IBucket;
  /**
   * Longest run; the reader's budget is the invocation's remaining time.
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
  /**
   * Time between two invocations.
   * @default 1 minute
   */
  readonly rate?: Duration;
}

/**
 * The reader. Two runs never read the slot at once: PostgreSQL lets one session stream from it, and a run
 * that finds it active returns at once (functions/cdc-reader/handler.ts); reserved concurrency is opt-in.
 */
export class CdcReader extends Construct {
  readonly fn: PipelineFunction;
  readonly schedule: ScheduledInvoke;

  constructor(scope: Construct, id: string, props: CdcReaderProps) {
    super(scope, id);
    this.fn = new PipelineFunction(this, 'Function', {
      entry: props.entry,
      logRemovalPolicy: props.logRemovalPolicy,
      description: 'totesys-stream CDC reader: logical replication slot to Firehose',
      timeout: props.timeout ?? Duration.minutes(5),
      memorySize: 1024,
      ...(props.reservedConcurrency ? { reservedConcurrentExecutions: 1 } : {}),
      rdsNetwork: props,
      environment: {
        [ENV.sourceSecretArn]: props.sourceSecret.secretArn,
        [ENV.slotName]: DEFAULTS.slotName,
        [ENV.publicationName]: DEFAULTS.publicationName,
        [ENV.streamPrefix]: props.streamPrefix,
        [ENV.stateBucket]: props.stateBucket.bucketName,
        [ENV.statePrefix]: LAKE_PREFIXES.state,
        [ENV.lakeBucket]: props.stateBucket.bucketName,
      },
    });
    props.sourceSecret.grantRead(this.fn);
    grantSecretKeyDecrypt(this.fn, props.secretKeyArn);
    for (const stream of props.deliveryStreams) stream.grantPutRecords(this.fn);
    this.fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadWriteState',
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [props.stateBucket.arnForObjects(`${LAKE_PREFIXES.state}*`)],
      }),
    );
    this.fn.addToRolePolicy(
      new iam.PolicyStatement({
        // Changes too large for Firehose go to the error location (reader/unshippable-changes.ts), write only.
        sid: 'WriteUnshippableChanges',
        actions: ['s3:PutObject'],
        resources: [
          props.stateBucket.arnForObjects(`${LAKE_PREFIXES.errors}*/${ERROR_OUTPUT_TYPES.reader}/*`),
        ],
      }),
    );
    this.fn.addToRolePolicy(
      new iam.PolicyStatement({
        // The watermark rounds the loader reads (core/ports/round-log.ts); the reader only ever adds them.
        sid: 'RecordRounds',
        actions: ['s3:PutObject'],
        resources: [props.stateBucket.arnForObjects(`${LAKE_PREFIXES.rounds}*`)],
      }),
    );
    this.fn.addToRolePolicy(
      new iam.PolicyStatement({
        // Without ListBucket a missing state object reads as AccessDenied instead of NoSuchKey.
        sid: 'ListState',
        actions: ['s3:ListBucket'],
        resources: [props.stateBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${LAKE_PREFIXES.state}*`] } },
      }),
    );
    this.schedule = new ScheduledInvoke(this, 'EveryMinute', {
      fn: this.fn,
      rate: props.rate ?? Duration.minutes(1),
      description: 'Run the totesys CDC reader',
    });
    acknowledge(this.fn, [
      {
        id: lakeObjectsFinding(this, LAKE_PREFIXES.state),
        reason: 'The reader names its state objects at run time; they are granted by the state/ prefix only.',
      },
      {
        id: lakeObjectsFinding(this, `${LAKE_PREFIXES.errors}*/${ERROR_OUTPUT_TYPES.reader}/`),
        reason: 'Unshippable changes are named by table, day and LSN at run time; write-only, under errors/.',
      },
      {
        id: lakeObjectsFinding(this, LAKE_PREFIXES.rounds),
        reason:
          'Round records are named by their LSN at run time; they are granted by the rounds/ prefix only.',
      },
    ]);
  }
}
