/**
 * @module
 * The one way this app builds a Lambda: an esbuild-bundled ESM handler on Node 22, arm64, with its own log
 * group. Every pipeline function shares these defaults so they cannot differ by accident.
 */
import { posix } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ENV } from '../../../core/operations.ts';
import { acknowledge, managedPolicyFinding } from '../acknowledge.ts';
import { REPO_ROOT } from '../repo-paths.ts';

/** Where a function that talks to RDS PostgreSQL runs: the VPC, its subnets and security groups. */
export interface RdsNetwork {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly securityGroups: readonly ec2.ISecurityGroup[];
}

/** Props of {@link PipelineFunction}: NodejsFunction's, minus what this construct decides. */
export interface PipelineFunctionProps
  extends Omit<nodejs.NodejsFunctionProps, 'runtime' | 'architecture' | 'bundling' | 'logGroup' | 'handler'> {
  /** The handler file; it exports `handler`. */
  readonly entry: string;
  /**
   * Days of logs to keep.
   * @default one month
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log group when the function is removed.
   * @default RemovalPolicy.RETAIN (DESTROY only with the destroyOnRemoval context flag)
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Repository directories copied beside the bundle, for files the code reads at run time (the loader's SQL).
   * @default none
   */
  readonly bundledDirectories?: readonly string[];
  /**
   * Shell commands run after bundling, from the repository root, given the bundle's directory (files built
   * for the bundle, such as the API's dashboard assets).
   * @default none
   */
  readonly afterBundling?: (outputDir: string) => readonly string[];
  /**
   * Packages installed beside the bundle instead of bundled into it (one that reads files of its own package at
   * run time, such as `ml-xgboost`'s `.wasm`), at the lock file's versions.
   * @default none
   */
  readonly nodeModules?: readonly string[];
  /**
   * The function talks to RDS PostgreSQL from this network: it runs in the subnets with the security groups,
   * requires TLS and verifies the server against Amazon's CA bundle.
   * @default none (no VPC, no database)
   */
  readonly rdsNetwork?: RdsNetwork;
}

/**
 * The environment of a function that connects to RDS with verified TLS. Node 20+ Lambda runtimes no longer
 * load Amazon's CA bundle (which holds the RDS CAs) by default; without it a verified connection fails.
 */
const RDS_TLS_ENVIRONMENT = {
  [ENV.databaseTls]: 'require',
  NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
} as const;

/** Node 22 on arm64 (Graviton: about 20% cheaper per GB-second than x86 for the same work). */
export class PipelineFunction extends nodejs.NodejsFunction {
  readonly logGroupOwned: logs.LogGroup;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    super(scope, id, {
      memorySize: 512,
      timeout: Duration.minutes(1),
      ...withoutOwnProps(props),
      ...(props.rdsNetwork
        ? {
            vpc: props.rdsNetwork.vpc,
            vpcSubnets: props.rdsNetwork.subnets,
            securityGroups: [...props.rdsNetwork.securityGroups],
          }
        : {}),
      // Pinned rather than NODEJS_LATEST: the project supports Node 20 and 22 (package.json engines).
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}package-lock.json`,
      logGroup,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        ...(props.rdsNetwork ? RDS_TLS_ENVIRONMENT : {}),
        ...props.environment,
      },
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        mainFields: ['module', 'main'],
        // pg and friends are CommonJS and call require(); give the ESM bundle one.
        banner:
          "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        // The Node 22 runtime ships SDK v3; pg-native is an optional add-on pg only loads on request; esbuild
        // builds the dashboard's assets in a checkout and is never loaded on Lambda (they are prebuilt there).
        externalModules: ['@aws-sdk/*', 'pg-native', 'esbuild'],
        ...(props.nodeModules ? { nodeModules: [...props.nodeModules] } : {}),
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir: string, outputDir: string) => [
            ...(props.bundledDirectories ?? []).map(
              (dir) =>
                `mkdir -p "${outputDir}/${posix.dirname(dir)}" && cp -R "${inputDir}/${dir}" "${outputDir}/${dir}"`,
            ),
            ...(props.afterBundling?.(outputDir) ?? []).map((command) => `cd "${inputDir}" && ${command}`),
          ],
        },
      },
    });
    this.logGroupOwned = logGroup;
    const managed =
      'AWS managed policies Lambda itself needs: logs (AWSLambdaBasicExecutionRole) and, in a VPC, network interfaces (AWSLambdaVPCAccessExecutionRole); they grant no data access.';
    acknowledge(this, [
      {
        id: 'AwsSolutions-L1',
        reason:
          'Node 22 is pinned on purpose: the bundle targets node22, the runtime the tests run on; a move to 24 (which package.json engines allows) is a reviewed change of target, never a side effect of NODEJS_LATEST moving with a CDK upgrade.',
      },
      { id: managedPolicyFinding('AWSLambdaBasicExecutionRole'), reason: managed },
      { id: managedPolicyFinding('AWSLambdaVPCAccessExecutionRole'), reason: managed },
    ]);
  }
}

/** NodejsFunction's props without the ones only this construct understands. */
function withoutOwnProps(
  props: PipelineFunctionProps,
): Omit<
  PipelineFunctionProps,
  'bundledDirectories' | 'afterBundling' | 'logRetention' | 'logRemovalPolicy' | 'rdsNetwork' | 'nodeModules'
> {
  const {
    bundledDirectories: _dirs,
    afterBundling: _after,
    logRetention: _retention,
    logRemovalPolicy: _removal,
    rdsNetwork: _network,
    nodeModules: _modules,
    ...rest
  } = props;
  return rest;
}
