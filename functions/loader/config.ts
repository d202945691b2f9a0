/**
 * @module
 * The loader Lambda's configuration and adapters: the warehouse URL (Secrets Manager secret or
 * TOTESYS_WAREHOUSE_URL), TLS, the Athena workgroup and Glue database, and the loader queries shipped beside
 * the bundle.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { type MemoryBounds, readMemoryBounds } from '../../core/memory-bounds.ts';
import { DEFAULTS, ENV } from '../../core/operations.ts';
import { AthenaQueryEngine } from '../../lake/athena-query-engine.ts';
import { ObjectStoreRoundLog } from '../../lake/object-store-round-log.ts';
import { ObjectStoreStateSnapshots } from '../../lake/object-store-state-snapshots.ts';
import { S3ObjectStore } from '../../lake/s3-object-store.ts';
import { DEFAULT_QUERIES_DIR } from '../../loader/loader-queries.ts';
import { type LoaderDeps, readLoaderQueries } from '../../loader/run-load.ts';
import { PgWarehouse } from '../../warehouse/pg-warehouse.ts';
import { credentialsUrl, readDatabaseSecret } from '../operations/database-secret.ts';
import {
  type Environment,
  optionalText,
  parseEnvironment,
  requiredText,
  tlsSetting,
} from '../operations/environment.ts';

/** What the loader Lambda runs with. */
export interface LoaderConfig {
  readonly warehouseUrl: string;
  readonly tls: 'require' | 'disable';
  readonly workGroup: string;
  readonly glueDatabase: string;
  readonly queriesDir: string;
  /** The lake bucket (the reader's round log lives under `rounds/` in it). */
  readonly lakeBucket: string;
  /** What a run may hold (core/memory-bounds.ts): rows read and written at a time. */
  readonly memory: MemoryBounds;
}

/** A missing or malformed setting; names the variable and what to set. */
export class LoaderConfigError extends Error {
  override readonly name = 'LoaderConfigError';
}

const SCHEMA = z.object({
  [ENV.athenaWorkgroup]: requiredText(`set ${ENV.athenaWorkgroup} to the Athena workgroup of the lake`),
  [ENV.databaseTls]: tlsSetting(ENV.databaseTls),
  [ENV.glueDatabase]: optionalText,
  [ENV.warehouseSecretArn]: optionalText,
  [ENV.warehouseUrl]: optionalText,
  [ENV.lakeBucket]: requiredText(`set ${ENV.lakeBucket} to the lake bucket (the loader reads its round log)`),
});

/**
 * Reads the configuration; the secret wins over the URL variable when both are set. Called again after an
 * authentication failure, so a rotated password is read afresh.
 */
export async function readLoaderConfig(
  env: Environment,
  secrets: Pick<SecretsManagerClient, 'send'> = new SecretsManagerClient({}),
): Promise<LoaderConfig> {
  const reachable = env[ENV.warehouseSecretArn] || env[ENV.warehouseUrl];
  const settings = parseEnvironment(
    SCHEMA,
    env,
    'Loader configuration',
    LoaderConfigError,
    reachable ? [] : [`set ${ENV.warehouseSecretArn} (or ${ENV.warehouseUrl}) to reach the warehouse`],
  );
  const arn = settings[ENV.warehouseSecretArn];
  let memory: MemoryBounds;
  try {
    memory = readMemoryBounds(env);
  } catch (error) {
    throw new LoaderConfigError(`Loader configuration is invalid: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return {
    warehouseUrl: arn
      ? credentialsUrl(await readDatabaseSecret(secrets, arn, 'warehouse'))
      : settings[ENV.warehouseUrl]!,
    tls: settings[ENV.databaseTls],
    workGroup: settings[ENV.athenaWorkgroup],
    glueDatabase: settings[ENV.glueDatabase] ?? DEFAULTS.glueDatabase,
    queriesDir: bundledQueriesDir(),
    lakeBucket: settings[ENV.lakeBucket],
    memory,
  };
}

/** `queries/` copied beside the bundle when there is one (Lambda), else the checkout's. */
function bundledQueriesDir(): string {
  const beside = join(dirname(fileURLToPath(import.meta.url)), 'queries');
  return existsSync(join(beside, 'loader')) ? beside : DEFAULT_QUERIES_DIR;
}

/** The Athena engine, the PostgreSQL warehouse and the queries, from a configuration. */
export async function createLoaderDeps(config: LoaderConfig): Promise<LoaderDeps> {
  const lake = new S3ObjectStore({ client: new S3Client({}), bucket: config.lakeBucket });
  return {
    engine: new AthenaQueryEngine({
      client: new AthenaClient({}),
      workGroup: config.workGroup,
      database: config.glueDatabase,
    }),
    warehouse: new PgWarehouse({ url: config.warehouseUrl, tls: config.tls, maxConnections: 1 }),
    queries: await readLoaderQueries(config.queriesDir),
    roundLog: new ObjectStoreRoundLog(lake),
    snapshots: new ObjectStoreStateSnapshots(lake),
    batchRows: config.memory.loaderBatchRows,
  };
}
