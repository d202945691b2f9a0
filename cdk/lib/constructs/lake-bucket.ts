/**
 * @module
 * The lake bucket: Parquet under `<lake table>/`, Firehose's failed records under `errors/`, the reader's
 * state under `state/` and its round log under `rounds/`, and Athena's results under `athena-results/`, with
 * an access-log bucket beside it.
 */
import { Aws, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, type IConstruct } from 'constructs';
import type { DeploymentNames } from '../../../core/deployment-names.ts';
import { LAKE_PREFIXES } from '../../../core/lake-layout.ts';
import { acknowledge, wildcardFinding } from '../acknowledge.ts';
import { deploymentNamesOf } from '../stack-names.ts';

export { LAKE_PREFIXES };

/** The S3 request-metrics filter that counts PUTs under `errors/` (the error-object alarm reads it). */
export const ERRORS_METRICS_FILTER_ID = 'errors';

/**
 * The lake bucket's name, `totesys-lake-<account>-<region>` (behind the deployment's prefix, if any). Fixed
 * rather than generated so the ingest stack (and a human) can name it without a cross-stack export, and IAM
 * policies read plainly.
 */
export function lakeBucketName(names: DeploymentNames): string {
  return names.lakeBucket(Aws.ACCOUNT_ID, Aws.REGION);
}

/**
 * The cdk-nag IAM5 finding for "every object under `prefix`" of the lake bucket. The partition is a literal
 * when the stack's region is known (`cdk synth` with a default region) and a pseudo parameter otherwise.
 */
export function lakeObjectsFinding(scope: IConstruct, prefix: string): string {
  const partition = Stack.of(scope).partition;
  const rendered = Token.isUnresolved(partition) ? '<AWS::Partition>' : partition;
  // The bucket name as cdk-nag renders it in findings: pseudo parameters in angle brackets.
  const bucket = deploymentNamesOf(scope).lakeBucket('<AWS::AccountId>', '<AWS::Region>');
  return wildcardFinding(`arn:${rendered}:s3:::${bucket}/${prefix}*`);
}

/** Props of {@link LakeBucket}. */
export interface LakeBucketProps {
  /**
   * Days to keep Firehose's failed records under `errors/` (the only copy of a record that failed).
   * @default 90
   */
  readonly errorRetentionDays?: number;
  /**
   * Days to keep Athena query results (the loader reads them once, right away).
   * @default 7
   */
  readonly athenaResultRetentionDays?: number;
  /**
   * Days to keep overwritten or deleted object versions.
   * @default 30
   */
  readonly noncurrentVersionRetentionDays?: number;
  /**
   * DESTROY lets `cdk destroy` remove the (empty) buckets; RETAIN keeps the lake when the stack goes.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * An encrypted, versioned, private bucket for the lake.
 *
 * Encryption is S3-managed (SSE-S3) rather than KMS: every reader and writer is a principal of this account
 * governed by IAM and the bucket policy, and Firehose, Athena and the Lambdas make many small requests that
 * SSE-KMS would bill per call and throttle on the KMS request quota. Switch to a customer key when a separate
 * key policy or decrypt audit trail is required.
 */
export class LakeBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: LakeBucketProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(90) }],
      removalPolicy,
    });
    acknowledge(this.accessLogs, [
      { id: 'AwsSolutions-S1', reason: 'This is the access-log bucket; logging it into itself would loop.' },
    ]);

    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: lakeBucketName(deploymentNamesOf(this)),
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'lake/',
      // Request metrics on errors/ only: one PUT there means Firehose wrote a failed record.
      metrics: [{ id: ERRORS_METRICS_FILTER_ID, prefix: LAKE_PREFIXES.errors }],
      lifecycleRules: [
        {
          id: 'expire-errors',
          prefix: LAKE_PREFIXES.errors,
          expiration: Duration.days(props.errorRetentionDays ?? 90),
        },
        {
          id: 'expire-athena-results',
          prefix: LAKE_PREFIXES.athenaResults,
          expiration: Duration.days(props.athenaResultRetentionDays ?? 7),
        },
        {
          id: 'expire-noncurrent-versions',
          noncurrentVersionExpiration: Duration.days(props.noncurrentVersionRetentionDays ?? 30),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
      removalPolicy,
    });
  }
}
