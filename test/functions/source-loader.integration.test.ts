import { Readable } from 'node:stream';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../core/operations.ts';
import { createHandler } from '../../functions/source-loader/handler.ts';
import { memoryLog } from '../../testing/memory-operations.ts';
import { createTestDatabase, type TestDatabase, withClient } from '../support/test-databases.ts';

const T = '2022-11-03 14:20:49.962';
const DUMP = [
  'COPY public.currency (currency_id, currency_code, created_at, last_updated) FROM stdin;',
  `1\tGBP\t${T}\t${T}`,
  `2\tUSD\t${T}\t${T}`,
  '\\.',
  '',
].join('\n');

describe('source loader Lambda', () => {
  let database: TestDatabase;
  const s3 = mockClient(S3Client);
  beforeAll(async () => {
    database = await createTestDatabase('srcload');
  });
  afterEach(() => s3.reset());
  afterAll(async () => {
    s3.restore();
    await database.drop();
  });

  const handlerFor = (url: string) =>
    createHandler({
      env: { [ENV.lakeBucket]: 'lake-bucket' },
      s3: new S3Client({ region: 'eu-west-2' }),
      log: memoryLog().log,
      connection: async () => ({ connectionString: url }),
    });

  it('imports a dump from imports/ of the lake bucket into an empty database, creating the schema first', async () => {
    s3.on(GetObjectCommand, { Bucket: 'lake-bucket', Key: 'imports/totesys.sql' }).resolves({
      // A plain stream: the function pipes the body to /tmp, as it does the SDK's.
      Body: Readable.from([Buffer.from(DUMP)]) as never,
    });
    const result = await handlerFor(database.url)({ action: 'import', key: 'imports/totesys.sql' }, {});
    expect(result).toMatchObject({
      action: 'import',
      totalRows: 2,
      rows: expect.objectContaining({ currency: 2 }),
    });
    const codes = await withClient(
      database.url,
      async (c) =>
        (await c.query<{ currency_code: string }>('SELECT currency_code FROM currency ORDER BY 1')).rows,
    );
    expect(codes.map((r) => r.currency_code)).toEqual(['GBP', 'USD']);
  });

  it('refuses to load into a source that already holds rows, as the CLI does', async () => {
    await expect(handlerFor(database.url)({ action: 'seed', scale: 0.01 }, {})).rejects.toThrow(/empty/);
  });

  it('seeds an empty source with the CLI seed', async () => {
    const fresh = await createTestDatabase('srcseed');
    try {
      const result = await handlerFor(fresh.url)({ action: 'seed', scale: 0.01 }, {});
      expect(result.action).toBe('seed');
      expect(result.totalRows).toBeGreaterThan(0);
    } finally {
      await fresh.drop();
    }
  });

  it('says what to send when the payload is not a request it knows, and reads nothing outside imports/', async () => {
    const handler = handlerFor(database.url);
    await expect(handler({ action: 'drop' }, {})).rejects.toThrow(/Send \{"action":"seed","scale":1\}/);
    await expect(handler({ action: 'import', key: 'state/reader/snapshot.json' }, {})).rejects.toThrow(
      /under imports\//,
    );
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
  });
});
