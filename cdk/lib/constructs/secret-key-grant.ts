/**
 * @module
 * A bring-your-own secret encrypted with a customer-managed KMS key: the function reading it needs
 * kms:Decrypt on that key (the AWS managed `aws/secretsmanager` key needs no grant), and only when Secrets
 * Manager asks on its behalf.
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';

/** Grants `fn` kms:Decrypt on `keyArn`, through Secrets Manager of the stack's region only. */
export function grantSecretKeyDecrypt(fn: lambda.IFunction, keyArn: string | undefined): void {
  if (keyArn === undefined) return;
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'DecryptSecretKey',
      actions: ['kms:Decrypt'],
      resources: [keyArn],
      conditions: {
        StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(fn).region}.amazonaws.com` },
      },
    }),
  );
}
