import { writeFile } from 'node:fs/promises';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { METRIC_NAMESPACE, METRICS, SERVICE_DIMENSION, SERVICES } from '../../core/operations.ts';
import { errorChain } from '../../core/ports/log.ts';
import { readLoaderConfig } from '../../functions/loader/config.ts';
import { createHandler, LOADER_LEASE } from '../../functions/loader/handler.ts';
import { lambdaLogger, powertoolsLog } from '../../functions/operations/powertools-log.ts';
import { lambdaMetrics, powertoolsMetrics } from '../../functions/operations/powertools-metrics.ts';
import { quarantineNotes } from '../../lake/unreadable-objects.ts';
import { MemoryLeaseStore } from '../../testing/memory-lease-store.ts';
import { memoryLog, memoryMetrics } from '../../testing/memory-operations.ts';
import { PgWarehouse } from '../../warehouse/pg-warehouse.ts';
import { rdsSecretOf } from '../support/test-databases.ts';
import { type LakeChange, ROWS, watermarks, writeLake } from './lake-fixtures.ts';
import { type LoaderHarness, openLoaderHarness, recoveringLoaderHandler } from './loader-harness.ts';

const T0 = '2022-11-03T14:20:52.186Z';
const CONTEXT = { awsRequestId: 'test-request', getRemainingTimeInMillis: () => 300_000 };

let harness: LoaderHarness;

beforeEach(async () => {
  harness = await openLoaderHarness();
});

afterEach(async () => {
  vi.restoreAllMocks();
  await harness.close();
});

describe('loader handler', () => {
  it('quarantines a lake object the engine cannot read, asks for its table to be re-read and loads the rest', async () => {
    // Prepare: a design and a currency, the currency's object overwritten with garbage.
    await writeLake(harness.lakeDir, [
      { table: 'dim_design', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.design(1) },
      ...watermarks(150n, T0),
    ]);
    const [currencyFile] = await writeLake(harness.lakeDir, [
      {
        table: 'dim_currency',
        op: 'r',
        lsn: 100n,
        commitTs: T0,
        row: ROWS.currency(1, 'GBP', 'Pound sterling'),
      },
    ]);
    await writeFile(currencyFile!, 'not parquet '.repeat(20));
    const { handler, store, rereads, entries } = recoveringLoaderHandler(harness);

    // Act
    const outcome = await handler({}, CONTEXT);

    // Assess
    expect(outcome).toMatchObject({ status: 'loaded', toCut: { lsn: '150' } });
    expect(rereads).toEqual(['currency']);
    expect(await quarantineNotes(store)).toEqual([
      expect.objectContaining({ table: 'dim_currency', kind: 'corrupt' }),
    ]);
    expect(entries.some((entry) => entry.level === 'ERROR' && entry.message.includes('quarantine/'))).toBe(
      true,
    );
  });

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
        leases: new MemoryLeaseStore(),
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
      { log, metrics: memoryMetrics().metrics, leases: new MemoryLeaseStore() },
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
      { log: memoryLog().log, metrics: memoryMetrics().metrics, leases: new MemoryLeaseStore() },
    );
    await expect(handler({}, CONTEXT)).rejects.toThrow(/secret not reachable/);
    await expect(handler({}, CONTEXT)).rejects.toThrow(/secret not reachable/);
    expect(attempts).toBe(2);
  });
});

describe('loader single flight without reserved concurrency', () => {
  it('does nothing while another run holds the lease, counts no completed run, and runs once it is free', async () => {
    // Prepare: another container's run holds the loader's lease.
    const leases = new MemoryLeaseStore();
    const other = await leases.acquire(LOADER_LEASE, 300_000);
    let setUps = 0;
    const { points, metrics } = memoryMetrics();
    const handler = createHandler(
      async () => {
        setUps++;
        return {
          engine: harness.engine,
          warehouse: harness.warehouse,
          queries: harness.queries,
          roundLog: harness.roundLog,
        };
      },
      { log: memoryLog().log, metrics, leases },
    );

    // Act and assess: busy while held, a real run after release, and the lease is given back after it.
    expect(await handler({}, CONTEXT)).toEqual({ status: 'busy' });
    expect(setUps).toBe(0);
    expect(points.filter((p) => p.name === METRICS.runs.loaderCompleted)).toEqual([]);
    await other!.release();
    expect((await handler({}, CONTEXT)).status).toBe('blocked');
    expect(points.filter((p) => p.name === METRICS.runs.loaderCompleted)).toHaveLength(1);
    expect(await leases.acquire(LOADER_LEASE, 1000)).toBeDefined();
  });
});

describe('loader after a rotation of the warehouse password', () => {
  it('reads the secret again when the warehouse refuses the cached password, and loads', async () => {
    // Prepare: the container read the secret before the rotation; every later read gives the new password.
    await writeLake(harness.lakeDir, [
      { table: 'dim_design', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.design(1) },
      ...watermarks(150n, T0),
    ]);
    const secrets = mockClient(SecretsManagerClient);
    secrets
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: rdsSecretOf(harness.database, 'from-before-the-rotation') })
      .resolves({ SecretString: rdsSecretOf(harness.database) });
    const env = {
      TOTESYS_WAREHOUSE_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:wh-AbCdEf',
      TOTESYS_ATHENA_WORKGROUP: 'wg',
      TOTESYS_DB_TLS: 'disable',
      TOTESYS_LAKE_BUCKET: 'lake',
    };
    const warehouses: PgWarehouse[] = [];
    const { entries, log } = memoryLog();
    const handler = createHandler(
      async () => {
        const config = await readLoaderConfig(env, new SecretsManagerClient({ region: 'eu-west-2' }));
        const warehouse = new PgWarehouse({ url: config.warehouseUrl, tls: config.tls, maxConnections: 1 });
        warehouses.push(warehouse);
        return { engine: harness.engine, warehouse, queries: harness.queries, roundLog: harness.roundLog };
      },
      { log, metrics: memoryMetrics().metrics, leases: new MemoryLeaseStore() },
    );

    // Act
    const outcome = await handler({}, CONTEXT);

    // Assess
    secrets.restore();
    expect(outcome).toMatchObject({ status: 'loaded', toCut: { lsn: '150' } });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(entries).toContainEqual(
      expect.objectContaining({
        level: 'WARN',
        message: 'warehouse login refused; reading its secret again',
      }),
    );
    expect(JSON.stringify(entries)).not.toContain('from-before-the-rotation');
    await warehouses.at(-1)?.close();
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
