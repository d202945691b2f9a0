/**
 * @module
 * Deploy on commit: GitHub Actions' OIDC identity provider and the role the workflow on `main` assumes with
 * short-lived credentials (.github/workflows/ci.yml). Least privilege: the role may only assume the CDK
 * bootstrap roles of this account and region (deploy, file publishing, lookup), which hold what a
 * `cdk deploy` needs; it touches no resource itself. Deployed once, by a person, with
 * `npx cdk deploy TotesysDeployAccess -c githubRepository=<owner>/<repo>`.
 */
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { acknowledge } from '../acknowledge.ts';

/** GitHub's OIDC issuer and the audience the configure-aws-credentials action asks for. */
export const GITHUB_OIDC = {
  url: 'https://token.actions.githubusercontent.com',
  audience: 'sts.amazonaws.com',
};

/** The CDK bootstrap qualifier (`cdk bootstrap`'s default). */
const BOOTSTRAP_QUALIFIER = 'hnb659fds';

/** Props of {@link DeployAccessStack}. */
export interface DeployAccessStackProps extends StackProps {
  /** `owner/name` of the repository whose workflow on `main` may deploy. */
  readonly repository: string;
  /**
   * The account's existing GitHub OIDC provider (IAM allows one per issuer per account).
   * @default a new provider
   */
  readonly existingProviderArn?: string;
  /** @default 'main' */
  readonly branch?: string;
}

/** The OIDC provider and the deploy role. */
export class DeployAccessStack extends Stack {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: DeployAccessStackProps) {
    super(scope, id, props);
    if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(props.repository)) {
      throw new Error(`githubRepository must be "owner/name", got "${props.repository}".`);
    }
    const provider = props.existingProviderArn
      ? iam.OidcProviderNative.fromOidcProviderArn(this, 'GitHub', props.existingProviderArn)
      : new iam.OidcProviderNative(this, 'GitHub', {
          url: GITHUB_OIDC.url,
          clientIds: [GITHUB_OIDC.audience],
        });
    const issuer = GITHUB_OIDC.url.replace('https://', '');
    this.role = new iam.Role(this, 'DeployRole', {
      description: `GitHub Actions: cdk deploy of totesys-stream from ${props.repository}@${props.branch ?? 'main'}`,
      maxSessionDuration: Duration.hours(1),
      assumedBy: new iam.WebIdentityPrincipal(provider.oidcProviderArn, {
        StringEquals: {
          [`${issuer}:aud`]: GITHUB_OIDC.audience,
          // Only pushes to the branch: not pull requests, not other branches, not other repositories.
          [`${issuer}:sub`]: `repo:${props.repository}:ref:refs/heads/${props.branch ?? 'main'}`,
        },
      }),
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'AssumeCdkBootstrapRoles',
        actions: ['sts:AssumeRole', 'sts:TagSession'],
        resources: ['deploy', 'file-publishing', 'lookup'].map((kind) =>
          this.formatArn({
            service: 'iam',
            region: '',
            resource: 'role',
            resourceName: `cdk-${BOOTSTRAP_QUALIFIER}-${kind}-role-${this.account}-${this.region}`,
          }),
        ),
      }),
    );
    new CfnOutput(this, 'DeployRoleArn', {
      value: this.role.roleArn,
      description: 'Set as the repository variable AWS_DEPLOY_ROLE_ARN',
    });
    acknowledge(this.role, [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'No wildcard is granted: the statement names the three CDK bootstrap roles of this account and region.',
      },
    ]);
  }
}
