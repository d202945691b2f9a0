/**
 * @module
 * The HTTP app on Node (`up` and `serve`): @hono/node-server on 127.0.0.1 by default, on the given port or a
 * free one.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { OpenAPIHono } from '@hono/zod-openapi';

/** Where to listen. */
export interface NodeHttpServerOptions {
  /** @default '127.0.0.1' (nothing outside this machine can connect) */
  readonly host?: string;
  /** 0 picks a free port. @default 0 */
  readonly port?: number;
}

/** A listening server. */
export interface NodeHttpServer {
  /** `http://HOST:PORT`. */
  readonly url: string;
  /** Settles with the reason once the server stops serving without `close` asking it to (never rejects). */
  readonly failed: Promise<Error>;
  close(): Promise<void>;
}

/** The port is taken, or the address cannot be bound. */
export class HttpListenError extends Error {
  override readonly name = 'HttpListenError';
}

/** Starts serving `app`; resolves once it listens. */
export function startNodeHttpServer(
  app: OpenAPIHono,
  options: NodeHttpServerOptions = {},
): Promise<NodeHttpServer> {
  const host = options.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    const server = serve(
      { fetch: app.fetch, hostname: host, port: options.port ?? 0 },
      (info: AddressInfo) => {
        server.off('error', onError);
        const shown = info.family === 'IPv6' ? `[${info.address}]` : info.address;
        let closing = false;
        const failed = new Promise<Error>((settle) => {
          server.once('error', (error: Error) => settle(error));
          server.once('close', () => {
            if (!closing) settle(new Error('the HTTP server closed unexpectedly'));
          });
        });
        resolve({
          url: `http://${shown}:${info.port}`,
          failed,
          close: () =>
            new Promise<void>((done) => {
              closing = true;
              // Open event streams would keep close() waiting for ever: end them.
              if ('closeAllConnections' in server) server.closeAllConnections();
              server.close(() => done());
            }),
        });
      },
    );
    const onError = (error: Error) =>
      reject(
        new HttpListenError(
          `The dashboard cannot listen on ${host}:${options.port ?? 0} (${error.message}); choose another --http-port.`,
          { cause: error },
        ),
      );
    server.once('error', onError);
  });
}
