/**
 * @module
 * The deployment names a construct builds with: those of the stack it sits in (the lake and ingest stacks
 * carry their deployment's names, core/deployment-names.ts), or the default deployment's in a bare stack.
 */
import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { type DeploymentNames, deploymentNames } from '../../core/deployment-names.ts';

/** A stack that knows its deployment's names. */
export interface NamedStack {
  readonly names: DeploymentNames;
}

/** The names of the deployment `scope` belongs to. */
export function deploymentNamesOf(scope: IConstruct): DeploymentNames {
  const stack: Stack & Partial<NamedStack> = Stack.of(scope);
  return stack.names ?? deploymentNames();
}
