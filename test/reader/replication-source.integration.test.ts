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
});
