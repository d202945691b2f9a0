/**
 * @module
 * The deployment's settings, read from CDK context (`cdk.json` or `cdk deploy -c key=value`), validated once,
 * with every default in one place. the README (Deploying to AWS) lists the same keys.
 */
import type { App } from 'aws-cdk-lib';
import { AWS_BUFFERING_LIMITS, DESTINATION_BUFFERING } from '../../core/delivery-stream-spec.ts';
import { DeploymentPrefixError, deploymentNames } from '../../core/deployment-names.ts';
import { COLLECTOR_NAMES, type CollectorName, needsApiKey } from '../../core/schema/market-lake-tables.ts';

/** Where the pipeline's Lambdas run and what they connect to when the databases already exist. */
export interface ExistingNetwork {
  readonly vpcId: string;
  /** Private subnets of the Lambdas (at least two, in different AZs, for availability). */
  readonly subnetIds: readonly string[];
  /** Route tables of those subnets; when given, an S3 gateway endpoint is added to them. */
  readonly routeTableIds: readonly string[];
  /** Security group of the Lambdas; the source and warehouse must allow 5432 from it. */
  readonly securityGroupId: string;
  readonly sourceSecretArn: string;
  readonly warehouseSecretArn: string;
  /** RDS instance identifier of the source, for the replication-slot and storage alarms. */
  readonly sourceDbInstanceIdentifier?: string;
  /** Customer-managed KMS key encrypting the source secret (the reader gets kms:Decrypt on it). */
  readonly sourceSecretKeyArn?: string;
  /** Customer-managed KMS key encrypting the warehouse secret (the loader gets kms:Decrypt on it). */
  readonly warehouseSecretKeyArn?: string;
}

/** One market collector to deploy (README, "Market data on AWS"). */
export interface MarketCollectorSettings {
  readonly name: CollectorName;
  /**
   * A keyed collector's (equities, fred, crypto) own secret holding its API key; without it the stack creates
   * an empty one for the key to be put in.
   */
  readonly apiKeySecretArn?: string;
  /** The customer-managed KMS key of that secret (the collector gets kms:Decrypt on it through Secrets Manager). */
  readonly apiKeySecretKeyArn?: string;
}

/** The collectors deployed when `marketCollectors` is not set: `fx` needs no key and feeds the GBP views. */
export const DEFAULT_MARKET_COLLECTORS: readonly CollectorName[] = ['fx'];

/** Everything `bin/app.ts` needs to build the two stacks. */
export interface PipelineSettings {
  /**
   * The stack-name prefix every deployed name derives from (core/deployment-names.ts); empty for the default
   * deployment, whose names never change.
   */
  readonly prefix: string;
  /** Create a VPC and demo RDS source and warehouse instead of using existing ones. */
  readonly demo: boolean;
  readonly network?: ExistingNetwork;
  /** Create interface endpoints for Firehose, Secrets Manager and Athena (false when the VPC has a NAT). */
  readonly vpcEndpoints: boolean;
  readonly alarmEmail?: string;
  readonly bufferingIntervalSeconds: number;
  readonly bufferingSizeMiB: number;
  readonly loaderRateMinutes: number;
  readonly streamPrefix: string;
  /**
   * Reserve one concurrent execution each for the reader and the loader. Off by default: Lambda refuses a
   * reservation that leaves fewer than 100 unreserved executions, which fails the stack on accounts with a
   * low quota; single flight holds without it (the slot for the reader, a lease for the loader).
   */
  readonly reservedConcurrency: boolean;
  /** Let `cdk destroy` delete the bucket, database and workgroup (never in production). */
  readonly destroyOnRemoval: boolean;
  /** Add the smoke probe Lambda that `npm run aws:smoke` invokes (demo only). */
  readonly smokeProbe: boolean;
  /** Secrets Manager ARN of a read-only warehouse role: deploys the dashboard and payments API. */
  readonly warehouseReaderSecretArn?: string;
  /** Deploy on commit: the `owner/name` repository whose workflow on main may deploy (adds TotesysDeployAccess). */
  readonly githubRepository?: string;
  /** The account's existing GitHub OIDC provider, when it has one already (one per issuer per account). */
  readonly githubOidcProviderArn?: string;
  /** The market collectors deployed, each a Lambda on its schedule (none with `marketCollectors=none`). */
  readonly marketCollectors: readonly MarketCollectorSettings[];
}

/** A context value that is missing or malformed; the message names the key and an example. */
export class PipelineSettingsError extends Error {
  override readonly name = 'PipelineSettingsError';
}

type Lookup = (key: string) => unknown;

function text(get: Lookup, key: string): string | undefined {
  const value = get(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new PipelineSettingsError(`Context "${key}" must be a string.`);
  return value;
}

function flag(get: Lookup, key: string, fallback: boolean): boolean {
  const value = get(key);
  if (value === undefined) return fallback;
  // `-c key=false` arrives as the string "false".
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new PipelineSettingsError(`Context "${key}" must be true or false, got ${JSON.stringify(value)}.`);
}

function integer(get: Lookup, key: string, fallback: number, min: number, max: number): number {
  const value = get(key);
  if (value === undefined) return fallback;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new PipelineSettingsError(
      `Context "${key}" must be a whole number from ${min} to ${max}, got ${value}.`,
    );
  }
  return n;
}

function list(get: Lookup, key: string): string[] {
  const value = get(key);
  if (value === undefined || value === '') return [];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  if (typeof value === 'string')
    return value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
  throw new PipelineSettingsError(`Context "${key}" must be a comma-separated string or a list of strings.`);
}

function required(get: Lookup, key: string, example: string): string {
  const value = text(get, key);
  if (!value) {
    throw new PipelineSettingsError(
      `Context "${key}" is required when demo=false (e.g. -c ${key}=${example}); or deploy with -c demo=true.`,
    );
  }
  return value;
}

function keyArn(get: Lookup, key: string): string | undefined {
  const value = text(get, key);
  if (value !== undefined && !/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]+$/.test(value)) {
    throw new PipelineSettingsError(
      `Context "${key}" must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>), got ${value}.`,
    );
  }
  return value;
}

/** The `prefix` context value, checked; a bad one is a settings error that says what is allowed. */
function deploymentPrefix(get: Lookup): string {
  const prefix = text(get, 'prefix') ?? '';
  try {
    return deploymentNames(prefix).prefix;
  } catch (error) {
    if (!(error instanceof DeploymentPrefixError)) throw error;
    throw new PipelineSettingsError(`Context "prefix": ${error.message}`, { cause: error });
  }
}

/** Reads and validates the settings from a context lookup (`app.node.tryGetContext`). */
export function readPipelineSettings(get: Lookup): PipelineSettings {
  const prefix = deploymentPrefix(get);
  const demo = flag(get, 'demo', false);
  const smokeProbe = flag(get, 'smokeProbe', false);
  if (smokeProbe && !demo) {
    throw new PipelineSettingsError(
      'Context "smokeProbe" needs -c demo=true: the probe changes the demo source (npm run aws:smoke).',
    );
  }
  let network: ExistingNetwork | undefined;
  if (!demo) {
    const subnetIds = list(get, 'subnetIds');
    if (subnetIds.length === 0) {
      throw new PipelineSettingsError(
        'Context "subnetIds" is required when demo=false (e.g. -c subnetIds=subnet-0a1,subnet-0b2).',
      );
    }
    network = {
      vpcId: required(get, 'vpcId', 'vpc-0123456789abcdef0'),
      subnetIds,
      routeTableIds: list(get, 'routeTableIds'),
      securityGroupId: required(get, 'securityGroupId', 'sg-0123456789abcdef0'),
      sourceSecretArn: required(
        get,
        'sourceSecretArn',
        'arn:aws:secretsmanager:eu-west-2:111122223333:secret:totesys-AbCdEf',
      ),
      warehouseSecretArn: required(
        get,
        'warehouseSecretArn',
        'arn:aws:secretsmanager:eu-west-2:111122223333:secret:warehouse-AbCdEf',
      ),
      sourceDbInstanceIdentifier: text(get, 'sourceDbInstanceIdentifier'),
      sourceSecretKeyArn: keyArn(get, 'sourceSecretKeyArn'),
      warehouseSecretKeyArn: keyArn(get, 'warehouseSecretKeyArn'),
    };
  }
  const email = text(get, 'alarmEmail');
  if (email !== undefined && !/^[^@\s]+@[^@\s]+$/.test(email)) {
    throw new PipelineSettingsError(`Context "alarmEmail" is not an email address: ${email}.`);
  }
  return {
    prefix,
    demo,
    network,
    vpcEndpoints: flag(get, 'vpcEndpoints', true),
    alarmEmail: email,
    // Firehose refuses less than 60 s and 64 MiB once dynamic partitioning and Parquet conversion are on.
    bufferingIntervalSeconds: integer(
      get,
      'bufferingIntervalSeconds',
      DESTINATION_BUFFERING.aws.intervalInSeconds,
      AWS_BUFFERING_LIMITS.intervalInSeconds.min,
      AWS_BUFFERING_LIMITS.intervalInSeconds.max,
    ),
    bufferingSizeMiB: integer(
      get,
      'bufferingSizeMiB',
      DESTINATION_BUFFERING.aws.sizeInMBs,
      AWS_BUFFERING_LIMITS.sizeInMBs.min,
      AWS_BUFFERING_LIMITS.sizeInMBs.max,
    ),
    loaderRateMinutes: integer(get, 'loaderRateMinutes', 1, 1, 1440),
    streamPrefix: text(get, 'streamPrefix') ?? deploymentNames(prefix).streamPrefix,
    reservedConcurrency: flag(get, 'reservedConcurrency', false),
    destroyOnRemoval: flag(get, 'destroyOnRemoval', false),
    smokeProbe,
    warehouseReaderSecretArn: secretArn(get, 'warehouseReaderSecretArn'),
    githubRepository: text(get, 'githubRepository'),
    githubOidcProviderArn: text(get, 'githubOidcProviderArn'),
    marketCollectors: marketCollectors(get),
  };
}

/**
 * `marketCollectors` (comma-separated names, or `none`) and each keyed one's `<name>ApiKeySecretArn` and
 * `<name>ApiKeySecretKeyArn`.
 */
function marketCollectors(get: Lookup): MarketCollectorSettings[] {
  const given =
    get('marketCollectors') === undefined ? [...DEFAULT_MARKET_COLLECTORS] : list(get, 'marketCollectors');
  const names = given.length === 1 && given[0] === 'none' ? [] : given;
  const unknown = names.filter((n) => !(COLLECTOR_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new PipelineSettingsError(
      `Context "marketCollectors" names no collector ${unknown.join(', ')}: use ${COLLECTOR_NAMES.join(', ')} or none.`,
    );
  }
  return [...new Set(names as CollectorName[])].map((name) => {
    if (!needsApiKey(name)) return { name };
    const apiKeySecretArn = secretArn(get, `${name}ApiKeySecretArn`);
    const apiKeySecretKeyArn = keyArn(get, `${name}ApiKeySecretKeyArn`);
    if (apiKeySecretKeyArn && !apiKeySecretArn) {
      throw new PipelineSettingsError(
        `Context "${name}ApiKeySecretKeyArn" is the key of a secret of your own: give "${name}ApiKeySecretArn" too.`,
      );
    }
    return {
      name,
      ...(apiKeySecretArn ? { apiKeySecretArn } : {}),
      ...(apiKeySecretKeyArn ? { apiKeySecretKeyArn } : {}),
    };
  });
}

function secretArn(get: Lookup, key: string): string | undefined {
  const value = text(get, key);
  if (
    value !== undefined &&
    !/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/.test(value)
  ) {
    throw new PipelineSettingsError(
      `Context "${key}" must be a complete Secrets Manager ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>), got ${value}.`,
    );
  }
  return value;
}

/** The settings of an app, from its context. */
export function pipelineSettingsOf(app: App): PipelineSettings {
  return readPipelineSettings((key) => app.node.tryGetContext(key));
}
