/**
 * @module
 * A local HTTP server replaying recorded market-API responses (`test/collect/recorded/`), so tests run the real
 * HTTP clients over a real socket: each path answers its responses in turn (the last one again once they run
 * out), which scripts throttling, errors and recoveries. Binds 127.0.0.1 on a free port.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One recorded answer: a status and a JSON body (or raw text, for a proxy's error page). */
export interface RecordedResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly text?: string;
}

/** A recorded response file's JSON body, from `test/collect/recorded/<name>.json`. */
export function recorded(name: string, status = 200): RecordedResponse {
  const path = new URL(`../collect/recorded/${name}.json`, import.meta.url);
  return { status, body: JSON.parse(readFileSync(path, 'utf8')) };
}

/** The running server. */
export interface RecordedApi {
  readonly url: string;
  /** Every request's path and query, in order. */
  readonly requests: string[];
  /** Every request's `authorization` header (undefined when absent), in order. */
  readonly authorizations: (string | undefined)[];
  close(): Promise<void>;
}

/** Serves `routes` (path to its responses in turn); unknown paths answer 404. */
export async function startRecordedApi(
  routes: Readonly<Record<string, readonly RecordedResponse[]>>,
): Promise<RecordedApi> {
  const served = new Map<string, number>();
  const requests: string[] = [];
  const authorizations: (string | undefined)[] = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    requests.push(`${url.pathname}${url.search}`);
    authorizations.push(request.headers.authorization);
    const answers = routes[url.pathname] ?? routes[decodeURIComponent(url.pathname)];
    if (!answers || answers.length === 0) {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end('{"message":"not found"}');
      return;
    }
    const index = served.get(url.pathname) ?? 0;
    served.set(url.pathname, index + 1);
    const answer = answers[Math.min(index, answers.length - 1)] as RecordedResponse;
    response.writeHead(answer.status, {
      'content-type': answer.text === undefined ? 'application/json' : 'text/html',
    });
    response.end(answer.text ?? JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    authorizations,
    close: () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
