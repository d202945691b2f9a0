/**
 * @module
 * The dashboard, the payments API, `/api/status` and `/metrics` on AWS (README "The dashboard and the API on
 * AWS"): functions/api/handler.ts, the same HTTP app as `serve`, in the VPC beside the loader, reading the
 * warehouse as a read-only role whose credentials are in Secrets Manager, behind an API Gateway HTTP API whose
 * every route needs IAM authorisation (SigV4-signed requests from a principal allowed `execute-api:Invoke`).
 */
import { type CfnElement, CfnOutput, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { LAKE_PREFIXES } from '../../../core/lake-layout.ts';
import { ENV } from '../../../core/operations.ts';
import { acknowledge, wildcardFinding } from '../acknowledge.ts';
import { PipelineFunction, type RdsNetwork } from './pipeline-function.ts';
import { grantSecretKeyDecrypt } from './secret-key-grant.ts';

/** Props of {@link PaymentsApi}. */
export interface PaymentsApiProps extends RdsNetwork {
  readonly entry: string;
  /** A read-only role's credentials (RDS secret JSON; README "A read-only role"). */
  readonly readerSecret: secretsmanager.ISecret;
  /** @default none (the AWS managed key needs no grant) */
  readonly secretKeyArn?: string;
  /** The lake bucket: the function lists `errors/` to count the error objects waiting. */
  readonly bucket: s3.IBucket;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** Requests per second the stage admits, and the burst above it: a dashboard and an API for people. */
const THROTTLE = { rateLimit: 20, burstLimit: 40 } as const;

/** The function, the HTTP API and its URL as a stack output. */
export class PaymentsApi extends Construct {
  readonly fn: PipelineFunction;
  readonly api: apigwv2.HttpApi;
  readonly accessLogs: logs.LogGroup;
  readonly invokePolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: PaymentsApiProps) {
    super(scope, id);
    this.fn = new PipelineFunction(this, 'Function', {
      entry: props.entry,
      logRemovalPolicy: props.logRemovalPolicy,
      description:
        'totesys-stream API: dashboard, payments, status and metrics over the warehouse (read only)',
      // API Gateway waits 30 s at most for an integration.
      timeout: Duration.seconds(29),
      memorySize: 512,
      rdsNetwork: props,
      environment: {
        [ENV.warehouseSecretArn]: props.readerSecret.secretArn,
        [ENV.lakeBucket]: props.bucket.bucketName,
      },
      // The Lambda has no esbuild: the page's script and style sheet are built beside the bundle.
      afterBundling: (outputDir) => [
        `node --import tsx functions/api/bundle-assets.ts "${outputDir}/dashboard"`,
      ],
    });
    props.readerSecret.grantRead(this.fn);
    grantSecretKeyDecrypt(this.fn, props.secretKeyArn);
    this.fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'CountErrorObjects',
        actions: ['s3:ListBucket'],
        resources: [props.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${LAKE_PREFIXES.errors}*`] } },
      }),
    );

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.api = new apigwv2.HttpApi(this, 'HttpApi', {
      description: 'totesys-stream dashboard and payments API (IAM-authorised)',
      defaultIntegration: new HttpLambdaIntegration('App', this.fn),
      defaultAuthorizer: new HttpIamAuthorizer(),
      createDefaultStage: false,
    });
    this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: THROTTLE,
      accessLogSettings: { destination: new apigwv2.LogGroupLogDestination(this.accessLogs) },
    });
    // Callers (a person's role, Grafana's, a finance system's) need exactly this: attach it to them.
    this.invokePolicy = new iam.ManagedPolicy(this, 'InvokePolicy', {
      description: 'May call the totesys-stream dashboard and API (GET only)',
      statements: [
        new iam.PolicyStatement({
          actions: ['execute-api:Invoke'],
          resources: [this.api.arnForExecuteApi('GET')],
        }),
      ],
    });
    acknowledge(this.invokePolicy, [
      {
        id: invokeFinding(this.api),
        reason:
          'Every GET path of this one API (the dashboard, its assets and the API routes); no other method or API.',
      },
    ]);
    new CfnOutput(this, 'InvokePolicyArn', {
      value: this.invokePolicy.managedPolicyArn,
      description: 'Attach to the roles that may read the dashboard and API',
    });
    new CfnOutput(this, 'Url', {
      value: this.api.apiEndpoint,
      description:
        'The dashboard and API (SigV4-signed requests: see README "The dashboard and the API on AWS")',
    });
  }
}

/** The IAM5 finding for the invoke policy's resource (every GET of the API), rendered as cdk-nag does. */
function invokeFinding(api: apigwv2.HttpApi): string {
  const stack = Stack.of(api);
  const rendered = (value: string, pseudo: string) =>
    Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value;
  const logicalId = stack.getLogicalId(api.node.findChild('Resource') as CfnElement);
  return wildcardFinding(
    `arn:${rendered(stack.partition, 'Partition')}:execute-api:${rendered(stack.region, 'Region')}:` +
      `${rendered(stack.account, 'AccountId')}:<${logicalId}>/*/GET/*`,
  );
}
