/**
 * @module
 * The HTTP app (http/http-app.ts) on this machine, for `up` and `serve`: reads the warehouse through a
 * read-only pool, takes `/api/status` from the same code as `status --json`, streams live updates, and
 * listens on 127.0.0.1 unless told otherwise.
 */
import type { Log } from '../core/ports/log.ts';
import { dashboardAssets } from '../http/dashboard-assets.ts';
import { createHttpApp } from '../http/http-app.ts';
import { type NodeHttpServer, startNodeHttpServer } from '../http/node-http-server.ts';
import type { StatusLagFields } from '../http/pipeline-figures.ts';
import { HttpProblemError } from '../http/problem-details.ts';
import { WarehouseReader } from '../http/warehouse-reader.ts';
import { readStatusReport } from './status-report.ts';

/** What the local app serves. */
export interface LocalHttpOptions {
  readonly warehouseUrl: string;
  /** Without it `/api/status` answers 503 and the dashboard shows no stage lags. */
  readonly sourceUrl?: string;
  readonly dataDir: string;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** The version the OpenAPI document states (the package's). */
  readonly version: string;
  readonly log?: Log;
}

/** The running app: its URL, and how to stop it (open pages see their stream end). */
export interface LocalHttp {
  readonly url: string;
  /** Settles with the reason once the server stops serving on its own (local/supervised-http.ts restarts it). */
  readonly failed: Promise<Error>;
  close(): Promise<void>;
}

/** Starts the app and resolves once it listens. */
export async function startLocalHttp(options: LocalHttpOptions): Promise<LocalHttp> {
  const warehouse = new WarehouseReader({ connection: options.warehouseUrl });
  const { sourceUrl } = options;
  const readStatus = sharedForOneSecond(async (): Promise<StatusLagFields> => {
    if (!sourceUrl) {
      throw new HttpProblemError(
        503,
        'The status needs the source',
        'This server was started without a source: start `totesys-stream serve` with --source-url (and the data dir of the pipeline) to see the status.',
      );
    }
    return readStatusReport({ sourceUrl, warehouseUrl: options.warehouseUrl, dataDir: options.dataDir });
  });
  const http = createHttpApp({
    warehouse,
    readStatus,
    assets: dashboardAssets(),
    live: 'stream',
    version: options.version,
    log: options.log,
  });
  let server: NodeHttpServer;
  try {
    server = await startNodeHttpServer(http.app, { host: options.host, port: options.port });
  } catch (error) {
    await http.close();
    await warehouse.close();
    throw error;
  }
  return {
    url: server.url,
    failed: server.failed,
    async close() {
      await http.close();
      await server.close();
      await warehouse.close();
    },
  };
}

/**
 * `read`, with callers within a second of one reading sharing it: the status opens connections to both
 * databases, and a busy dashboard asks for it after every load.
 */
function sharedForOneSecond<T>(read: () => Promise<T>): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    const now = Date.now();
    if (!last || now - last.at >= 1000) last = { at: now, value: read() };
    return last.value;
  };
}
