/**
 * @module
 * The HTTP server stage of `up` kept running (README, "Nothing stuck"): when the server stops serving on its
 * own, it is started again on the same address, with the backoff and reconnect budget of every stage
 * (local/stage-supervisor.ts), so the dashboard's URL printed first stays the one to open.
 */
import type { Log } from '../core/ports/log.ts';
import type { ReconnectBudget } from '../core/reconnect-budget.ts';
import type { LocalHttp } from './http-service.ts';
import { type SuperviseStageOptions, superviseStage } from './stage-supervisor.ts';

/** Options of {@link superviseLocalHttp}. */
export type SupervisedHttpOptions = Pick<
  SuperviseStageOptions,
  'now' | 'sleep' | 'random' | 'baseDelayMs'
> & {
  /** Starts the server again on `port` (the first one's). */
  readonly restart: (port: number) => Promise<LocalHttp>;
  readonly log?: Log;
  readonly budget?: ReconnectBudget;
};

/** `first`, restarted whenever it fails until closed; `close` stops the restarts and the current server. */
export function superviseLocalHttp(first: LocalHttp, options: SupervisedHttpOptions): LocalHttp {
  const abort = new AbortController();
  const stopped = new Promise<void>((resolve) => abort.signal.addEventListener('abort', () => resolve()));
  const port = Number(new URL(first.url).port);
  let current: LocalHttp | undefined = first;
  let gaveUp: (error: Error) => void = () => undefined;
  const failed = new Promise<Error>((settle) => {
    gaveUp = settle;
  });
  const supervised = superviseStage({
    ...options,
    stage: 'http',
    signal: abort.signal,
    run: async () => {
      current ??= await options.restart(port);
      const http = current;
      const error = await Promise.race([http.failed, stopped.then(() => undefined)]);
      if (error === undefined) return;
      current = undefined;
      await http.close().catch(() => undefined);
      throw error;
    },
  }).catch((error: unknown) => {
    options.log?.error('the HTTP server stopped for good', { stage: 'http', error });
    gaveUp(error as Error);
  });
  return {
    url: first.url,
    failed,
    async close() {
      abort.abort();
      await supervised;
      await current?.close();
      current = undefined;
    },
  };
}
