import { readFileSync } from 'node:fs';
import { validateWorkflow } from '@action-validator/core';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FEATURE_FLAGS } from '../../cdk/lib/feature-flags.ts';
import { DeployAccessStack, GITHUB_OIDC } from '../../cdk/lib/stacks/deploy-access-stack.ts';

const WORKFLOW_PATH = new URL('../../.github/workflows/ci.yml', import.meta.url);
const WORKFLOW_TEXT = readFileSync(WORKFLOW_PATH, 'utf8');

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, string>;
}
interface Job {
  readonly if?: string;
  readonly needs?: string;
  readonly permissions?: Record<string, string>;
  readonly steps: Step[];
}
const workflow = parse(WORKFLOW_TEXT) as { on: Record<string, unknown>; jobs: Record<string, Job> };

describe('the GitHub Actions workflow', () => {
  it('is valid against the GitHub workflow schema (action-validator, offline)', () => {
    expect(validateWorkflow(WORKFLOW_TEXT).errors).toEqual([]);
  });

  it('runs .ci/run on every push', () => {
    expect(Object.keys(workflow.on)).toContain('push');
    expect(workflow.on['push']).toBeNull();
    expect(workflow.jobs['test']?.steps.some((s) => s.run === 'bash .ci/run')).toBe(true);
  });

  it('deploys only from main, after the tests, with OIDC credentials and no stored keys', () => {
    const deploy = workflow.jobs['deploy']!;
    expect(deploy.needs).toBe('test');
    expect(deploy.if).toMatch(/github\.ref == 'refs\/heads\/main'/);
    expect(deploy.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    const credentials = deploy.steps.find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials'));
    expect(credentials?.with?.['role-to-assume']).toMatch(/^\$\{\{ vars\.AWS_DEPLOY_ROLE_ARN \}\}$/);
    expect(WORKFLOW_TEXT).not.toMatch(/secrets\.|aws-access-key-id|aws-secret-access-key/);
    const runs = deploy.steps.map((s) => s.run ?? '').join('\n');
    expect(runs).toMatch(/npm run synth/);
    expect(runs).toMatch(/cdk deploy --all --require-approval never/);
    expect(runs).toMatch(/vars\.ALARM_EMAIL/);
  });
});

describe('the deploy access stack', () => {
  let template: Template;
  beforeAll(() => {
    const app = new App({ postCliContext: FEATURE_FLAGS });
    const stack = new DeployAccessStack(app, 'TotesysDeployAccess', {
      env: { account: '111122223333', region: 'eu-west-2' },
      repository: 'example/totesys-stream',
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    app.synth();
    template = Template.fromStack(stack);
  });

  it("creates GitHub's OIDC provider for the STS audience", () => {
    template.hasResourceProperties('AWS::IAM::OIDCProvider', {
      Url: GITHUB_OIDC.url,
      ClientIdList: [GITHUB_OIDC.audience],
    });
  });

  it('lets only pushes to main of the one repository assume the role, for at most an hour', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      MaxSessionDuration: 3600,
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: 'sts:AssumeRoleWithWebIdentity',
            Condition: {
              StringEquals: {
                'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
                'token.actions.githubusercontent.com:sub': 'repo:example/totesys-stream:ref:refs/heads/main',
              },
            },
          }),
        ],
      },
    });
  });

  it('grants nothing but assuming the three CDK bootstrap roles of this account and region', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    expect(policies).toHaveLength(1);
    const statements = (policies[0] as { Properties: { PolicyDocument: { Statement: unknown[] } } })
      .Properties.PolicyDocument.Statement;
    expect(statements).toEqual([
      {
        Sid: 'AssumeCdkBootstrapRoles',
        Effect: 'Allow',
        Action: ['sts:AssumeRole', 'sts:TagSession'],
        Resource: ['deploy', 'file-publishing', 'lookup'].map(
          (kind) => `arn:aws:iam::111122223333:role/cdk-hnb659fds-${kind}-role-111122223333-eu-west-2`,
        ),
      },
    ]);
  });

  it('refuses a repository that is not owner/name', () => {
    expect(
      () =>
        new DeployAccessStack(new App(), 'X', { repository: 'just-a-name', env: { region: 'eu-west-2' } }),
    ).toThrow(/owner\/name/);
  });
});
