/**
 * @module
 * How `up` and `serve` start the HTTP app (loaded by their actions, never at CLI start: it loads Hono and
 * prom-client).
 */
import { type LocalHttp, type LocalHttpOptions, startLocalHttp } from '../local/http-service.ts';
import { terminalLog } from '../local/terminal-log.ts';
import packageJson from '../package.json' with { type: 'json' };
import type { HttpOptions } from './http-options.ts';

/** Starts the app and prints `dashboard: URL` (the line scripts and people look for first). */
export async function startDashboard(
  options: HttpOptions,
  where: Pick<LocalHttpOptions, 'warehouseUrl' | 'sourceUrl' | 'dataDir'>,
): Promise<LocalHttp> {
  const http = await startLocalHttp({
    ...where,
    host: options.httpHost,
    port: options.httpPort,
    version: packageJson.version,
    log: terminalLog(),
  });
  console.log(`dashboard: ${http.url}`);
  return http;
}
