/**
 * @module
 * Runs the transformation handler in worker threads, as AWS runs concurrent Lambda invocations beside
 * Firehose, and optionally the record format conversion and Parquet encoding too: the main thread keeps
 * spooling and accepting records while other cores do the heavy work. Opt-in; the default is to do
 * everything in-process.
 *
 * Each worker imports the handler module itself (TypeScript sources are loaded through tsx's loader, which
 * a worker does not inherit from the main thread). Through {@link LambdaWorkerPool.invoker} a worker does the
 * whole invocation: builds the base64 event, calls the handler and checks the response, so only raw records
 * and checked outcomes cross threads; {@link LambdaWorkerPool.transform} passes events and responses.
 * Through {@link LambdaWorkerPool.encoder} a worker converts a partition buffer's records and encodes the
 * Parquet object (`encodePartition`), so only record bytes and the finished object cross threads.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import type { AnyLakeTableName } from '../core/schema/lake-tables.ts';
import type { PartitionEncoder, PartitionEncoding } from './partition-encoding.ts';
import type {
  InvocationRecord,
  InvocationResult,
  Invoker,
  TransformFunction,
} from './transformation-invocation.ts';

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
  readonly result?: FirehoseTransformationResult | InvocationResult | PartitionEncoding;
  readonly error?: { readonly name: string; readonly message: string };
}

type Request =
  | { readonly kind: 'transform'; readonly event: FirehoseTransformationEvent }
  | {
      readonly kind: 'invoke';
      readonly records: readonly InvocationRecord[];
      readonly streamArn: string;
      readonly region: string;
    }
  | {
      readonly kind: 'encode';
      readonly table: AnyLakeTableName;
      /** The records back to back in one buffer, and their lengths. */
      readonly bytes: Uint8Array;
      readonly lengths: readonly number[];
    };

// Runs in each worker: load the handler (registering tsx first for TypeScript), then answer invocations.
const BOOTSTRAP = `
import { parentPort, workerData } from 'node:worker_threads';
if (workerData.tsxApi) (await import(workerData.tsxApi)).register();
const handler = (await import(workerData.module))[workerData.exportName];
if (typeof handler !== 'function') throw new Error('The module exports no function ' + workerData.exportName);
const { invokeTransformation } = await import(workerData.invocationModule);
const { encodePartition } = await import(workerData.encodingModule);
parentPort.on('message', async ({ id, request }) => {
  try {
    if (request.kind === 'encode') {
      const records = [];
      let at = 0;
      for (const length of request.lengths) {
        records.push(request.bytes.subarray(at, at + length));
        at += length;
      }
      const result = encodePartition(request.table, records);
      // The Parquet body has its own buffer: move it rather than copy it.
      parentPort.postMessage({ id, result }, result.body ? [result.body.buffer] : []);
      return;
    }
    const result =
      request.kind === 'invoke'
        ? await invokeTransformation(handler, request.records, request.streamArn, request.region)
        : await handler(request.event);
    // The outcomes' decoded records have buffers of their own when larger than Buffer's pool slices:
    // move those rather than copy them; a pooled one (sharing its buffer) is cloned.
    const transfer = [];
    if (request.kind === 'invoke' && result.ok)
      for (const outcome of result.outcomes)
        if (outcome.data && outcome.data.byteOffset === 0 && outcome.data.byteLength === outcome.data.buffer.byteLength)
          transfer.push(outcome.data.buffer);
    parentPort.postMessage({ id, result }, transfer);
  } catch (error) {
    parentPort.postMessage({ id, error: { name: error?.name ?? 'Error', message: String(error?.message ?? error) } });
  }
});
`;

/** A pool of worker threads each running the transformation handler. */
export class LambdaWorkerPool {
  readonly #workers: { worker: Worker; busy: number }[] = [];
  readonly #pending = new Map<
    number,
    { resolve: (reply: Reply) => void; reject: (error: unknown) => void }
  >();
  #nextId = 0;

  constructor(options: LambdaWorkerPoolOptions) {
    const count = options.workers ?? Math.max(1, availableParallelism() - 1);
    const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
    const workerData = {
      module: options.module.href,
      exportName: options.exportName ?? 'handler',
      invocationModule: new URL(`./transformation-invocation.${extension}`, import.meta.url).href,
      encodingModule: new URL(`./partition-encoding.${extension}`, import.meta.url).href,
      tsxApi: options.module.pathname.endsWith('.ts') ? import.meta.resolve('tsx/esm/api') : undefined,
    };
    for (let i = 0; i < count; i++) {
      const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(BOOTSTRAP)}`), {
        workerData,
      });
      const entry = { worker, busy: 0 };
      worker.on('message', (reply: Reply) => {
        entry.busy--;
        const waiter = this.#pending.get(reply.id);
        this.#pending.delete(reply.id);
        waiter?.resolve(reply);
      });
      worker.on('error', (error) => {
        for (const waiter of this.#pending.values()) waiter.reject(error);
        this.#pending.clear();
      });
      worker.unref();
      this.#workers.push(entry);
    }
  }

  /** The transformation function: each event is handled in a worker. */
  readonly transform: TransformFunction = async (event: FirehoseTransformationEvent) =>
    (await this.#call({ kind: 'transform', event })) as FirehoseTransformationResult;

  /** Whole invocations (event, handler, response checks) in a worker: give it to a stream as `invoker`. */
  readonly invoker: Invoker = async (records, streamArn, region) => {
    // Only what the event needs crosses the thread boundary. Record bytes may be views into a larger
    // buffer (the spool's write buffer), which a structured clone would copy whole: each record is copied
    // to its own buffer, then moved, not cloned.
    const copies = records.map(({ recordId, data, arrivalMs }) => ({
      recordId,
      data: new Uint8Array(data),
      arrivalMs,
    }));
    const transfer = copies.map((record) => record.data.buffer as ArrayBuffer);
    return (await this.#call(
      { kind: 'invoke', records: copies, streamArn, region },
      transfer,
    )) as InvocationResult;
  };

  /**
   * Record format conversion and Parquet encoding of a partition buffer in a worker: give it to a stream as
   * `encoder`. The records are copied into one buffer that is moved, not cloned.
   */
  readonly encoder: PartitionEncoder = async (table, records) => {
    let size = 0;
    for (const record of records) size += record.length;
    const bytes = new Uint8Array(size);
    const lengths: number[] = [];
    let at = 0;
    for (const record of records) {
      bytes.set(record, at);
      at += record.length;
      lengths.push(record.length);
    }
    return (await this.#call({ kind: 'encode', table, bytes, lengths }, [
      bytes.buffer as ArrayBuffer,
    ])) as PartitionEncoding;
  };

  async #call(request: Request, transfer: ArrayBuffer[] = []): Promise<Reply['result']> {
    const entry = this.#workers.reduce((least, candidate) =>
      candidate.busy < least.busy ? candidate : least,
    );
    const id = this.#nextId++;
    const reply = await new Promise<Reply>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      entry.busy++;
      entry.worker.postMessage({ id, request }, transfer);
    });
    if (reply.error) throw new LambdaWorkerError(`${reply.error.name}: ${reply.error.message}`);
    return reply.result;
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.#workers.map(({ worker }) => worker.terminate()));
  }
}
