import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_HIGH_WATER, ReplicationSession } from '../../reader/replication-source.ts';
import { prepareSource } from '../../reader/source-setup.ts';
import { createSourceDatabase, type TestDatabase, withClient } from '../support/test-databases.ts';
import { insertDepartments, waitFor } from './reader-test-kit.ts';

const ROWS = 60_000;

describe('replication session', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createSourceDatabase();
    await withClient(database.url, async (client) => {
      await prepareSource(client, { slot: database.name, publication: 'totesys_stream' });
      await client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [database.name]);
      await insertDepartments(client, 1, ROWS);
    });
  });
  afterAll(async () => {
    await database.drop();
  });

  it('stops reading the socket while its consumer is stuck, then delivers every message in order', async () => {
    // Prepare: a consumer that blocks on the first row change until the test lets it go.
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const seen: number[] = [];
    let kinds = '';
    const session = new ReplicationSession({
      connection: { connectionString: database.url },
      slot: database.name,
      publication: 'totesys_stream',
    });
    const running = session.run({
      onMessage: (message) => {
        kinds += message.kind[0];
        if (message.kind === 'insert') {
          seen.push(message.row?.department_id as number);
          if (seen.length === 1) return gate;
        }
        if (message.kind === 'commit') void session.stop();
        return undefined;
      },
      onKeepalive: () => undefined,
    });

    // Act: wait until the backlog reaches the high-water mark, then watch it for a while.
    await waitFor('the backlog to reach the high-water mark', () => session.backlog >= QUEUE_HIGH_WATER);
    await waitFor('the socket to pause', () => session.paused);
    let peak = 0;
    for (let poll = 0; poll < 20; poll++) {
      await withClient(database.url, (client) => client.query('SELECT 1'));
      peak = Math.max(peak, session.backlog);
    }
    release();
    await running;

    // Assess: the backlog stayed near the mark (one socket read past it), far below the 60k rows streamed.
    expect(peak).toBeLessThan(QUEUE_HIGH_WATER + 5_000);
    expect(seen).toHaveLength(ROWS);
    expect(seen).toEqual(Array.from({ length: ROWS }, (_, index) => index + 1));
    expect(kinds[0]).toBe('b');
    expect(kinds.at(-1)).toBe('c');
  });

  it('stops reading the socket at its byte bound while large rows are far fewer than the message bound', async () => {
    // Prepare: 120 rows of 64 KiB each (7.5 MiB of row text, 120 messages: the message bound never trips), a
    // byte bound of 1 MiB, and a consumer stuck on the first row.
    const slot = `${database.name}_bytes`;
    const rows = 120;
    const rowBytes = 64 * 1024;
    const maxQueuedBytes = 1024 * 1024;
    await withClient(database.url, async (client) => {
      await client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
      await client.query(
        `INSERT INTO department (department_id, department_name, location, manager, created_at, last_updated)
         SELECT g, repeat(chr(65 + g % 26), $3::int), NULL, NULL, '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962'
           FROM generate_series($1::int, $1::int + $2::int - 1) AS g`,
        [ROWS + 1, rows, rowBytes],
      );
    });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const names: number[] = [];
    const session = new ReplicationSession({
      connection: { connectionString: database.url },
      slot,
      publication: 'totesys_stream',
      maxQueuedBytes,
    });
    const running = session.run({
      onMessage: (message) => {
        if (message.kind === 'insert') {
          const id = message.row?.department_id as number;
          if (id > ROWS) {
            names.push(String(message.row?.department_name ?? '').length);
            if (names.length === 1) return gate;
          }
        }
        // The slot starts before the first test's rows: stop after this test's transaction.
        if (message.kind === 'commit' && names.length === rows) void session.stop();
        return undefined;
      },
      onKeepalive: () => undefined,
    });

    // Act: wait until the socket pauses, or until every row is queued (what an unbounded queue does), then
    // watch the queue for a while.
    const bigRowsQueued = () => session.queuedBytes >= (rows - 1) * rowBytes;
    await waitFor('the socket to pause or every row to be queued', () => session.paused || bigRowsQueued());
    let peak = 0;
    for (let poll = 0; poll < 20; poll++) {
      await withClient(database.url, (client) => client.query('SELECT 1'));
      peak = Math.max(peak, session.queuedBytes);
    }
    const pausedWhileStuck = session.paused;
    release();
    await running;

    // Assess: paused at the byte bound (past it by at most one socket read of rows), far below the 7.5 MiB
    // streamed; every row still delivered whole.
    expect(pausedWhileStuck).toBe(true);
    expect(peak).toBeLessThan(maxQueuedBytes + 8 * rowBytes);
    expect(names).toEqual(Array.from({ length: rows }, () => rowBytes));
  });
});
