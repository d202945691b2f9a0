import type pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createClient, createPool } from '../../postgres/connections.ts';
import { createTestDatabase, type TestDatabase, withClient } from '../support/test-databases.ts';
import { waitFor } from '../support/wait-for.ts';

// What a database restart does to one connection, without restarting the shared cluster: the server ends the
// backend (FATAL 57P01) and closes the socket, and node-postgres emits 'error' on the client. Unheard, that
// 'error' is an uncaught exception (vitest would report it, and this file records it too).
let database: TestDatabase;
const uncaught: unknown[] = [];
const record = (error: unknown) => uncaught.push(error);

beforeAll(async () => {
  database = await createTestDatabase('conn');
});
afterAll(() => database.drop());
beforeEach(() => {
  uncaught.length = 0;
  process.on('uncaughtException', record);
});
afterEach(() => {
  process.off('uncaughtException', record);
});

async function backendPid(client: pg.ClientBase): Promise<number> {
  const result = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return result.rows[0]!.pid;
}

async function terminate(pid: number): Promise<void> {
  await withClient(database.url, (admin) => admin.query('SELECT pg_terminate_backend($1)', [pid]));
}

/** Resolves once `emitter` ended or an uncaught exception was recorded, whichever comes first. */
async function endedOrCrashed(emitter: { once(event: 'end', listener: () => void): unknown }): Promise<void> {
  let ended = false;
  emitter.once('end', () => {
    ended = true;
  });
  await waitFor('the connection to end or an uncaught exception', () => ended || uncaught.length > 0);
}

describe('createClient', () => {
  it('survives the server ending its connection between queries, and the next query rejects', async () => {
    const client = createClient({ connectionString: database.url });
    await client.connect();
    const ended = endedOrCrashed(client);
    await terminate(await backendPid(client));
    await ended;

    expect(uncaught).toEqual([]);
    await expect(client.query('SELECT 1')).rejects.toThrow();
  });

  it('fails the query in flight when its connection is ended, and says so to onLoss', async () => {
    const losses: Error[] = [];
    const client = createClient({ connectionString: database.url }, (error) => losses.push(error));
    await client.connect();
    const pid = await backendPid(client);
    // Its outcome is taken at once: a rejection nobody awaits yet would be reported as unhandled.
    const sleeping = client.query('SELECT pg_sleep(30)').then(
      () => new Error('the query finished'),
      (error: unknown) => error,
    );
    await waitFor('the query to be running', () =>
      withClient(database.url, async (admin) => {
        const result = await admin.query(
          "SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active'",
          [pid],
        );
        return result.rowCount === 1;
      }),
    );
    const ended = endedOrCrashed(client);
    await terminate(pid);

    expect(String(await sleeping)).toMatch(/terminat/);
    await ended;
    expect(uncaught).toEqual([]);
    expect(losses.length).toBeGreaterThan(0);
  });
});

describe('createPool', () => {
  it('survives the server ending a checked-out client, which pg-pool itself does not listen to', async () => {
    const pool = createPool({ connectionString: database.url, max: 1 });
    try {
      const client = await pool.connect();
      const ended = endedOrCrashed(client as unknown as pg.Client);
      await terminate(await backendPid(client));
      await ended;
      client.release(true);

      expect(uncaught).toEqual([]);
      // The pool opens a fresh connection for the next query.
      expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
    }
  });

  it('survives the server ending an idle client, and drops it', async () => {
    const losses: Error[] = [];
    const pool = createPool({ connectionString: database.url, max: 1 }, (error) => losses.push(error));
    try {
      const client = await pool.connect();
      const pid = await backendPid(client);
      client.release();
      let removed = false;
      pool.once('remove', () => {
        removed = true;
      });
      await terminate(pid);
      await waitFor(
        'the pool to drop the client or an uncaught exception',
        () => removed || uncaught.length > 0,
      );

      expect(uncaught).toEqual([]);
      expect(losses).toHaveLength(1);
      expect(pool.totalCount).toBe(0);
      expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
    }
  });
});
