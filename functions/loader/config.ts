/**
 * @module
 * The loader Lambda's configuration and adapters: the warehouse URL (Secrets Manager secret or
 * TOTESYS_WAREHOUSE_URL), TLS, the Athena workgroup and Glue database, and the loader queries shipped beside
 * the bundle; the star load's adapters and the market step's (the same engine, lake and warehouse).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type pg from 'pg';
import { z } from 'zod';
import { type MemoryBounds, readMemoryBounds } from '../../core/memory-bounds.ts';
import { DEFAULTS, ENV } from '../../core/operations.ts';
import type { Clock } from '../../core/ports/clock.ts';
import type { ObjectStore } from '../../core/ports/object-store.ts';
import type { QueryEngine } from '../../core/ports/query-engine.ts';
import { AthenaQueryEngine } from '../../lake/athena-query-engine.ts';
import { ObjectStoreRoundLog } from '../../lake/object-store-round-log.ts';
import { ObjectStoreStateSnapshots } from '../../lake/object-store-state-snapshots.ts';
import { S3ObjectStore } from '../../lake/s3-object-store.ts';
import { quarantinedPartitions } from '../../lake/unreadable-objects.ts';
import { DEFAULT_QUERIES_DIR } from '../../loader/loader-queries.ts';
import { MarketMergeGate } from '../../loader/market-merge.ts';
import { type LoaderDeps, readLoaderQueries } from '../../loader/run-load.ts';
import { createPool } from '../../postgres/connections.ts';
import { PgMarketWarehouse } from '../../warehouse/pg-market-warehouse.ts';
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

/** What one loader run works on: the star load's adapters and, after it, the market step. */
export interface LoaderFunctionDeps extends LoaderDeps {
  /** The market step (loader/market-merge.ts); without it a run loads the star schema only. */
  readonly market?: MarketMergeGate;
  /** Ends every connection the deps hold; without it, the warehouse's. */
  readonly close?: () => Promise<void>;
}

/** The Athena engine, the PostgreSQL warehouse, the queries and the market step, from a configuration. */
export async function createLoaderDeps(config: LoaderConfig): Promise<LoaderFunctionDeps> {
  const lake = new S3ObjectStore({ client: new S3Client({}), bucket: config.lakeBucket });
  const engine = new AthenaQueryEngine({
    client: new AthenaClient({}),
    workGroup: config.workGroup,
    database: config.glueDatabase,
  });
  const warehouse = new PgWarehouse({ url: config.warehouseUrl, tls: config.tls, maxConnections: 1 });
  const market = createMarketStep(config, { engine, lake });
  return {
    engine,
    warehouse,
    queries: await readLoaderQueries(config.queriesDir),
    roundLog: new ObjectStoreRoundLog(lake),
    snapshots: new ObjectStoreStateSnapshots(lake),
    batchRows: config.memory.loaderBatchRows,
    lostPartitions: () => quarantinedPartitions(lake),
    market: market.gate,
    close: async () => {
      await Promise.all([warehouse.close(), market.close()]);
    },
  };
}

/**
 * A one-connection pool to the configured warehouse, for the market tables (the loader's market step, the
 * forecast Lambda); PgWarehouse keeps its own pool to itself.
 */
export function marketTablesPool(config: Pick<LoaderConfig, 'warehouseUrl' | 'tls'>): pg.Pool {
  const pool = createPool({
    connectionString: config.warehouseUrl,
    max: 1,
    ssl: config.tls === 'require' ? { rejectUnauthorized: true } : undefined,
  });
  return pool;
}

/** The market step over `engine` and `lake`, merging into the configured warehouse's market tables. */
export function createMarketStep(
  config: Pick<LoaderConfig, 'warehouseUrl' | 'tls'>,
  adapters: { readonly engine: QueryEngine; readonly lake: ObjectStore; readonly clock?: Pick<Clock, 'now'> },
): { readonly gate: MarketMergeGate; close(): Promise<void> } {
  const pool = marketTablesPool(config);
  return {
    gate: new MarketMergeGate({ ...adapters, warehouse: new PgMarketWarehouse(pool) }),
    close: () => pool.end(),
  };
}
