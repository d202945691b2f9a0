import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runReader } from '../../reader/reader-loop.ts';
import { prepareSource, SourceCheckError } from '../../reader/source-setup.ts';
import { MemoryChangeStream } from '../../testing/memory-change-stream.ts';
import { MemoryStateStore } from '../../testing/memory-state-store.ts';
import {
  clusterUrl,
  createSourceDatabase,
  type TestDatabase,
  withClient,
} from '../support/test-databases.ts';
import { memoryLog } from './reader-test-kit.ts';

describe('source checks and set-up', () => {
  let database: TestDatabase;
  let role: string;
  beforeEach(async () => {
    database = await createSourceDatabase();
    role = `reader_${randomBytes(4).toString('hex')}`;
  });
  afterEach(async () => {
    await withClient(database.url, async (client) => {
      await client.query(`DROP OWNED BY ${role}`).catch(() => undefined);
    });
    await database.drop();
    await withClient(clusterUrl('postgres'), (client) => client.query(`DROP ROLE IF EXISTS ${role}`));
  });

  it('creates the publication over the 11 tables when it is missing and changes nothing on a ready source', async () => {
    await withClient(database.url, async (client) => {
      await prepareSource(client, { slot: database.name, publication: 'totesys_stream' });
      await prepareSource(client, { slot: database.name, publication: 'totesys_stream' });
      const tables = await client.query(
        `SELECT tablename FROM pg_publication_tables WHERE pubname = 'totesys_stream' ORDER BY tablename`,
      );
      expect(tables.rows).toHaveLength(11);
    });
  });

  it('says which tables are missing and how to create them when the source has no totesys schema', async () => {
    await withClient(database.url, (client) =>
      client.query('DROP TABLE payment, transaction, sales_order, purchase_order CASCADE'),
    );

    const run = runReader({
      sourceUrl: database.url,
      slot: database.name,
      changeStream: new MemoryChangeStream(),
      stateStore: new MemoryStateStore(),
      stopAtLsn: 'current',
      log: memoryLog().log,
    });

    await expect(run).rejects.toThrow(SourceCheckError);
    await expect(run).rejects.toThrow(
      /Table\(s\) sales_order, purchase_order, transaction, payment do not exist.*totesys-stream seed/s,
    );
  });

  it('names the table without a usable replica identity and the statement that fixes it', async () => {
    await withClient(database.url, (client) => client.query('ALTER TABLE currency REPLICA IDENTITY NOTHING'));

    const run = runReader({
      sourceUrl: database.url,
      slot: database.name,
      changeStream: new MemoryChangeStream(),
      stateStore: new MemoryStateStore(),
      stopAtLsn: 'current',
      log: memoryLog().log,
    });

    await expect(run).rejects.toThrow(SourceCheckError);
    await expect(run).rejects.toThrow(/public\.currency .*REPLICA IDENTITY DEFAULT/s);
  });

  it('lists every missing privilege with the fix for plain PostgreSQL and RDS', async () => {
    // Prepare: a login role that can read all tables but payment, has no REPLICATION and owns nothing.
    await withClient(database.url, async (client) => {
      await client.query(`CREATE ROLE ${role} LOGIN PASSWORD 'reader-test'`);
      await client.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
      await client.query(`REVOKE SELECT ON payment FROM ${role}`);
    });
    const url = new URL(database.url);
    url.username = role;
    url.password = 'reader-test';

    // Act
    const error = await withClient(url.toString(), (client) =>
      prepareSource(client, { slot: database.name, publication: 'totesys_stream' }).catch((e: unknown) => e),
    );

    // Assess
    expect(error).toBeInstanceOf(SourceCheckError);
    const problems = (error as SourceCheckError).problems.join('\n');
    expect(problems).toContain(`ALTER ROLE "${role}" WITH REPLICATION`);
    expect(problems).toContain(`GRANT rds_replication TO "${role}"`);
    expect(problems).toContain(`GRANT SELECT ON public.payment TO "${role}"`);
    expect(problems).not.toContain('public.currency');
  });

  it('says who must create the publication when the role cannot', async () => {
    await withClient(database.url, async (client) => {
      await client.query(`CREATE ROLE ${role} LOGIN REPLICATION PASSWORD 'reader-test'`);
      await client.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
    });
    const url = new URL(database.url);
    url.username = role;
    url.password = 'reader-test';

    const error = await withClient(url.toString(), (client) =>
      prepareSource(client, { slot: database.name, publication: 'totesys_stream' }).catch((e: unknown) => e),
    );

    expect(error).toBeInstanceOf(SourceCheckError);
    expect((error as Error).message).toMatch(
      /Publication "totesys_stream" does not exist.*CREATE PUBLICATION/s,
    );
  });

  it('refuses slot and publication names that are not plain identifiers', async () => {
    await withClient(database.url, async (client) => {
      await expect(
        prepareSource(client, { slot: 'bad"slot', publication: 'totesys_stream' }),
      ).rejects.toThrow(/slot name "bad"slot" is not allowed/);
    });
  });
});
