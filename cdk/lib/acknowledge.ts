/**
 * @module
 * Acknowledges cdk-nag findings on a construct and everything under it, each with its written reason
 * (cdk-nag 3 reads CDK's `Validations` acknowledgments from the construct or any ancestor).
 */
import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** One acknowledged rule, e.g. `AwsSolutions-IAM5`, and why it does not apply here. */
export interface NagAcknowledgment {
  readonly id: string;
  readonly reason: string;
}

/** Records every acknowledgment on `scope`. */
export function acknowledge(scope: IConstruct, acknowledgments: readonly NagAcknowledgment[]): void {
  for (const a of acknowledgments) Validations.of(scope).acknowledge({ id: a.id, reason: a.reason });
}

/**
 * The cdk-nag IAM5 finding id for a policy resource, as cdk-nag renders it: `Ref`/`GetAtt` become
 * `<LogicalId.Attr>`, pseudo parameters `<AWS::Region>`. Acknowledging the exact finding (not the whole rule)
 * keeps every other wildcard on the same policy reported.
 */
export function wildcardFinding(renderedResource: string): string {
  return `AwsSolutions-IAM5[Resource::${renderedResource}]`;
}

/** The IAM5 finding for `<function ARN>:*` (a function's versions and aliases), as grantInvoke writes it. */
export function functionVersionsFinding(fn: IConstruct & { node: { defaultChild?: IConstruct } }): string {
  const cfn = fn.node.defaultChild as CfnElement;
  return wildcardFinding(`<${Stack.of(fn).getLogicalId(cfn)}.Arn>:*`);
}

/** The IAM4 finding for an AWS managed service-role policy. */
export function managedPolicyFinding(policyName: string): string {
  return `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/${policyName}]`;
}
