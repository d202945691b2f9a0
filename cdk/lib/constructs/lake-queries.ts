/**
 * @module
 * What a function that reads the warehouse's cut and queries the lake through Athena needs: the loader
 * (warehouse-loader.ts) and compaction (lake-compactor.ts) both do. One definition of their shared
 * environment, secret grants and Athena statements, so the two cannot drift apart.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ENV } from '../../../core/operations.ts';
import { LAKE_PREFIXES } from './lake-bucket.ts';
import type { PipelineFunction, RdsNetwork } from './pipeline-function.ts';
import { grantSecretKeyDecrypt } from './secret-key-grant.ts';

/** The warehouse, the lake and the Athena workgroup such a function works with. */
export interface LakeQueryTarget extends RdsNetwork {
  /** The warehouse's credentials (RDS secret JSON). */
  readonly warehouseSecret: secretsmanager.ISecret;
  /**
   * Customer-managed KMS key of the secret, granted kms:Decrypt through Secrets Manager.
   * @default none (the AWS managed key needs no grant)
   */
  readonly secretKeyArn?: string;
  readonly bucket: s3.IBucket;
  readonly glueDatabase: string;
  /** The workgroup; it enforces the result location and the bytes-scanned cutoff. */
  readonly workGroupName: string;
  readonly workGroupArn: string;
}

/**
 * The Athena API calls lake/athena-query-engine.ts makes (start, poll, page the results, stop a query past its
 * timeout), and GetWorkGroup.
 */
const ATHENA_QUERY_ACTIONS = [
  'athena:StartQueryExecution',
  'athena:GetQueryExecution',
  'athena:GetQueryResults',
  'athena:StopQueryExecution',
  'athena:GetWorkGroup',
];

/** The environment that names the target (the keys functions/loader/config.ts and the compaction read). */
export function lakeQueryEnvironment(target: LakeQueryTarget): Record<string, string> {
  return {
    [ENV.warehouseSecretArn]: target.warehouseSecret.secretArn,
    [ENV.lakeBucket]: target.bucket.bucketName,
    [ENV.glueDatabase]: target.glueDatabase,
    [ENV.athenaWorkgroup]: target.workGroupName,
  };
}

/** Lets `fn` read the warehouse secret (and decrypt it when a customer-managed key protects it). */
export function grantWarehouseSecret(fn: PipelineFunction, target: LakeQueryTarget): void {
  target.warehouseSecret.grantRead(fn);
  grantSecretKeyDecrypt(fn, target.secretKeyArn);
}

/**
 * The statements every Athena caller of the target needs, each placed by its construct: running queries in
 * the workgroup (under the construct's own `sid`), listing the lake bucket, and writing Athena's results
 * (Athena reads and writes with the caller's permissions).
 */
export function athenaQueryStatements(
  target: LakeQueryTarget,
  runSid: string,
): {
  readonly runQueries: iam.PolicyStatement;
  readonly listLake: iam.PolicyStatement;
  readonly writeQueryResults: iam.PolicyStatement;
} {
  return {
    runQueries: new iam.PolicyStatement({
      sid: runSid,
      actions: [...ATHENA_QUERY_ACTIONS],
      resources: [target.workGroupArn],
    }),
    listLake: new iam.PolicyStatement({
      sid: 'ListLake',
      actions: ['s3:ListBucket', 's3:GetBucketLocation'],
      resources: [target.bucket.bucketArn],
    }),
    writeQueryResults: new iam.PolicyStatement({
      sid: 'WriteQueryResults',
      actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      resources: [target.bucket.arnForObjects(`${LAKE_PREFIXES.athenaResults}*`)],
    }),
  };
}
