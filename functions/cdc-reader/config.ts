/**
 * @module
 * The CDC reader Lambda's configuration, read from the environment (names in core/operations.ts) and
 * validated at start, and the source connection it describes: a URL, or an RDS-style secret in Secrets
 * Manager (functions/operations/database-secret.ts), read again on every run so a rotation is picked up.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type pg from 'pg';
import { z } from 'zod';
import { LAKE_PREFIXES } from '../../core/lake-layout.ts';
import { type MemoryBounds, readMemoryBounds } from '../../core/memory-bounds.ts';
import { DEFAULTS, ENV } from '../../core/operations.ts';
import { parseReconnectBudget, type ReconnectBudget } from '../../core/reconnect-budget.ts';
import { type DatabaseLocation, databaseConnection } from '../operations/database-secret.ts';
import {
  type Environment,
  optionalText,
  parseEnvironment,
  requiredText,
  tlsSetting,
} from '../operations/environment.ts';

/** The validated configuration. */
export interface CdcReaderConfig {
  readonly source: DatabaseLocation;
  /** `require`: TLS with certificate verification (on Lambda set NODE_EXTRA_CA_CERTS to the RDS bundle). */
  readonly tls: 'require' | 'disable';
  readonly slot: string;
  readonly publication: string;
  readonly streamPrefix: string;
  readonly stateBucket: string;
  readonly statePrefix: string;
  /** How long a run keeps reconnecting to a lost source (core/reconnect-budget.ts); its time budget bounds it too. */
  readonly reconnectBudget: ReconnectBudget;
  /** The lake bucket: the watermark rounds are recorded under `rounds/` in it. */
  readonly lakeBucket: string;
  /** What the run may hold (core/memory-bounds.ts): the reader's buffer. */
  readonly memory: MemoryBounds;
}

/** The environment is missing or has invalid settings; the message names each variable. */
export class CdcReaderConfigError extends Error {
  override readonly name = 'CdcReaderConfigError';
}

const SCHEMA = z.object({
  [ENV.sourceUrl]: optionalText,
  [ENV.sourceSecretArn]: optionalText,
  [ENV.databaseTls]: tlsSetting(ENV.databaseTls),
  [ENV.stateBucket]: requiredText(`set ${ENV.stateBucket} (the bucket of the reader's state)`),
  [ENV.statePrefix]: optionalText,
  [ENV.slotName]: optionalText,
  [ENV.publicationName]: optionalText,
  [ENV.streamPrefix]: optionalText,
  [ENV.reconnectBudget]: optionalText,
  [ENV.lakeBucket]: optionalText,
});

/** Reads and validates the configuration; throws {@link CdcReaderConfigError} listing every problem. */
export function readConfig(env: Environment = process.env): CdcReaderConfig {
  const source = env[ENV.sourceUrl] || env[ENV.sourceSecretArn];
  const settings = parseEnvironment(
    SCHEMA,
    env,
    'CDC reader configuration',
    CdcReaderConfigError,
    source ? [] : [`set ${ENV.sourceSecretArn} (Secrets Manager ARN) or ${ENV.sourceUrl}`],
  );
  const url = settings[ENV.sourceUrl];
  let reconnectBudget: ReconnectBudget;
  let memory: MemoryBounds;
  try {
    reconnectBudget = parseReconnectBudget(settings[ENV.reconnectBudget], ENV.reconnectBudget);
    memory = readMemoryBounds(env);
  } catch (error) {
    throw new CdcReaderConfigError(`CDC reader configuration: ${(error as Error).message}`, { cause: error });
  }
  return {
    source: url ? { kind: 'url', url } : { kind: 'secret', arn: settings[ENV.sourceSecretArn]! },
    tls: settings[ENV.databaseTls],
    slot: settings[ENV.slotName] ?? DEFAULTS.slotName,
    publication: settings[ENV.publicationName] ?? DEFAULTS.publicationName,
    streamPrefix: settings[ENV.streamPrefix] ?? DEFAULTS.streamPrefix,
    stateBucket: settings[ENV.stateBucket],
    statePrefix: settings[ENV.statePrefix] ?? LAKE_PREFIXES.state,
    reconnectBudget,
    // The round log lives in the lake bucket, which also holds the state unless told otherwise.
    lakeBucket: settings[ENV.lakeBucket] ?? settings[ENV.stateBucket],
    memory,
  };
}

/** The source's client config; fetches the secret when configured with one. Never logs credentials. */
export async function sourceConnection(
  config: CdcReaderConfig,
  secrets: Pick<SecretsManagerClient, 'send'> = new SecretsManagerClient({}),
): Promise<pg.ClientConfig> {
  return databaseConnection(config.source, config.tls, secrets, 'totesys');
}
