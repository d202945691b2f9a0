import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV, METRICS } from '../../core/operations.ts';
import { CdcReaderConfigError, readConfig, sourceConnection } from '../../functions/cdc-reader/config.ts';
import { createHandler } from '../../functions/cdc-reader/handler.ts';
import { ObjectStoreRoundLog } from '../../lake/object-store-round-log.ts';
import { type ReaderSummary, runReader } from '../../reader/reader-loop.ts';
import { MemoryChangeStream } from '../../testing/memory-change-stream.ts';
import { MemoryObjectStore } from '../../testing/memory-object-store.ts';
import { memoryLog, memoryMetrics } from '../../testing/memory-operations.ts';
import { MemoryStateStore } from '../../testing/memory-state-store.ts';
import { confirmedFlush, insertDepartments, waitFor } from '../reader/reader-test-kit.ts';
import { createSourceDatabase, type TestDatabase, withClient } from '../support/test-databases.ts';

/** The environment of a reader reading `database` by URL. */
function envOf(database: TestDatabase) {
  return {
    [ENV.sourceUrl]: database.url,
    [ENV.databaseTls]: 'disable',
    [ENV.stateBucket]: 'unused',
    [ENV.slotName]: database.name,
  };
}

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
    const summary = (await handler({}, context)) as ReaderSummary;

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

  it('returns busy at once, without an error, while another run streams from the slot', async () => {
    // Prepare: a reader streaming from the slot, as the previous tick's run would be.
    const stateStore = new MemoryStateStore();
    const stop = new AbortController();
    const running = runReader({
      sourceUrl: database.url,
      slot: database.name,
      changeStream: new MemoryChangeStream(),
      stateStore,
      signal: stop.signal,
      log: memoryLog().log,
    });
    await waitFor('the slot to be active', () =>
      withClient(
        database.url,
        async (client) =>
          (
            await client.query<{ active: boolean }>(
              'SELECT active FROM pg_replication_slots WHERE slot_name = $1',
              [database.name],
            )
          ).rows[0]?.active,
      ),
    );
    const { points, metrics } = memoryMetrics();
    const handler = createHandler({
      config: () => readConfig(envOf(database)),
      connection: (config) => sourceConnection(config),
      changeStream: () => new MemoryChangeStream(),
      stateStore: () => stateStore,
      roundLog: () => new ObjectStoreRoundLog(new MemoryObjectStore()),
      safetyMarginMs: 2_000,
      log: memoryLog().log,
      metrics,
    });

    // Act
    const outcome = await handler({}, fakeContext(60_000));

    // Assess
    expect(outcome).toEqual({ status: 'busy' });
    expect(points.filter((p) => p.name === METRICS.runs.readerCompleted)).toEqual([]);
    stop.abort();
    await running;
  });

  it('reads the secret again when the source refuses the login after a rotation, and runs', async () => {
    // Prepare: the first read of the secret gives the password from before the rotation.
    const url = new URL(database.url);
    const secret = (password: string) =>
      JSON.stringify({
        host: url.hostname,
        port: Number(url.port),
        username: decodeURIComponent(url.username),
        password,
        dbname: database.name,
      });
    const secrets = mockClient(SecretsManagerClient);
    secrets
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: secret('from-before-the-rotation') })
      .resolves({ SecretString: secret(decodeURIComponent(url.password)) });
    const { entries, log } = memoryLog();
    const { points, metrics } = memoryMetrics();
    const env = {
      [ENV.sourceSecretArn]: 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:src-AbCdEf',
      [ENV.databaseTls]: 'disable',
      [ENV.stateBucket]: 'unused',
      [ENV.slotName]: database.name,
    };
    const handler = createHandler({
      config: () => readConfig(env),
      connection: (config) => sourceConnection(config, new SecretsManagerClient({ region: 'eu-west-2' })),
      changeStream: () => new MemoryChangeStream(),
      stateStore: () => new MemoryStateStore(),
      roundLog: () => new ObjectStoreRoundLog(new MemoryObjectStore()),
      safetyMarginMs: 2_000,
      log,
      metrics,
    });

    // Act
    const outcome = await handler({}, fakeContext(5_000));

    // Assess
    secrets.restore();
    expect(outcome).toMatchObject({ stoppedBy: 'budget' });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(entries).toContainEqual(
      expect.objectContaining({ level: 'WARN', message: 'source login refused; reading its secret again' }),
    );
    expect(JSON.stringify(entries)).not.toContain('from-before-the-rotation');
    expect(points.filter((p) => p.name === METRICS.runs.readerCompleted)).toHaveLength(1);
  });

  it('names the missing fields of a malformed secret, never its values', async () => {
    const config = readConfig({ [ENV.sourceSecretArn]: 'arn:secret:src', [ENV.stateBucket]: 'b' });
    const secrets = {
      send: async () => ({
        SecretString: JSON.stringify({ host: 'db', username: 'u', port: 'x', password: '' }),
      }),
    } as unknown as Pick<SecretsManagerClient, 'send'>;
    const failure = sourceConnection(config, secrets);
    await expect(failure).rejects.toThrow(/Secret arn:secret:src lacks or has an invalid port, password/);
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
