import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { METRIC_NAMESPACE, SERVICE_DIMENSION, SERVICES } from '../../core/operations.ts';
import { errorChain } from '../../core/ports/log.ts';
import { readLoaderConfig } from '../../functions/loader/config.ts';
import { createHandler } from '../../functions/loader/handler.ts';
import { lambdaLogger, powertoolsLog } from '../../functions/operations/powertools-log.ts';
import { lambdaMetrics, powertoolsMetrics } from '../../functions/operations/powertools-metrics.ts';
import { memoryLog, memoryMetrics } from '../support/memory-log.ts';
import { type LakeChange, ROWS, watermarks, writeLake } from './lake-fixtures.ts';
import { type LoaderHarness, openLoaderHarness } from './loader-harness.ts';

const T0 = '2022-11-03T14:20:52.186Z';
const CONTEXT = { awsRequestId: 'test-request' };

let harness: LoaderHarness;

beforeEach(async () => {
  harness = await openLoaderHarness();
});

afterEach(async () => {
  vi.restoreAllMocks();
  await harness.close();
});

describe('loader handler', () => {
  it('runs one load over the injected adapters and publishes its figures as EMF through Powertools', async () => {
    // Prepare
    const lake: LakeChange[] = [
      { table: 'dim_design', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.design(1) },
      ...watermarks(150n, T0),
    ];
    await writeLake(harness.lakeDir, lake);
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    });
    const handler = createHandler(
      async () => ({
        engine: harness.engine,
        warehouse: harness.warehouse,
        queries: harness.queries,
        roundLog: harness.roundLog,
      }),
      {
        log: powertoolsLog(lambdaLogger(SERVICES.loader)),
        metrics: powertoolsMetrics(lambdaMetrics(SERVICES.loader)),
      },
    );

    // Act
    expect(await handler({}, CONTEXT)).toMatchObject({ status: 'loaded', toCut: { lsn: '150' } });
    expect(await handler({}, CONTEXT)).toMatchObject({ status: 'unchanged', cutLsn: '150' });

    // Assess
    const documents = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const main = documents.find((d) => 'WarehouseRowsLoaded' in d);
    expect(main).toMatchObject({
      _aws: {
        CloudWatchMetrics: [{ Namespace: METRIC_NAMESPACE, Dimensions: [[SERVICE_DIMENSION]] }],
      },
      [SERVICE_DIMENSION]: SERVICES.loader,
      WarehouseRowsLoaded: 1,
      WarehouseInferredMembers: 0,
      EndToEndP95Seconds: expect.any(Number),
    });
    const lakeLag = documents.filter((d) => 'LakeLagSeconds' in d);
    // Both runs publish lake lag for every table: the unchanged run too (a stalled stream must alarm).
    expect(lakeLag).toHaveLength(22);
    expect(new Set(lakeLag.map((d) => d['Table'])).size).toBe(11);
    expect(lakeLag[0]).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Dimensions: [[SERVICE_DIMENSION, 'Table']] }] },
    });
    expect(documents).toContainEqual(
      expect.objectContaining({
        level: 'INFO',
        message: 'loader run unchanged',
        service: SERVICES.loader,
        id: 'test-request',
        stage: 'loader',
      }),
    );
  });

  it('logs a failed run at ERROR with its cause, then rethrows it so Lambda counts the error', async () => {
    const { entries, log } = memoryLog();
    const handler = createHandler(
      async () => {
        throw new Error('warehouse unreachable', { cause: new Error('ECONNREFUSED') });
      },
      { log, metrics: memoryMetrics().metrics },
    );
    await expect(handler({}, CONTEXT)).rejects.toThrow(/warehouse unreachable/);
    expect(entries).toEqual([
      expect.objectContaining({ level: 'ERROR', message: 'loader run failed', id: 'test-request' }),
    ]);
    expect(errorChain(entries[0]?.error)).toContain('ECONNREFUSED');
  });

  it('retries a failed set-up on the next invocation instead of keeping the failure', async () => {
    let attempts = 0;
    const handler = createHandler(
      async () => {
        attempts++;
        throw new Error('secret not reachable');
      },
      { log: memoryLog().log, metrics: memoryMetrics().metrics },
    );
    await expect(handler({}, CONTEXT)).rejects.toThrow(/secret not reachable/);
    await expect(handler({}, CONTEXT)).rejects.toThrow(/secret not reachable/);
    expect(attempts).toBe(2);
  });
});

describe('readLoaderConfig', () => {
  it('builds the warehouse URL from the Secrets Manager secret, escaping the password', async () => {
    const secrets = mockClient(SecretsManagerClient);
    secrets.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({
        host: 'wh.example',
        port: 5433,
        username: 'loader',
        password: 'p@ss/w:rd',
        dbname: 'warehouse',
      }),
    });
    const config = await readLoaderConfig(
      {
        TOTESYS_WAREHOUSE_SECRET_ARN: 'arn:secret',
        TOTESYS_ATHENA_WORKGROUP: 'wg',
        TOTESYS_LAKE_BUCKET: 'lake',
      },
      new SecretsManagerClient({}),
    );
    expect(new URL(config.warehouseUrl)).toMatchObject({
      hostname: 'wh.example',
      port: '5433',
      pathname: '/warehouse',
    });
    expect(decodeURIComponent(new URL(config.warehouseUrl).password)).toBe('p@ss/w:rd');
    expect(config).toMatchObject({
      tls: 'require',
      workGroup: 'wg',
      glueDatabase: 'totesys_lake',
      lakeBucket: 'lake',
    });
    secrets.restore();
  });

  it('names the missing variable', async () => {
    await expect(readLoaderConfig({ TOTESYS_ATHENA_WORKGROUP: 'wg' })).rejects.toThrow(
      /TOTESYS_WAREHOUSE_SECRET_ARN/,
    );
    await expect(readLoaderConfig({ TOTESYS_WAREHOUSE_URL: 'postgres://x' })).rejects.toThrow(
      /TOTESYS_ATHENA_WORKGROUP/,
    );
    await expect(
      readLoaderConfig({ TOTESYS_WAREHOUSE_URL: 'postgres://x', TOTESYS_ATHENA_WORKGROUP: 'wg' }),
    ).rejects.toThrow(/TOTESYS_LAKE_BUCKET/);
  });
});
