/**
 * @module
 * Runs the transformation handler in worker threads, as AWS runs concurrent Lambda invocations beside
 * Firehose: the local Firehose's own work (spooling, conversion, Parquet) keeps the main thread while the
 * handler uses another core. Opt-in; the default is to call the handler in-process.
 *
 * Each worker imports the handler module itself (TypeScript sources are loaded through tsx's loader, which
 * a worker does not inherit from the main thread), so only the event and the response cross threads, as
 * they cross the network on AWS.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import type { TransformFunction } from './transformation-invocation.ts';

/** The handler threw inside its worker; carries the handler's error name and message, never the event. */
export class LambdaWorkerError extends Error {
  override readonly name = 'LambdaWorkerError';
}

/** Options of {@link LambdaWorkerPool}. */
export interface LambdaWorkerPoolOptions {
  /** The module that exports the handler, as a file URL (`.ts` or `.js`). */
  readonly module: URL;
  /** The export to call (default `handler`). */
  readonly exportName?: string;
  /** Worker threads (default: one fewer than the cores, at least one). */
  readonly workers?: number;
}

interface Reply {
  readonly id: number;
  readonly result?: FirehoseTransformationResult;
  readonly error?: { readonly name: string; readonly message: string };
}

// Runs in each worker: load the handler (registering tsx first for TypeScript), then answer invocations.
const BOOTSTRAP = `
import { parentPort, workerData } from 'node:worker_threads';
if (workerData.tsxApi) (await import(workerData.tsxApi)).register();
const handler = (await import(workerData.module))[workerData.exportName];
if (typeof handler !== 'function') throw new Error('The module exports no function ' + workerData.exportName);
parentPort.on('message', async ({ id, event }) => {
  try {
    parentPort.postMessage({ id, result: await handler(event) });
  } catch (error) {
    parentPort.postMessage({ id, error: { name: error?.name ?? 'Error', message: String(error?.message ?? error) } });
  }
});
`;

/** A pool of worker threads each running the transformation handler. */
export class LambdaWorkerPool {
  private readonly workers: { worker: Worker; busy: number }[] = [];
  private readonly pending = new Map<
    number,
    { resolve: (reply: Reply) => void; reject: (error: unknown) => void }
  >();
  private nextId = 0;

  constructor(options: LambdaWorkerPoolOptions) {
    const count = options.workers ?? Math.max(1, availableParallelism() - 1);
    const workerData = {
      module: options.module.href,
      exportName: options.exportName ?? 'handler',
      tsxApi: options.module.pathname.endsWith('.ts') ? import.meta.resolve('tsx/esm/api') : undefined,
    };
    for (let i = 0; i < count; i++) {
      const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(BOOTSTRAP)}`), {
        workerData,
      });
      const entry = { worker, busy: 0 };
      worker.on('message', (reply: Reply) => {
        entry.busy--;
        const waiter = this.pending.get(reply.id);
        this.pending.delete(reply.id);
        waiter?.resolve(reply);
      });
      worker.on('error', (error) => {
        for (const waiter of this.pending.values()) waiter.reject(error);
        this.pending.clear();
      });
      worker.unref();
      this.workers.push(entry);
    }
  }

  /** The transformation function to give a delivery stream. */
  readonly transform: TransformFunction = async (event: FirehoseTransformationEvent) => {
    const entry = this.workers.reduce((least, candidate) =>
      candidate.busy < least.busy ? candidate : least,
    );
    const id = this.nextId++;
    const reply = await new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      entry.busy++;
      entry.worker.postMessage({ id, event });
    });
    if (reply.error) throw new LambdaWorkerError(`${reply.error.name}: ${reply.error.message}`);
    return reply.result as FirehoseTransformationResult;
  };

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map(({ worker }) => worker.terminate()));
  }
}
