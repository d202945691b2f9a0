/**
 * @module
 * CDK feature flags this app relies on, set in code so `cdk synth` and the template tests build the same
 * templates (cdk.json only carries the deployment's settings).
 */

/** Passed as the App's `postCliContext`. */
export const FEATURE_FLAGS = {
  // Grant S3 server-access-log delivery by bucket policy instead of the legacy LogDeliveryWrite ACL.
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
  // Merge IAM statements that differ only in resources, so policies stay short and readable.
  '@aws-cdk/aws-iam:minimizePolicies': true,
  '@aws-cdk/core:enablePartitionLiterals': true,
  // Keep CloudFormation's producer protection: the lake stack cannot drop an export the ingest stack uses.
  '@aws-cdk/core:defaultCrossStackReferences': 'strong',
} as const;
