import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { COLLECTOR_DIMENSION, ENV, METRICS } from '../../core/operations.ts';
import { readApiKey, readCollectorConfig } from '../../functions/collector/config.ts';
import { type CollectorDependencies, createHandler } from '../../functions/collector/handler.ts';
import { MemoryObjectStore } from '../../testing/memory-object-store.ts';
import { memoryLog, memoryMetrics } from '../../testing/memory-operations.ts';
import { MemoryRecordPutter } from '../../testing/record-putters.ts';
import { type RecordedApi, recorded, startRecordedApi } from '../support/recorded-api-server.ts';
import { skippingClock } from '../support/skipping-clock.ts';

const KEY = 'K3Y-never-to-be-seen';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:crypto-key-AbCdEf';
const NOW = Date.UTC(2026, 10, 30, 16, 30, 0, 0);

let api: RecordedApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

/** The handler over memory doubles, configured by `env` (as the stack sets it). */
function harness(env: Record<string, string>, apiKey: (arn: string) => Promise<string> = async () => KEY) {
  const putter = new MemoryRecordPutter();
  const { entries, log } = memoryLog();
  const { points, metrics } = memoryMetrics('totesys-collector');
  const lake = new MemoryObjectStore();
  const secretsRead: string[] = [];
  const deps: CollectorDependencies = {
    config: () => readCollectorConfig(env),
    apiKey: (arn) => {
      secretsRead.push(arn);
      return apiKey(arn);
    },
    putter,
    lake: () => lake,
    clock: skippingClock(NOW),
    log,
    metrics,
  };
  return { handler: createHandler(deps), putter, entries, points, lake, secretsRead };
}

const rowsOf = (putter: MemoryRecordPutter, stream: string) =>
  (putter.records.get(stream) ?? []).flatMap((data) =>
    Buffer.from(data)
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line)),
  );

describe('the collector Lambda', () => {
  it('runs the fx collector against its API, puts the rows to its own stream, and counts a delivery', async () => {
    api = await startRecordedApi({ '/latest': [recorded('frankfurter-latest')] });
    const h = harness({
      [ENV.collectorName]: 'fx',
      [ENV.marketApiUrl]: api.url,
      [ENV.streamPrefix]: 'p-totesys-',
    });
    const result = await h.handler({}, { awsRequestId: 'req-1' });
    expect(result).toMatchObject({ collector: 'fx', rows: 2 });
    expect([...h.putter.records.keys()]).toEqual(['p-totesys-fx_rate']);
    expect(rowsOf(h.putter, 'p-totesys-fx_rate').map((r) => [r.quote_currency, r.rate])).toEqual([
      ['EUR', '1.1712'],
      ['USD', '1.2695'],
    ]);
    expect(h.secretsRead).toEqual([]);
    expect(h.points).toEqual([
      {
        name: METRICS.collector.runsDelivered,
        unit: 'Count',
        value: 1,
        dimensions: { [COLLECTOR_DIMENSION]: 'fx' },
      },
      {
        name: METRICS.collector.rowsShipped,
        unit: 'Count',
        value: 2,
        dimensions: { [COLLECTOR_DIMENSION]: 'fx' },
      },
    ]);
  });

  it('reads a keyed collector’s key from its secret, sends it to the API only, and never logs it', async () => {
    api = await startRecordedApi({ '/v3/assets': [recorded('coincap-assets')] });
    const h = harness({
      [ENV.collectorName]: 'crypto',
      [ENV.marketApiUrl]: api.url,
      [ENV.marketApiKeySecretArn]: SECRET_ARN,
    });
    const result = await h.handler({}, {});
    expect(result.rows).toBeGreaterThan(0);
    expect(h.secretsRead).toEqual([SECRET_ARN]);
    expect(api.authorizations).toEqual([`Bearer ${KEY}`]);
    expect([...h.putter.records.keys()]).toEqual(['totesys-market_price']);
    expect(JSON.stringify(h.entries)).not.toContain(KEY);
  });

  it('fails a run whose API refuses it: nothing put, no delivery counted, the error logged without the key', async () => {
    api = await startRecordedApi({ '/v3/assets': [recorded('coincap-unauthorized', 401)] });
    const h = harness({
      [ENV.collectorName]: 'crypto',
      [ENV.marketApiUrl]: api.url,
      [ENV.marketApiKeySecretArn]: SECRET_ARN,
    });
    await expect(h.handler({}, {})).rejects.toThrow(/refused the request: HTTP 401/);
    expect(h.putter.callCount).toBe(0);
    expect(h.points).toEqual([]);
    expect(h.entries.map((e) => e.level)).toContain('ERROR');
    expect(JSON.stringify(h.entries)).not.toContain(KEY);
  });

  it('runs the files collector over drop/ of the lake bucket: ships, moves to drop/processed/, refuses whole', async () => {
    const h = harness({
      [ENV.collectorName]: 'files',
      [ENV.lakeBucket]: 'totesys-lake-111122223333-eu-west-2',
    });
    const good = [{ rate_date: '2026-11-27', base_currency: 'GBP', quote_currency: 'USD', rate: '1.2695' }];
    const bad = [{ rate_date: '2026-11-27', base_currency: 'GBP', quote_currency: 'USD', rate: 'lots' }];
    await h.lake.put('drop/fx_rate/good.json', Buffer.from(JSON.stringify(good)));
    await h.lake.put('drop/fx_rate/bad.json', Buffer.from(JSON.stringify(bad)));
    const result = await h.handler({}, {});
    expect(result).toEqual({ collector: 'files', rows: 1, files: { accepted: 1, refused: 1 } });
    const shipped = rowsOf(h.putter, 'totesys-fx_rate');
    expect(shipped).toMatchObject([{ quote_currency: 'USD', source: 'files' }]);
    expect(Number(shipped[0].rate)).toBe(1.2695);
    const keys = [...h.lake.objects.keys()].sort();
    expect(keys.filter((k) => k.startsWith('drop/'))).toEqual(['drop/processed/fx_rate/good.json']);
    expect(keys.filter((k) => k.startsWith('errors/fx_rate/files-failed/'))).toHaveLength(1);
    expect(h.points[0]).toMatchObject({ name: METRICS.collector.runsDelivered, value: 1 });
  });
});

describe('the collector configuration', () => {
  it('refuses a keyed collector without its secret, files without the bucket, and an unknown collector', () => {
    expect(() => readCollectorConfig({ [ENV.collectorName]: 'fred' })).toThrow(ENV.marketApiKeySecretArn);
    expect(() => readCollectorConfig({ [ENV.collectorName]: 'files' })).toThrow(ENV.lakeBucket);
    expect(() => readCollectorConfig({ [ENV.collectorName]: 'gold' })).toThrow(/one of fx, equities/);
    expect(readCollectorConfig({ [ENV.collectorName]: 'fx' })).toEqual({
      collector: 'fx',
      streamPrefix: 'totesys-',
    });
  });
});

describe('the API key secret', () => {
  const secrets = mockClient(SecretsManagerClient);
  afterEach(() => secrets.reset());

  it('is the secret string alone, or the apiKey field of a JSON secret', async () => {
    secrets
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: ` ${KEY}\n` })
      .resolvesOnce({ SecretString: JSON.stringify({ apiKey: KEY }) });
    const client = new SecretsManagerClient({});
    expect(await readApiKey(client, SECRET_ARN)).toBe(KEY);
    expect(await readApiKey(client, SECRET_ARN)).toBe(KEY);
    expect(secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({ SecretId: SECRET_ARN });
  });

  it('refuses the empty secret the stack creates, saying where the key goes', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ apiKey: '' }) });
    await expect(readApiKey(new SecretsManagerClient({}), SECRET_ARN)).rejects.toThrow(
      `Secret ${SECRET_ARN} holds no API key; put it there: aws secretsmanager put-secret-value`,
    );
  });
});
