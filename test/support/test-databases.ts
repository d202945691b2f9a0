/**
 * @module
 * Fresh databases in the run's shared cluster, one set per test, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { migrateSource } from '../../source/source-migration.ts';
import { NoTestClusterError } from './no-postgres.ts';
import { waitFor } from './wait-for.ts';

/** A database made for one test: its URL and a function that drops it. */
export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

/** The run's cluster superuser URL; throws {@link NoTestClusterError} in the `unit` project. */
export function adminUrl(): string {
  const url = inject('pgAdminUrl');
  if (!url) throw new NoTestClusterError();
  return url;
}

/** The run's cluster superuser URL for another database name. */
export function clusterUrl(database: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${database}`;
  return url.toString();
}

/** Creates an empty database named `<prefix>_<random>`. */
export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await withAdmin((client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`));
  return {
    name,
    url: clusterUrl(name),
    async drop() {
      await withAdmin(async (client) => {
        // Replication slots of the database must go first, or DROP DATABASE refuses. A slot whose walsender
        // is still closing (a reader that just gave up) is waited for like the backends below; one still
        // active after that is ended, and the slot dropped once its walsender has gone.
        const activeSlots = async () =>
          Number(
            (
              await client.query<{ n: string }>(
                'SELECT count(*)::text AS n FROM pg_replication_slots WHERE database = $1 AND active',
                [name],
              )
            ).rows[0]?.n ?? 0,
          );
        const released = await waitFor(
          'the slots to be released',
          async () => (await activeSlots()) === 0,
          5_000,
        )
          .then(() => true)
          .catch(() => false);
        if (!released) {
          await client.query(
            'SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = $1 AND active',
            [name],
          );
          await waitFor("the slots' walsenders to end", async () => (await activeSlots()) === 0, 10_000);
        }
        await client.query(
          'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1 AND NOT active',
          [name],
        );
        // Without FORCE first: PostgreSQL waits (up to 5 s) for backends already closing, such as a pool's
        // clients that pool.end() has asked to end but whose sockets are still open. Terminating those with
        // FORCE raced their close and surfaced as an unhandled 57P01 in the test that owned them. FORCE only
        // for connections still open after that wait.
        const database = client.escapeIdentifier(name);
        await client
          .query(`DROP DATABASE IF EXISTS ${database}`)
          .catch(() => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
      });
    },
  };
}

/** Creates a database holding the totesys source schema (empty tables). */
export async function createSourceDatabase(prefix = 'src'): Promise<TestDatabase> {
  const database = await createTestDatabase(prefix);
  await withClient(database.url, (client) => migrateSource(client));
  return database;
}

/** Runs `work` with a connected client, always closing it. */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * The RDS secret JSON (Secrets Manager's shape for a database) of the test database `database`, with
 * `password` (say a stale one, to act out a rotation) or the real one.
 */
export function rdsSecretOf(database: TestDatabase, password?: string): string {
  const url = new URL(database.url);
  return JSON.stringify({
    host: url.hostname,
    port: url.port,
    username: decodeURIComponent(url.username),
    password: password ?? decodeURIComponent(url.password),
    dbname: database.name,
  });
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  return withClient(adminUrl(), work);
}
