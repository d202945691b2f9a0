import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../core/operations.ts';
import { CdcReaderConfigError, readConfig, sourceConnection } from '../../functions/cdc-reader/config.ts';
import { createHandler } from '../../functions/cdc-reader/handler.ts';
import { ObjectStoreRoundLog } from '../../lake/object-store-round-log.ts';
import { MemoryChangeStream } from '../../testing/memory-change-stream.ts';
import { MemoryStateStore } from '../../testing/memory-state-store.ts';
import { MemoryObjectStore } from '../firehose/firehose-fixtures.ts';
import { confirmedFlush, insertDepartments } from '../reader/reader-test-kit.ts';
import { memoryLog, memoryMetrics } from '../support/memory-log.ts';
import { createSourceDatabase, type TestDatabase, withClient } from '../support/test-databases.ts';

/** A Lambda context whose clock really runs down. */
function fakeContext(timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  return { getRemainingTimeInMillis: () => deadline - Date.now() };
}

describe('CDC reader Lambda handler', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createSourceDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  it('streams until its budget is nearly spent, returns in time and leaves the slot acknowledged', async () => {
    // Prepare
    await withClient(database.url, (client) => insertDepartments(client, 1, 500));
    const stream = new MemoryChangeStream();
    const stateStore = new MemoryStateStore();
    const roundLog = new ObjectStoreRoundLog(new MemoryObjectStore());
    const env = {
      [ENV.sourceUrl]: database.url,
      [ENV.databaseTls]: 'disable',
      [ENV.stateBucket]: 'unused',
      [ENV.slotName]: database.name,
    };
    const handler = createHandler({
      config: () => readConfig(env),
      connection: (config) => sourceConnection(config),
      changeStream: () => stream,
      stateStore: () => stateStore,
      roundLog: () => roundLog,
      safetyMarginMs: 2_000,
      log: memoryLog().log,
      metrics: memoryMetrics().metrics,
    });
    await handler({}, fakeContext(8_000));
    const wal = await withClient(database.url, async (client) => {
      await client.query(`UPDATE department SET location = 'Hull' WHERE department_id <= 200`);
      return BigInt(
        (await client.query<{ lsn: string }>(`SELECT (pg_current_wal_lsn() - '0/0')::text AS lsn`)).rows[0]!
          .lsn,
      );
    });

    // Act
    const context = fakeContext(8_000);
    const summary = await handler({}, context);

    // Assess
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
    expect(summary.stoppedBy).toBe('budget');
    expect(stream.events.filter((event) => event.op === 'u')).toHaveLength(200);
    expect(stream.events.filter((event) => event.op === 'r')).toHaveLength(500);
    expect(BigInt(summary.durableLsn)).toBeGreaterThanOrEqual(wal);
    expect(
      await withClient(database.url, (client) => confirmedFlush(client, database.name)),
    ).toBeGreaterThanOrEqual(wal);
    // The run ends with a round at the acknowledged position: a watermark into the department partition that
    // received the updates, recorded in the round log, and none into the streams that received nothing.
    const lastRound = (await roundLog.read()).rounds.at(-1);
    expect(lastRound?.lsn).toBe(String(BigInt(summary.durableLsn) - 1n));
    expect(Object.keys(lastRound?.partitions ?? {})).toEqual(['department']);
    const lastWatermarks = stream.events.filter((event) => event.op === 'w' && event.lsn === lastRound?.lsn);
    expect(lastWatermarks.map((event) => event.table)).toEqual(['department']);
  });

  it('refuses to start with the variables it needs missing, naming each one', () => {
    expect(() => readConfig({ [ENV.databaseTls]: 'sometimes' })).toThrow(CdcReaderConfigError);
    expect(() => readConfig({})).toThrow(new RegExp(`${ENV.sourceSecretArn}.*${ENV.stateBucket}`));
    expect(() =>
      readConfig({ [ENV.sourceUrl]: 'postgres://x', [ENV.stateBucket]: 'b', [ENV.databaseTls]: 'maybe' }),
    ).toThrow(ENV.databaseTls);
  });

  it('builds the source connection from an RDS secret with TLS verification by default', async () => {
    const config = readConfig({
      [ENV.sourceSecretArn]: 'arn:aws:secretsmanager:eu-west-2:1:secret:src',
      [ENV.stateBucket]: 'b',
    });
    const secrets = {
      send: async () => ({
        SecretString: JSON.stringify({
          host: 'db.example',
          port: 5433,
          username: 'reader',
          password: 'p',
          dbname: 'totesys',
        }),
      }),
    } as unknown as Pick<SecretsManagerClient, 'send'>;

    const connection = await sourceConnection(config, secrets);

    expect(connection).toEqual({
      host: 'db.example',
      port: 5433,
      user: 'reader',
      password: 'p',
      database: 'totesys',
      ssl: { rejectUnauthorized: true },
    });
    expect(config).toMatchObject({
      slot: 'totesys_stream',
      publication: 'totesys_stream',
      streamPrefix: 'totesys-',
    });
  });
});
