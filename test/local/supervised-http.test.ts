import { OpenAPIHono } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import { startNodeHttpServer } from '../../http/node-http-server.ts';
import type { LocalHttp } from '../../local/http-service.ts';
import { superviseLocalHttp } from '../../local/supervised-http.ts';
import { memoryLog } from '../../testing/memory-operations.ts';
import { waitFor } from '../support/wait-for.ts';

/** A real server answering `/` with `run N`, whose `fail()` makes it stop serving as a crash would. */
async function server(run: number, port = 0): Promise<LocalHttp & { fail(): void }> {
  const app = new OpenAPIHono();
  app.get('/', (c) => c.text(`run ${run}`));
  const started = await startNodeHttpServer(app, { port });
  let fail: () => void = () => undefined;
  const failed = Promise.race([
    started.failed,
    new Promise<Error>((settle) => {
      fail = () => settle(new Error('EMFILE: too many open files'));
    }),
  ]);
  return { url: started.url, failed, close: () => started.close(), fail: () => fail() };
}

describe('the HTTP server stage of up', () => {
  it('is started again on the same port with backoff when it fails, told once, and stops when closed', async () => {
    // Prepare: a first server, and restarts that build the next ones on the port asked for.
    const { entries, log } = memoryLog();
    const first = await server(1);
    const restarts: number[] = [];
    const sleeps: number[] = [];
    const http = superviseLocalHttp(first, {
      log,
      random: () => 0.5,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      restart: async (port) => {
        restarts.push(port);
        return server(restarts.length + 1, port);
      },
    });
    const answer = async () => (await fetch(http.url)).text();
    expect(await answer()).toBe('run 1');

    // Act: the first server fails.
    first.fail();

    // Assess: a second one serves at the same URL after a backoff, and the failure was a warning.
    await waitFor(
      'the restarted server to answer',
      async () => (await answer().catch(() => '')) === 'run 2',
      20_000,
    );
    expect(restarts).toEqual([Number(new URL(first.url).port)]);
    expect(sleeps).toEqual([500]);
    expect(entries).toEqual([
      expect.objectContaining({ level: 'WARN', stage: 'http', message: 'stopped with an error; restarting' }),
    ]);
    await http.close();
    await expect(fetch(http.url)).rejects.toThrow();
  });
});
