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
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DEFAULTS, ENV } from '../../core/operations.ts';
import { AthenaQueryEngine } from '../../lake/athena-query-engine.ts';
import { ObjectStoreRoundLog } from '../../lake/object-store-round-log.ts';
import { S3ObjectStore } from '../../lake/s3-object-store.ts';
import { DEFAULT_QUERIES_DIR } from '../../loader/loader-queries.ts';
import { type LoaderDeps, readLoaderQueries } from '../../loader/run-load.ts';
import { PgWarehouse } from '../../warehouse/pg-warehouse.ts';

/** What the loader Lambda runs with. */
export interface LoaderConfig {
  readonly warehouseUrl: string;
  readonly tls: 'require' | 'disable';
  readonly workGroup: string;
  readonly glueDatabase: string;
  readonly queriesDir: string;
  /** The lake bucket (the reader's round log lives under `rounds/` in it). */
  readonly lakeBucket: string;
}

/** A missing or malformed setting; names the variable and what to set. */
export class LoaderConfigError extends Error {
  override readonly name = 'LoaderConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads the configuration; the secret wins over the URL variable when both are set. */
export async function readLoaderConfig(env: Env, secrets?: SecretsManagerClient): Promise<LoaderConfig> {
  const workGroup = env[ENV.athenaWorkgroup];
  if (!workGroup)
    throw new LoaderConfigError(`Set ${ENV.athenaWorkgroup} to the Athena workgroup of the lake.`);
  const tls = env[ENV.databaseTls] ?? 'require';
  if (tls !== 'require' && tls !== 'disable') {
    throw new LoaderConfigError(`${ENV.databaseTls} must be "require" or "disable".`);
  }
  const url = await warehouseUrl(env, secrets);
  const lakeBucket = env[ENV.lakeBucket];
  if (!lakeBucket) throw new LoaderConfigError(`Set ${ENV.lakeBucket} to the lake bucket (its round log).`);
  return {
    lakeBucket,
    warehouseUrl: url,
    tls,
    workGroup,
    glueDatabase: env[ENV.glueDatabase] ?? DEFAULTS.glueDatabase,
    queriesDir: bundledQueriesDir(),
  };
}

async function warehouseUrl(env: Env, secrets?: SecretsManagerClient): Promise<string> {
  const arn = env[ENV.warehouseSecretArn];
  if (arn) {
    const client = secrets ?? new SecretsManagerClient({});
    const output = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    let secret: {
      host?: string;
      port?: number | string;
      username?: string;
      password?: string;
      dbname?: string;
    };
    try {
      secret = JSON.parse(output.SecretString ?? '');
    } catch (error) {
      throw new LoaderConfigError(`The warehouse secret ${arn} is not JSON (RDS secret shape expected).`, {
        cause: error,
      });
    }
    if (!secret.host || !secret.username || !secret.password) {
      throw new LoaderConfigError(`The warehouse secret ${arn} lacks host, username or password.`);
    }
    const url = new URL('postgres://placeholder');
    url.hostname = secret.host;
    url.port = String(secret.port ?? 5432);
    url.username = encodeURIComponent(secret.username);
    url.password = encodeURIComponent(secret.password);
    url.pathname = `/${secret.dbname ?? 'warehouse'}`;
    return url.toString();
  }
  const url = env[ENV.warehouseUrl];
  if (url) return url;
  throw new LoaderConfigError(
    `Set ${ENV.warehouseSecretArn} (or ${ENV.warehouseUrl}) to reach the warehouse.`,
  );
}

/** `queries/` copied beside the bundle when there is one (Lambda), else the checkout's. */
function bundledQueriesDir(): string {
  const beside = join(dirname(fileURLToPath(import.meta.url)), 'queries');
  return existsSync(join(beside, 'loader')) ? beside : DEFAULT_QUERIES_DIR;
}

/** The Athena engine, the PostgreSQL warehouse and the queries, from a configuration. */
export async function createLoaderDeps(config: LoaderConfig): Promise<LoaderDeps> {
  return {
    engine: new AthenaQueryEngine({
      client: new AthenaClient({}),
      workGroup: config.workGroup,
      database: config.glueDatabase,
    }),
    warehouse: new PgWarehouse({ url: config.warehouseUrl, tls: config.tls, maxConnections: 1 }),
    queries: await readLoaderQueries(config.queriesDir),
    roundLog: new ObjectStoreRoundLog(
      new S3ObjectStore({ client: new S3Client({}), bucket: config.lakeBucket }),
    ),
  };
}
