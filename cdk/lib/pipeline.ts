/**
 * @module
 * Builds the two stacks from the settings: the stateful lake (with the demo databases when asked) and the
 * stateless ingest side wired to the demo's or the user's VPC, subnets, security group and secrets.
 */
import { type App, Duration, Size } from 'aws-cdk-lib';
import { deploymentNames } from '../../core/deployment-names.ts';
import type { PipelineSettings } from './pipeline-settings.ts';
import { FUNCTION_ENTRIES, type FunctionEntries } from './repo-paths.ts';
import { DeployAccessStack } from './stacks/deploy-access-stack.ts';
import { IngestStack } from './stacks/ingest-stack.ts';
import { LakeStack } from './stacks/lake-stack.ts';

/** The stacks of one deployment. */
export interface Pipeline {
  readonly lake: LakeStack;
  readonly ingest: IngestStack;
  /** Only with `githubRepository`: the OIDC provider and deploy role of the GitHub workflow. */
  readonly deployAccess?: DeployAccessStack;
}

/** Options for tests: other Lambda entries and query directory. */
export interface PipelineOptions {
  readonly entries?: FunctionEntries;
  readonly queriesDirectory?: string;
}

/**
 * Adds `TotesysLake` and `TotesysIngest` to the app, each name (stacks, bucket, catalog, workgroup, streams,
 * dashboard, metric namespace) derived from the settings' prefix.
 */
export function buildPipeline(app: App, settings: PipelineSettings, options: PipelineOptions = {}): Pipeline {
  const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
  const names = deploymentNames(settings.prefix);
  const lake = new LakeStack(app, names.lakeStack, {
    env,
    names,
    description: 'totesys-stream: lake bucket, Glue catalog, Athena workgroup (stateful)',
    demo: settings.demo,
    destroyOnRemoval: settings.destroyOnRemoval,
    queriesDirectory: options.queriesDirectory,
  });

  const ingest = new IngestStack(app, names.ingestStack, {
    env,
    names,
    description: 'totesys-stream: CDC reader, Firehose streams, transformer, loader, monitoring (stateless)',
    lake,
    existing: settings.network,
    interfaceEndpoints: settings.vpcEndpoints,
    entries: options.entries ?? FUNCTION_ENTRIES,
    streamPrefix: settings.streamPrefix,
    bufferingInterval: Duration.seconds(settings.bufferingIntervalSeconds),
    bufferingSize: Size.mebibytes(settings.bufferingSizeMiB),
    loaderRate: Duration.minutes(settings.loaderRateMinutes),
    reservedConcurrency: settings.reservedConcurrency,
    alarmEmail: settings.alarmEmail,
    destroyOnRemoval: settings.destroyOnRemoval,
    smokeProbe: settings.smokeProbe,
    warehouseReaderSecretArn: settings.warehouseReaderSecretArn,
    marketCollectors: settings.marketCollectors,
  });
  const deployAccess = settings.githubRepository
    ? new DeployAccessStack(app, names.deployAccessStack, {
        env,
        description: 'totesys-stream: GitHub OIDC provider and the deploy role of the workflow on main',
        repository: settings.githubRepository,
        existingProviderArn: settings.githubOidcProviderArn,
      })
    : undefined;
  return { lake, ingest, deployAccess };
}
