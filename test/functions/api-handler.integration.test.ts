import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2WithIAMAuthorizer } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ApiStatus } from '../../functions/api/api-status.ts';
import { readApiConfig, warehouseConnection } from '../../functions/api/config.ts';
import { createHandler } from '../../functions/api/handler.ts';
import type { PaymentItem } from '../../http/payments.ts';
import { WarehouseReader } from '../../http/warehouse-reader.ts';
import { FsObjectStore } from '../../lake/fs-object-store.ts';
import { LOCAL_LAKE_BUCKET, pipelinePaths } from '../../local/data-dir-layout.ts';
import { readStatusReport } from '../../local/status-report.ts';
import { type E2eWorld, openWorld, pipelineNames, syncWorld } from '../e2e/e2e-harness.ts';
import { busiestPaymentDay, sourcePayments } from '../http/source-payments.ts';
import { rdsSecretOf, withClient } from '../support/test-databases.ts';

/**
 * A request as API Gateway's HTTP API hands it to the function (payload format 2.0) after IAM authorisation:
 * the caller's SigV4 identity in `requestContext.authorizer.iam`.
 */
function httpApiEvent(path: string): APIGatewayProxyEventV2WithIAMAuthorizer {
  const [rawPath, rawQueryString = ''] = path.split('?') as [string, string?];
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    headers: {
      host: 'abc123.execute-api.eu-west-2.amazonaws.com',
      accept: '*/*',
      'user-agent': 'curl/8.5.0',
    },
    isBase64Encoded: false,
    requestContext: {
      accountId: '111122223333',
      apiId: 'abc123',
      authorizer: {
        iam: {
          accessKey: 'ASIAEXAMPLE',
          accountId: '111122223333',
          callerId: 'AROAEXAMPLE:finance',
          cognitoIdentity: null as never,
          principalOrgId: null as never,
          userArn: 'arn:aws:sts::111122223333:assumed-role/finance/finance',
          userId: 'AROAEXAMPLE:finance',
        },
      },
      domainName: 'abc123.execute-api.eu-west-2.amazonaws.com',
      domainPrefix: 'abc123',
      http: {
        method: 'GET',
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: 'curl/8.5.0',
      },
      requestId: 'request-1',
      routeKey: '$default',
      stage: '$default',
      time: '01/Dec/2026:12:00:00 +0000',
      timeEpoch: 1_796_126_400_000,
    },
  };
}

const context = { awsRequestId: 'request-1' };
let world: E2eWorld;
let today: string;
let warehouse: WarehouseReader;
let assetsDir: string;
let handler: ReturnType<typeof createHandler>;

beforeAll(async () => {
  world = await openWorld(0.05);
  await syncWorld(world);
  today = await busiestPaymentDay(world.source.url);
  // One error object waiting, as Firehose writes them under errors/<lake table>/<error type>/yyyy/MM/dd/.
  const errorDir = join(
    pipelinePaths(world.dataDir).lake,
    LOCAL_LAKE_BUCKET,
    'errors',
    'fact_payment',
    'processing-failed',
    '2026',
    '12',
    '01',
  );
  await mkdir(errorDir, { recursive: true });
  await writeFile(join(errorDir, 'totesys-payment-1'), '{"errorCode":"Lambda.FunctionError"}\n');
  assetsDir = await mkdtemp(join(tmpdir(), 'api-assets-'));
  await writeFile(join(assetsDir, 'dashboard.js'), '/* prebuilt */');
  await writeFile(join(assetsDir, 'dashboard.css'), '/* prebuilt */');
  warehouse = new WarehouseReader({ connection: world.warehouse.url });
  handler = createHandler(
    async () => ({
      warehouse,
      lake: new FsObjectStore(pipelinePaths(world.dataDir).lake, LOCAL_LAKE_BUCKET),
    }),
    { assetsDir, clock: () => new Date(`${today}T12:00:00Z`) },
  );
});

afterAll(async () => {
  await warehouse?.close();
  await rm(assetsDir, { recursive: true, force: true });
  await world?.close();
});

describe('the API Lambda', () => {
  it('answers last5 and next5 behind the HTTP API exactly as the source says', async () => {
    for (const window of ['last5', 'next5'] as const) {
      // Act
      const response = await handler(httpApiEvent(`/api/payments/${window}`), context);

      // Assess
      const expected = await withClient(world.source.url, (c) => sourcePayments(c, window, today));
      expect(response.statusCode).toBe(200);
      expect(response.headers?.['content-type']).toMatch(/^application\/json/);
      expect(expected).toHaveLength(5);
      expect(JSON.parse(response.body) as { payments: PaymentItem[] }).toEqual({ payments: expected });
    }
  });

  it('serves the warehouse part of the status document, equal to what status --json says of it', async () => {
    // Act
    const response = await handler(httpApiEvent('/api/status'), context);
    const status = JSON.parse(response.body) as ApiStatus & { reader?: unknown };
    vi.stubEnv('TOTESYS_SLOT', pipelineNames(world).slot);
    const local = await readStatusReport({
      sourceUrl: world.source.url,
      warehouseUrl: world.warehouse.url,
      dataDir: world.dataDir,
    });
    vi.unstubAllEnvs();

    // Assess
    expect(response.statusCode).toBe(200);
    expect(status.warehouse.cut).toEqual(local.warehouse?.cut);
    expect(status.warehouse.rows).toEqual(local.warehouse?.rows);
    expect(status.endToEnd).toEqual(local.endToEnd);
    expect(status.lake.errorsWaiting).toEqual({ fact_payment: 1 });
    expect(status.lake.errorsWaiting).toEqual(local.lake?.errorsWaiting);
    expect(Object.keys(status.lake.lagSeconds).sort()).toEqual(
      Object.keys(local.lake?.lagSeconds ?? {}).sort(),
    );
    // The source is out of this function's reach: no reader figures rather than made-up ones.
    expect(status.reader).toBeUndefined();
  });

  it('serves the page with its prebuilt assets, and a live feed of one snapshot that says when to ask again', async () => {
    // Act
    const [page, script, live] = await Promise.all(
      ['/', '/dashboard.js', '/api/live'].map((path) => handler(httpApiEvent(path), context)),
    );

    // Assess
    expect(page!.statusCode).toBe(200);
    expect(page!.body).toContain('<script defer src="dashboard.js"></script>');
    expect(script!.body).toBe('/* prebuilt */');
    expect(live!.headers?.['content-type']).toMatch(/^text\/event-stream/);
    expect([page!.isBase64Encoded, script!.isBase64Encoded, live!.isBase64Encoded]).toEqual([
      false,
      false,
      false,
    ]);
    const events = live!.body.split('\n\n').filter((e) => e.trim() !== '');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatch(/^event: dashboard\ndata: \{.*\}\nretry: \d+$/);
    const snapshot = JSON.parse(events[0]!.split('\n')[1]!.slice('data: '.length)) as {
      lag: { errorsWaiting: { table: string }[] };
    };
    expect(snapshot.lag.errorsWaiting.map((e) => e.table)).toEqual(['fact_payment']);
  });

  it("picks up a rotated password from the read-only role's secret without a new container", async () => {
    // Prepare: the secret holds a stale password at the first connection, the rotated one after.
    const secrets = mockClient(SecretsManagerClient);
    secrets
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: rdsSecretOf(world.warehouse, 'before-the-rotation') })
      .resolvesOnce({ SecretString: rdsSecretOf(world.warehouse, 'before-the-rotation') })
      .resolves({ SecretString: rdsSecretOf(world.warehouse) });
    const config = readApiConfig({
      TOTESYS_WAREHOUSE_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:wh-reader-AbCdEf',
      TOTESYS_LAKE_BUCKET: 'totesys-lake-111122223333-eu-west-2',
      TOTESYS_DB_TLS: 'disable',
    });
    const rotating = new WarehouseReader({
      connection: await warehouseConnection(config, new SecretsManagerClient({ region: 'eu-west-2' })),
      maxConnections: 1,
    });
    const rotated = createHandler(
      async () => ({ warehouse: rotating, lake: new FsObjectStore(world.dataDir, 'none') }),
      {
        clock: () => new Date(`${today}T12:00:00Z`),
      },
    );
    try {
      // Act
      const refused = await rotated(httpApiEvent('/api/payments/last5'), context);
      const answered = await rotated(httpApiEvent('/api/payments/last5'), context);

      // Assess
      expect(refused.statusCode).toBe(503);
      expect(refused.headers?.['content-type']).toBe('application/problem+json');
      expect(refused.body).not.toContain('before-the-rotation');
      expect(answered.statusCode).toBe(200);
      expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(3);
    } finally {
      secrets.restore();
      await rotating.close();
    }
  });

  it('answers an unknown path with problem+json', async () => {
    const response = await handler(httpApiEvent('/api/payments/last6'), context);
    expect(response.statusCode).toBe(404);
    expect(response.headers?.['content-type']).toBe('application/problem+json');
    expect(JSON.parse(response.body)).toMatchObject({ status: 404, instance: '/api/payments/last6' });
  });
});
