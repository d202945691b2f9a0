import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { FEATURE_FLAGS } from '../../cdk/lib/feature-flags.ts';
import { LakeStack } from '../../cdk/lib/stacks/lake-stack.ts';

/** The lake stack alone (no Lambdas to bundle), with cdk-nag on, as `cdk destroy` prerequisites set it. */
function lakeTemplate(destroyOnRemoval: boolean): Template {
  const app = new App({ postCliContext: FEATURE_FLAGS });
  const stack = new LakeStack(app, 'Lake', {
    demo: true,
    destroyOnRemoval,
    queriesDirectory: '/nonexistent',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
  return Template.fromStack(stack);
}

describe('the lake stack removal policy', () => {
  it('retains the buckets and workgroup and snapshots the protected demo databases by default', () => {
    const template = lakeTemplate(false);
    const policies = (type: string) =>
      Object.values(template.findResources(type)).map((r) => r.DeletionPolicy);
    expect(new Set(policies('AWS::S3::Bucket'))).toEqual(new Set(['Retain']));
    expect(policies('AWS::Athena::WorkGroup')).toEqual(['Retain']);
    expect(new Set(policies('AWS::RDS::DBInstance'))).toEqual(new Set(['Snapshot']));
    template.hasResourceProperties('AWS::RDS::DBInstance', { DeletionProtection: true });
  });

  it('deletes them only when destroyOnRemoval is set, and still passes cdk-nag', () => {
    const template = lakeTemplate(true);
    const policies = (type: string) =>
      Object.values(template.findResources(type)).map((r) => r.DeletionPolicy);
    expect(new Set(policies('AWS::S3::Bucket'))).toEqual(new Set(['Delete']));
    expect(new Set(policies('AWS::RDS::DBInstance'))).toEqual(new Set(['Delete']));
    template.hasResourceProperties('AWS::RDS::DBInstance', { DeletionProtection: false });
    template.hasResourceProperties('AWS::Athena::WorkGroup', { RecursiveDeleteOption: true });
  });
});
