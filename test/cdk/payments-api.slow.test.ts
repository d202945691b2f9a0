import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PaymentsApi } from '../../cdk/lib/constructs/payments-api.ts';
import { FEATURE_FLAGS } from '../../cdk/lib/feature-flags.ts';
import { FUNCTION_ENTRIES } from '../../cdk/lib/repo-paths.ts';
import { bundledCodeDir } from './bundled-code.ts';

const READER_SECRET = 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:totesys-dashboard-AbCdEf';

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

let outdir: string;
let template: Template;
let assetDir: string;

// The real handler bundled for real (esbuild, no Docker), once, with cdk-nag as a validation plugin: a
// finding without an acknowledgment fails this synthesis.
beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'totesys-api-'));
  const app = new App({ outdir, postCliContext: FEATURE_FLAGS });
  const stack = new Stack(app, 'Api', { env: { account: '111122223333', region: 'eu-west-2' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  new PaymentsApi(stack, 'PaymentsApi', {
    entry: FUNCTION_ENTRIES.api,
    vpc,
    subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    securityGroups: [new ec2.SecurityGroup(stack, 'Sg', { vpc, allowAllOutbound: true })],
    readerSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Reader', READER_SECRET),
    bucket: s3.Bucket.fromBucketName(stack, 'Lake', 'totesys-lake-111122223333-eu-west-2'),
  });
  // The test's own VPC has no flow log; that is the deployment's (demo-databases.ts) business, not the API's.
  Validations.of(vpc).acknowledge({ id: 'AwsSolutions-VPC7', reason: 'A test VPC.' });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
  template = Template.fromStack(stack);
  assetDir = bundledCodeDir(outdir, 'Api');
}, 300_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

function statementsOfFunctionRole(): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy') as Record<
    string,
    { Properties: { PolicyDocument: { Statement: Statement[] }; Roles: unknown[] } }
  >;
  return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
}

describe('the API on AWS', () => {
  it('bundles the handler with the dashboard prebuilt beside it (the Lambda has no esbuild)', () => {
    expect(existsSync(join(assetDir, 'index.mjs'))).toBe(true);
    const script = readFileSync(join(assetDir, 'dashboard', 'dashboard.js'), 'utf8');
    expect(script).toMatch(/^\/\*! uPlot \(c\) Leon Sorokin, MIT License/);
    expect(existsSync(join(assetDir, 'dashboard', 'dashboard.css'))).toBe(true);
  });

  it("runs in the VPC with verified TLS, reading the read-only role's secret and the lake bucket by name", () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue(), SecurityGroupIds: Match.anyValue() }),
      Environment: {
        Variables: Match.objectLike({
          TOTESYS_WAREHOUSE_SECRET_ARN: READER_SECRET,
          TOTESYS_LAKE_BUCKET: 'totesys-lake-111122223333-eu-west-2',
          TOTESYS_DB_TLS: 'require',
          NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
        }),
      },
    });
  });

  it('may read only the reader secret and list only errors/ (least privilege: no object reads or writes)', () => {
    const statements = statementsOfFunctionRole();
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions.sort()).toEqual([
      's3:ListBucket',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    const secretStatement = statements.find((s) => JSON.stringify(s.Action).includes('GetSecretValue'));
    expect(secretStatement?.Resource).toBe(READER_SECRET);
    const list = statements.find((s) => s.Sid === 'CountErrorObjects');
    expect(list?.Condition).toEqual({ StringLike: { 's3:prefix': ['errors/*'] } });
  });

  it('sits behind an HTTP API whose every route needs IAM authorisation, access-logged and throttled', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')) as {
      Properties: { RouteKey: string; AuthorizationType?: string };
    }[];
    expect(routes.map((r) => r.Properties)).toEqual([
      expect.objectContaining({ RouteKey: '$default', AuthorizationType: 'AWS_IAM' }),
    ]);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
      DefaultRouteSettings: Match.objectLike({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 }),
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
    });
  });

  it('offers callers a policy allowing GET on this API and nothing else', () => {
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: [
          {
            Action: 'execute-api:Invoke',
            Effect: 'Allow',
            Resource: {
              'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('/\\*/GET/\\*$')])],
            },
          },
        ],
      },
    });
  });
});
