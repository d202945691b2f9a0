/**
 * @module
 * The API Lambda (behind an API Gateway HTTP API with IAM authorisation, cdk/lib/constructs/payments-api.ts):
 * the same HTTP app as `up` and `serve` (http/http-app.ts), over a read-only role's pool, with the live feed
 * in one-shot mode (API Gateway buffers a whole response, so each event stream carries one snapshot and the
 * page reconnects). The dashboard's script and style sheet are prebuilt beside the bundle
 * (functions/api/bundle-assets.ts). One app and pool per container, reused across invocations.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2WithIAMAuthorizer, Context } from 'aws-lambda';
// hono/aws-lambda is Hono's own adapter; its deprecation note points at a package not yet published.
import {
  type APIGatewayProxyResult,
  defaultIsContentTypeBinary,
  handle,
  type LambdaEvent,
} from 'hono/aws-lambda';
import { SERVICES } from '../../core/operations.ts';
import type { ObjectStore } from '../../core/ports/object-store.ts';
import { dashboardAssets } from '../../http/dashboard-assets.ts';
import { createHttpApp } from '../../http/http-app.ts';
import { WarehouseReader } from '../../http/warehouse-reader.ts';
import { S3ObjectStore } from '../../lake/s3-object-store.ts';
import packageJson from '../../package.json' with { type: 'json' };
import { lambdaLogger, powertoolsLog } from '../operations/powertools-log.ts';
import { readApiStatus } from './api-status.ts';
import { readApiConfig, warehouseConnection } from './config.ts';

/** What the app reads. */
export interface ApiDeps {
  readonly warehouse: WarehouseReader;
  readonly lake: ObjectStore;
}

/** Where the prebuilt dashboard assets are in the bundle (beside index.mjs). */
const PREBUILT_ASSETS = join(dirname(fileURLToPath(import.meta.url)), 'dashboard');

/** How the handler runs; tests fix the clock and point at their own assets. */
export interface ApiHandlerOptions {
  /** @default the bundle's `dashboard/` (built at bundling), else a build of the checkout's page */
  readonly assetsDir?: string;
  /** @default the system clock */
  readonly clock?: () => Date;
}

/** A handler over the given adapters (tests give a test warehouse and the lake of a local pipeline). */
export function createHandler(makeDeps: () => Promise<ApiDeps>, options: ApiHandlerOptions = {}) {
  const log = powertoolsLog(lambdaLogger(SERVICES.api));
  let serve: Promise<ReturnType<typeof handle>> | undefined;
  const ready = () => {
    serve ??= makeDeps().then(({ warehouse, lake }) => {
      const http = createHttpApp({
        warehouse,
        readStatus: () => readApiStatus(warehouse, lake),
        assets: dashboardAssets(options.assetsDir ?? PREBUILT_ASSETS),
        live: 'one-shot',
        version: packageJson.version,
        clock: options.clock,
        log,
      });
      // Hono's default takes only a few text types for text; the event stream is text too (not base64).
      return handle(http.app, {
        isContentTypeBinary: (type) => !/^text\/event-stream/i.test(type) && defaultIsContentTypeBinary(type),
      });
    });
    // A failed set-up must not stick to the container: try again on the next invocation.
    return serve.catch((error: unknown) => {
      serve = undefined;
      throw error;
    });
  };
  return async (
    event: APIGatewayProxyEventV2WithIAMAuthorizer,
    context: Pick<Context, 'awsRequestId'>,
  ): Promise<APIGatewayProxyResult> => {
    // API Gateway leaves `body` out of a request without one, and Hono's event type has it (and other
    // absent fields) null: the same event as @types/aws-lambda describes it, typed more strictly.
    const request = { ...event, body: event.body ?? null } as unknown as LambdaEvent;
    return (await ready())(request, context as Parameters<ReturnType<typeof handle>>[1]);
  };
}

/** The Lambda entry point. */
export const handler = createHandler(async () => {
  const config = readApiConfig(process.env);
  return {
    warehouse: new WarehouseReader({
      connection: await warehouseConnection(config, new SecretsManagerClient({})),
      // One request at a time per container (one-shot mode never listens for loads).
      maxConnections: 1,
    }),
    lake: new S3ObjectStore({ bucket: config.lakeBucket, client: new S3Client({}) }),
  };
});
