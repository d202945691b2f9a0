/**
 * @module
 * The API Lambda's configuration: the warehouse it reads, as a read-only role's credentials from Secrets
 * Manager (or TOTESYS_WAREHOUSE_URL), TLS, and the lake bucket whose `errors/` it counts. Validated with zod
 * like the other functions' (functions/operations/environment.ts).
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type pg from 'pg';
import { z } from 'zod';
import { ENV } from '../../core/operations.ts';
import {
  type DatabaseLocation,
  databaseConnection,
  readDatabaseSecret,
} from '../operations/database-secret.ts';
import {
  type Environment,
  optionalText,
  parseEnvironment,
  requiredText,
  tlsSetting,
} from '../operations/environment.ts';

/** What the API Lambda runs with. */
export interface ApiConfig {
  readonly warehouse: DatabaseLocation;
  readonly tls: 'require' | 'disable';
  readonly lakeBucket: string;
}

/** A missing or malformed setting; names the variable and what to set. */
export class ApiConfigError extends Error {
  override readonly name = 'ApiConfigError';
}

const SCHEMA = z.object({
  [ENV.databaseTls]: tlsSetting(ENV.databaseTls),
  [ENV.lakeBucket]: requiredText(`set ${ENV.lakeBucket} to the lake bucket (its errors/ prefix is counted)`),
  [ENV.warehouseSecretArn]: optionalText,
  [ENV.warehouseUrl]: optionalText,
});

/** Reads and validates the environment; throws {@link ApiConfigError} listing every problem. */
export function readApiConfig(env: Environment): ApiConfig {
  const reachable = env[ENV.warehouseSecretArn] || env[ENV.warehouseUrl];
  const settings = parseEnvironment(
    SCHEMA,
    env,
    'API configuration',
    ApiConfigError,
    reachable
      ? []
      : [
          `set ${ENV.warehouseSecretArn} (a read-only role's secret) or ${ENV.warehouseUrl} to reach the warehouse`,
        ],
  );
  const url = settings[ENV.warehouseUrl];
  const arn = settings[ENV.warehouseSecretArn];
  return {
    // The secret wins, as for the loader (functions/loader/config.ts).
    warehouse: arn ? { kind: 'secret', arn } : { kind: 'url', url: url! },
    tls: settings[ENV.databaseTls],
    lakeBucket: settings[ENV.lakeBucket],
  };
}

/**
 * The warehouse's client configuration. With a secret, the password is read again for every new connection
 * (pg calls the function), so a rotated password is picked up without a new container; the pool keeps its
 * connections across invocations, so that is rare. Never logged.
 */
export async function warehouseConnection(
  config: ApiConfig,
  secrets: Pick<SecretsManagerClient, 'send'>,
): Promise<pg.ClientConfig> {
  const connection = await databaseConnection(config.warehouse, config.tls, secrets, 'warehouse');
  const { warehouse } = config;
  if (warehouse.kind === 'url') return connection;
  return {
    ...connection,
    password: async () => (await readDatabaseSecret(secrets, warehouse.arn, 'warehouse')).password,
  };
}
