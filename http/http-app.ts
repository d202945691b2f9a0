/**
 * @module
 * The one HTTP app (README "The dashboard and the API"): the dashboard page and its live feed, the payments
 * API, the status document, `/metrics` and `/healthz`, with the OpenAPI document generated from the routes.
 * It is a Hono app, so the same routes run on Node (http/node-http-server.ts) and on Lambda
 * (functions/api/handler.ts); it only reads the warehouse.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { formatLsn, parseLsn } from '../core/lsn.ts';
import type { Log } from '../core/ports/log.ts';
import { HealthSchema, PaymentsSchema, ProblemSchema, StatusSchema } from './api-schemas.ts';
import type { DashboardAssets } from './dashboard-assets.ts';
import { DASHBOARD_HTML } from './dashboard-html.ts';
import { type DashboardSnapshot, readDashboardSnapshot } from './dashboard-snapshot.ts';
import { LiveDashboard } from './live-dashboard.ts';
import { type PaymentWindow, readPayments, utcDay } from './payments.ts';
import type { StatusLagFields } from './pipeline-figures.ts';
import { HttpProblemError, PROBLEM_MEDIA_TYPE, problemFor, problemResponse } from './problem-details.ts';
import { readWarehouseTotals, renderMetrics } from './prometheus-metrics.ts';
import type { WarehouseReader } from './warehouse-reader.ts';

/** What the app runs on. */
export interface HttpAppOptions {
  readonly warehouse: WarehouseReader;
  /** The `status --json` document (or the part of it this deployment can read). */
  readonly readStatus: () => Promise<StatusLagFields>;
  readonly assets: () => Promise<DashboardAssets>;
  /**
   * `stream`: each page's event stream stays open and gets a snapshot after every load. `one-shot`: the
   * stream carries one snapshot and ends, and the browser reconnects after `retry` (for runtimes that buffer
   * a whole response, such as Lambda behind API Gateway).
   */
  readonly live: 'stream' | 'one-shot';
  /** The version the OpenAPI document states. */
  readonly version: string;
  /** @default the system clock */
  readonly clock?: () => Date;
  readonly log?: Log;
}

/** The app and how to stop its live feed (open event streams end). */
export interface HttpApp {
  readonly app: OpenAPIHono;
  close(): Promise<void>;
}

/** How long a one-shot page waits before asking again, and a streaming one before reconnecting. */
const ONE_SHOT_RETRY_MS = 5000;
const STREAM_RETRY_MS = 2000;

const problemContent = { [PROBLEM_MEDIA_TYPE]: { schema: ProblemSchema } };
const unavailable = { 503: { content: problemContent, description: 'The warehouse cannot be read.' } };

const paymentsRoute = (window: PaymentWindow, description: string) =>
  createRoute({
    method: 'get',
    path: `/api/payments/${window}`,
    summary: description,
    description: `${description} Each payment once, at its latest loaded version; deleted payments left out.`,
    responses: {
      200: {
        content: { 'application/json': { schema: PaymentsSchema } },
        description: 'Up to five payments.',
      },
      ...unavailable,
    },
  });

/** Builds the app. */
export function createHttpApp(options: HttpAppOptions): HttpApp {
  const clock = options.clock ?? (() => new Date());
  const app = new OpenAPIHono();
  const readSnapshot = (): Promise<DashboardSnapshot> =>
    readDashboardSnapshot({ warehouse: options.warehouse, readStatus: options.readStatus, clock });
  const live = new LiveDashboard({
    read: readSnapshot,
    listenForLoads: (onLoad) =>
      options.warehouse.listenForLoads(onLoad, (error) =>
        options.log?.warn('listening for loads failed; listening again', { stage: 'http', error }),
      ),
    log: options.log,
  });
  const openStreams = new Set<() => void>();

  app.use('*', async (c, next) => {
    await next();
    c.header('x-content-type-options', 'nosniff');
    c.header(
      'content-security-policy',
      "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    if (c.req.path.startsWith('/api/') || c.req.path === '/metrics') c.header('cache-control', 'no-store');
  });
  app.onError((error, c) => {
    const problem = problemFor(error, c.req.path);
    if (!(error instanceof HttpProblemError)) {
      options.log?.error('answering a request failed', { stage: 'http', reason: c.req.path, error });
    }
    return problemResponse(problem);
  });
  app.notFound((c) =>
    problemResponse({
      type: 'about:blank',
      title: 'Not found',
      status: 404,
      detail: `There is nothing at ${c.req.path}; /api/openapi.json lists what there is.`,
      instance: c.req.path,
    }),
  );

  for (const [window, description] of [
    ['last5', 'The five payments with the latest payment_date on or before today (UTC), newest first.'],
    ['next5', 'The five payments with the earliest payment_date after today (UTC), soonest first.'],
  ] as const) {
    app.openapi(paymentsRoute(window, description), async (c) => {
      const payments = await options.warehouse.read((client) =>
        readPayments(client, window, utcDay(clock())),
      );
      return c.json({ payments }, 200);
    });
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/status',
      summary: 'The pipeline status, as `totesys-stream status --json` prints it.',
      responses: {
        200: {
          content: { 'application/json': { schema: StatusSchema } },
          description: 'The status document.',
        },
        ...unavailable,
      },
    }),
    async (c) => c.json((await options.readStatus()) as Record<string, unknown>, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/healthz',
      summary: 'Whether the app can read the warehouse.',
      responses: {
        200: { content: { 'application/json': { schema: HealthSchema } }, description: 'Healthy.' },
        ...unavailable,
      },
    }),
    async (c) => {
      const cut = await options.warehouse.read(async (client) => {
        const result = await client.query<{ lsn: string }>(
          'SELECT lsn::text AS lsn FROM pipeline.cut WHERE id = 1',
        );
        return result.rows[0]?.lsn;
      });
      return c.json({ status: 'ok' as const, cut: cut === undefined ? null : formatLsn(parseLsn(cut)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/metrics',
      summary: 'Lag per stage, rows loaded, error objects and histograms, in Prometheus text format.',
      responses: {
        200: { content: { 'text/plain': { schema: z.string() } }, description: 'The exposition.' },
        ...unavailable,
      },
    }),
    async (c) => {
      const [status, totals] = await Promise.all([
        // Without the status (no source known) the lag gauges are left out; the warehouse's totals remain.
        options.readStatus().catch((error: unknown) => {
          if (!(error instanceof HttpProblemError)) {
            options.log?.warn('reading the status for /metrics failed', { stage: 'http', error });
          }
          return {};
        }),
        options.warehouse.read((client) => readWarehouseTotals(client)),
      ]);
      const metrics = await renderMetrics(status, totals);
      return c.text(metrics.body, 200, { 'content-type': metrics.contentType });
    },
  );

  app.doc31('/api/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'totesys-stream',
      version: options.version,
      description:
        'The payments API, the pipeline status and metrics of totesys-stream. Errors are application/problem+json (RFC 9457).',
    },
  });

  app.get('/', (c) => c.html(DASHBOARD_HTML));
  app.get('/dashboard.js', async (c) =>
    c.body((await options.assets()).script, 200, { 'content-type': 'text/javascript; charset=utf-8' }),
  );
  app.get('/dashboard.css', async (c) =>
    c.body((await options.assets()).style, 200, { 'content-type': 'text/css; charset=utf-8' }),
  );
  app.get('/api/dashboard', async (c) => c.json(await readSnapshot()));
  app.get('/api/live', (c) =>
    options.live === 'one-shot'
      ? streamSSE(c, async (stream) => {
          const snapshot = await readSnapshot();
          await stream.writeSSE({
            event: 'dashboard',
            data: JSON.stringify(snapshot),
            retry: ONE_SHOT_RETRY_MS,
          });
        })
      : liveStream(c, live, openStreams),
  );

  return {
    app,
    async close() {
      for (const end of openStreams) end();
      await live.close();
    },
  };
}

/** A page's open event stream: the latest snapshot, then one after every load, until it goes away. */
function liveStream(c: Context, live: LiveDashboard, openStreams: Set<() => void>): Response {
  return streamSSE(c, async (stream) => {
    let end: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => {
      end = resolve;
    });
    openStreams.add(end);
    let writes = Promise.resolve();
    const unsubscribe = live.subscribe((snapshot) => {
      writes = writes
        .then(() =>
          stream.writeSSE({ event: 'dashboard', data: JSON.stringify(snapshot), retry: STREAM_RETRY_MS }),
        )
        .catch(end);
    });
    stream.onAbort(end);
    try {
      await ended;
    } finally {
      unsubscribe();
      openStreams.delete(end);
    }
  });
}
