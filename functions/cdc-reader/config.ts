/**
 * @module
 * The CDC reader Lambda's configuration, read from the environment (names in core/operations.ts) and
 * validated at start, and the source connection it describes: a URL, or an RDS-style secret in Secrets
 * Manager (`host`, `port`, `username`, `password`, `dbname`).
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type pg from 'pg';
import { DEFAULTS, ENV } from '../../core/operations.ts';

/** The validated configuration. */
export interface CdcReaderConfig {
  readonly source:
    | { readonly kind: 'url'; readonly url: string }
    | { readonly kind: 'secret'; readonly arn: string };
  /** `require`: TLS with certificate verification (on Lambda set NODE_EXTRA_CA_CERTS to the RDS bundle). */
  readonly tls: 'require' | 'disable';
  readonly slot: string;
  readonly publication: string;
  readonly streamPrefix: string;
  readonly stateBucket: string;
  readonly statePrefix: string;
  /** The lake bucket: the watermark rounds are recorded under `rounds/` in it. */
  readonly lakeBucket: string;
}

/** The environment is missing or has invalid settings; the message names each variable. */
export class CdcReaderConfigError extends Error {
  override readonly name = 'CdcReaderConfigError';
}

/** Reads and validates the configuration; throws {@link CdcReaderConfigError} listing every problem. */
export function readConfig(env: Readonly<Record<string, string | undefined>> = process.env): CdcReaderConfig {
  const problems: string[] = [];
  const url = env[ENV.sourceUrl];
  const arn = env[ENV.sourceSecretArn];
  if (!url && !arn) problems.push(`set ${ENV.sourceSecretArn} (Secrets Manager ARN) or ${ENV.sourceUrl}`);
  const tls = env[ENV.databaseTls] ?? 'require';
  if (tls !== 'require' && tls !== 'disable')
    problems.push(`${ENV.databaseTls} must be "require" or "disable", not "${tls}"`);
  const stateBucket = env[ENV.stateBucket] ?? '';
  if (!stateBucket) problems.push(`set ${ENV.stateBucket} (the bucket of the reader's state)`);
  if (problems.length > 0)
    throw new CdcReaderConfigError(`CDC reader configuration is invalid: ${problems.join('; ')}.`);
  return {
    source: url ? { kind: 'url', url } : { kind: 'secret', arn: arn! },
    tls: tls as 'require' | 'disable',
    slot: env[ENV.slotName] || DEFAULTS.slotName,
    publication: env[ENV.publicationName] || DEFAULTS.publicationName,
    streamPrefix: env[ENV.streamPrefix] || DEFAULTS.streamPrefix,
    stateBucket,
    statePrefix: env[ENV.statePrefix] || 'state/',
    // The round log lives in the lake bucket, which also holds the state unless told otherwise.
    lakeBucket: env[ENV.lakeBucket] || stateBucket,
  };
}

interface RdsSecret {
  host?: unknown;
  port?: unknown;
  username?: unknown;
  password?: unknown;
  dbname?: unknown;
}

/** The source's client config; fetches the secret when configured with one. Never logs credentials. */
export async function sourceConnection(
  config: CdcReaderConfig,
  secrets: Pick<SecretsManagerClient, 'send'> = new SecretsManagerClient({}),
): Promise<pg.ClientConfig> {
  const ssl = config.tls === 'require' ? { rejectUnauthorized: true } : false;
  if (config.source.kind === 'url') return { connectionString: config.source.url, ssl };
  const output = await secrets.send(new GetSecretValueCommand({ SecretId: config.source.arn }));
  let secret: RdsSecret;
  try {
    secret = JSON.parse(output.SecretString ?? '') as RdsSecret;
  } catch (error) {
    throw new CdcReaderConfigError(`Secret ${config.source.arn} is not JSON; expected an RDS secret.`, {
      cause: error,
    });
  }
  const { host, port, username, password, dbname } = secret;
  if (typeof host !== 'string' || typeof username !== 'string' || typeof password !== 'string') {
    throw new CdcReaderConfigError(
      `Secret ${config.source.arn} lacks host, username or password; expected the RDS secret JSON shape.`,
    );
  }
  return {
    host,
    port: port === undefined ? 5432 : Number(port),
    user: username,
    password,
    database: typeof dbname === 'string' ? dbname : 'totesys',
    ssl,
  };
}
