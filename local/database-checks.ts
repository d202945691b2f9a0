/**
 * @module
 * Checks an external database before the pipeline uses it: it must be reachable, and the source must have
 * `wal_level = logical`. Each failure says what is wrong and how to fix it, naming host:port (never the password).
 */
import type { FailureKind } from '../core/failure-kind.ts';
import { createClient } from '../postgres/connections.ts';
import { urlEndpoint } from './url-redaction.ts';

/** The database could not be reached or refused the login. */
export class DatabaseUnreachableError extends Error {
  override readonly name = 'DatabaseUnreachableError';
  /** A refused login or a missing database stays so however long one waits; a server that is down does not. */
  readonly failureKind: FailureKind;
  constructor(message: string, options: ErrorOptions & { readonly failureKind?: FailureKind } = {}) {
    super(message, options);
    this.failureKind = options.failureKind ?? 'transient';
  }
}

/** The source does not write logical WAL, so changes cannot be streamed from it. */
export class LogicalReplicationOffError extends Error {
  override readonly name = 'LogicalReplicationOffError';
  /** Waiting does not change a server setting (core/failure-kind.ts). */
  readonly failureKind = 'deterministic';
}

/** Which database a URL is for, as the user calls it. */
export type DatabaseRole = 'source' | 'warehouse';

const FLAG: Record<DatabaseRole, string> = {
  source: '--source-url (or TOTESYS_SOURCE_URL)',
  warehouse: '--warehouse-url (or TOTESYS_WAREHOUSE_URL)',
};

/** Connects once to prove the database is there; throws {@link DatabaseUnreachableError} otherwise. */
export async function assertReachable(url: string, role: DatabaseRole, timeoutMs = 10_000): Promise<void> {
  const client = createClient({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
  } catch (cause) {
    throw unreachable(url, role, cause);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Checks that the source is reachable and has `wal_level = logical`. */
export async function assertSourceReady(url: string): Promise<void> {
  const client = createClient({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (cause) {
    await client.end().catch(() => undefined);
    throw unreachable(url, 'source', cause);
  }
  try {
    const result = await client.query<{ wal_level: string }>('SHOW wal_level');
    const level = result.rows[0]?.wal_level ?? 'unknown';
    if (level !== 'logical') {
      throw new LogicalReplicationOffError(
        `The source at ${urlEndpoint(url)} has wal_level = ${level}; streaming changes needs wal_level = logical. ` +
          'On plain PostgreSQL run `ALTER SYSTEM SET wal_level = logical;` as a superuser and restart the server. ' +
          'On RDS or Aurora set `rds.logical_replication = 1` in a custom (cluster) parameter group attached to ' +
          'the instance, then reboot it.',
      );
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

function unreachable(url: string, role: DatabaseRole, cause: unknown): DatabaseUnreachableError {
  const endpoint = urlEndpoint(url);
  const code = (cause as { code?: string }).code;
  const reason =
    code === 'ECONNREFUSED'
      ? 'connection refused (is PostgreSQL running and listening there?)'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'the host name does not resolve'
        : code === '28P01' || code === '28000'
          ? 'the login was refused (check the user name and password)'
          : code === '3D000'
            ? 'the database does not exist'
            : /timeout/i.test(String((cause as Error).message))
              ? 'the connection timed out'
              : stripSecrets(String((cause as Error).message ?? cause), url);
  return new DatabaseUnreachableError(
    `Cannot connect to the ${role} database at ${endpoint}: ${reason}. Check ${FLAG[role]}.`,
    {
      cause,
      failureKind: code === '28P01' || code === '28000' || code === '3D000' ? 'deterministic' : 'transient',
    },
  );
}

/** Driver messages rarely hold the password, but make sure. */
function stripSecrets(message: string, url: string): string {
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password ? message.replaceAll(password, '***') : message;
  } catch {
    return message;
  }
}
