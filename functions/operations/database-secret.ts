/**
 * @module
 * The database credentials both VPC Lambdas read from Secrets Manager, in the JSON shape RDS writes
 * (`host`, `port`, `username`, `password`, `dbname`, `engine`, ...), validated with one schema, and how an
 * authentication failure is recognised so a handler re-reads the secret after a rotation.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type pg from 'pg';
import { z } from 'zod';

/** Credentials of one database. */
export interface DatabaseCredentials {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

/** A secret that is missing, not JSON, or not the RDS shape; the message names the secret, never its value. */
export class DatabaseSecretError extends Error {
  override readonly name = 'DatabaseSecretError';
}

const RDS_SECRET = z.looseObject({
  host: z.string().min(1),
  port: z.coerce.number().int().min(1).max(65535).default(5432),
  username: z.string().min(1),
  password: z.string().min(1),
  dbname: z.string().min(1).optional(),
});

/**
 * Reads and validates the secret `arn`. `defaultDatabase` is used when the secret has no `dbname` (RDS's
 * generated secrets for an instance created with a database name carry it).
 */
export async function readDatabaseSecret(
  secrets: Pick<SecretsManagerClient, 'send'>,
  arn: string,
  defaultDatabase: string,
): Promise<DatabaseCredentials> {
  const output = await secrets.send(new GetSecretValueCommand({ SecretId: arn }));
  let json: unknown;
  try {
    json = JSON.parse(output.SecretString ?? '');
  } catch (error) {
    throw new DatabaseSecretError(`Secret ${arn} is not JSON; expected the RDS secret shape.`, {
      cause: error,
    });
  }
  const parsed = RDS_SECRET.safeParse(json);
  if (!parsed.success) {
    // Issue paths name the fields; the values (a password among them) never reach the message.
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(the secret)'))];
    throw new DatabaseSecretError(
      `Secret ${arn} lacks or has an invalid ${fields.join(', ')}; expected the RDS secret JSON shape ` +
        '{"host", "port", "username", "password", "dbname"}.',
    );
  }
  const { host, port, username, password, dbname } = parsed.data;
  return { host, port, user: username, password, database: dbname ?? defaultDatabase };
}

/** Where a function finds a database: a URL (local runs, tests) or a Secrets Manager secret. */
export type DatabaseLocation =
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'secret'; readonly arn: string };

/**
 * The client configuration of the database at `location`, reading its secret when it has one; `require`
 * verifies the server's certificate (on Lambda NODE_EXTRA_CA_CERTS holds the RDS bundle).
 */
export async function databaseConnection(
  location: DatabaseLocation,
  tls: 'require' | 'disable',
  secrets: Pick<SecretsManagerClient, 'send'>,
  defaultDatabase: string,
): Promise<pg.ClientConfig> {
  const ssl = tls === 'require' ? { rejectUnauthorized: true } : false;
  if (location.kind === 'url') return { connectionString: location.url, ssl };
  return { ...(await readDatabaseSecret(secrets, location.arn, defaultDatabase)), ssl };
}

/** The credentials as a `postgres://` URL (user and password escaped). */
export function credentialsUrl(credentials: DatabaseCredentials): string {
  const url = new URL('postgres://placeholder');
  url.hostname = credentials.host;
  url.port = String(credentials.port);
  url.username = encodeURIComponent(credentials.user);
  url.password = encodeURIComponent(credentials.password);
  url.pathname = `/${credentials.database}`;
  return url.toString();
}

/**
 * Whether `error` (or one of its causes) is PostgreSQL refusing the login: `28P01` invalid password,
 * `28000` invalid authorization. After a rotation this is what a cached password gets.
 */
export function isAuthenticationFailure(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 8; depth++) {
    const code = (current as { code?: unknown }).code;
    if (code === '28P01' || code === '28000') return true;
    current = current.cause;
  }
  return false;
}
