/**
 * @module
 * The sustained-rate sweep's source driver (bench/e2e.ts) in a worker thread of its own: every 100 ms one
 * transaction of set-based updates (bench/set-based-updates.ts), a tick that fell behind caught up at once.
 *
 * Why a thread: the pipeline runs on this process's main thread, which at 20,000 changes/s blocked for 39 ms
 * at the median and 244 ms at the 95th percentile between two turns of its event loop (a partition's
 * conversion and Parquet encoding run in one go). A driver there waited that long for each commit's reply
 * before it could send the next, so the achieved rate measured the pipeline's event loop, not the source.
 * A real source's clients are other processes; the thread is the nearest that keeps the driver's CPU
 * measurable: the thread reports its own CPU (`/proc/thread-self/stat`) so bench/cpu-accounting.ts charges it
 * to the source, not to "other threads".
 */
import { readFile } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { percentile } from './percentile.ts';
import { SetBasedUpdates } from './set-based-updates.ts';

/** What one drive reports. */
export interface DriveSummary {
  readonly totalChanges: number;
  readonly elapsedMs: number;
  /** Each transaction's round trip, from sending it to its reply. */
  readonly commitMs: { readonly p50: number; readonly p95: number; readonly count: number };
  /** The driver thread's CPU seconds during the drive. */
  readonly threadSeconds: number;
  /** After each transaction's reply: the wall-clock time (epoch ms) and the changes committed so far. */
  readonly committed: readonly (readonly [number, number])[];
}

/** The changes the drive had committed by `epochMs` (a transaction counts once its reply has come). */
export function committedBy(summary: DriveSummary, epochMs: number): number {
  let changes = 0;
  for (const [at, total] of summary.committed) if (at <= epochMs) changes = total;
  return changes;
}

type Reply =
  | { readonly kind: 'ready' }
  | { readonly kind: 'done'; readonly summary: DriveSummary }
  | { readonly kind: 'error'; readonly message: string };

// Runs in the worker: tsx first for the TypeScript sources, then this module's driveInThisThread.
const BOOTSTRAP = `
import { parentPort, workerData } from 'node:worker_threads';
if (workerData.tsxApi) (await import(workerData.tsxApi)).register();
const { driveInThisThread } = await import(workerData.module);
await driveInThisThread(parentPort, workerData.sourceUrl);
`;

/** This thread's CPU seconds (Linux; 0 elsewhere). */
async function threadCpuSeconds(): Promise<number> {
  const text = await readFile('/proc/thread-self/stat', 'utf8').catch(() => undefined);
  if (text === undefined) return 0;
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // utime and stime, fields 14 and 15 of the line, in clock ticks of 1/100 s.
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / 100;
}

/** Drives `rate` changes/s for `seconds` on `updates` (rate/20 rows of each table every 100 ms). */
async function drive(updates: SetBasedUpdates, rate: number, seconds: number): Promise<DriveSummary> {
  const perTable = Math.max(1, Math.round(rate / 20));
  if (perTable > updates.maxPerTable)
    throw new Error(
      `${rate} changes/s needs ${perTable} rows of sales_order and of payment a transaction; the source has ` +
        `${updates.maxPerTable}: raise --scale.`,
    );
  const cpuBefore = await threadCpuSeconds();
  const begun = performance.now();
  let ticks = 0;
  let changes = 0;
  const commitMs: number[] = [];
  const committed: [number, number][] = [];
  while (performance.now() - begun < seconds * 1000) {
    const due = Math.floor((performance.now() - begun) / 100);
    if (ticks >= due) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      continue;
    }
    const sent = performance.now();
    changes += await updates.commit(perTable);
    commitMs.push(performance.now() - sent);
    // Wall-clock time: a worker's performance.now() has its own origin, the source's commit times do not.
    committed.push([Date.now(), changes]);
    ticks++;
  }
  const elapsedMs = performance.now() - begun;
  commitMs.sort((a, b) => a - b);
  return {
    totalChanges: changes,
    elapsedMs,
    commitMs: { p50: percentile(commitMs, 0.5), p95: percentile(commitMs, 0.95), count: commitMs.length },
    threadSeconds: (await threadCpuSeconds()) - cpuBefore,
    committed,
  };
}

/** The worker's side: opens the driver, says ready, then drives each request it is sent. */
export async function driveInThisThread(
  port: import('node:worker_threads').MessagePort,
  sourceUrl: string,
): Promise<void> {
  const updates = await SetBasedUpdates.open(sourceUrl).catch((error: unknown) => {
    port.postMessage({ kind: 'error', message: String((error as Error)?.message ?? error) });
    return undefined;
  });
  if (!updates) return;
  port.postMessage({ kind: 'ready' });
  port.on(
    'message',
    async (request: { kind: 'drive'; rate: number; seconds: number } | { kind: 'close' }) => {
      if (request.kind === 'close') {
        await updates.close();
        port.close();
        return;
      }
      try {
        port.postMessage({ kind: 'done', summary: await drive(updates, request.rate, request.seconds) });
      } catch (error) {
        port.postMessage({ kind: 'error', message: String((error as Error)?.message ?? error) });
      }
    },
  );
}

/** The source driver in its own worker thread (start, drive once or more, close). */
export class SourceDriverThread {
  readonly #worker: Worker;
  #waiter: { resolve: (reply: Reply) => void; reject: (error: unknown) => void } | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (reply: Reply) => this.#waiter?.resolve(reply));
    worker.on('error', (error) => this.#waiter?.reject(error));
  }

  /** Starts the thread and its source connection; resolves once it can drive (its start-up is not measured). */
  static async start(sourceUrl: string): Promise<SourceDriverThread> {
    const workerData = {
      sourceUrl,
      module: import.meta.url,
      tsxApi: import.meta.url.endsWith('.ts') ? import.meta.resolve('tsx/esm/api') : undefined,
    };
    const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(BOOTSTRAP)}`), {
      workerData,
    });
    const thread = new SourceDriverThread(worker);
    const reply = await thread.#next();
    if (reply.kind !== 'ready') {
      await worker.terminate();
      throw new Error(
        `The source driver thread did not start: ${reply.kind === 'error' ? reply.message : reply.kind}`,
      );
    }
    return thread;
  }

  /** Drives `rate` changes/s for `seconds` from the thread. */
  async drive(rate: number, seconds: number): Promise<DriveSummary> {
    const reply = this.#next();
    this.#worker.postMessage({ kind: 'drive', rate, seconds });
    const answer = await reply;
    if (answer.kind === 'done') return answer.summary;
    throw new Error(`The source driver failed: ${answer.kind === 'error' ? answer.message : answer.kind}`);
  }

  /** Closes the source connection and ends the thread. */
  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.#worker.once('exit', resolve));
    this.#worker.postMessage({ kind: 'close' });
    await exited;
  }

  #next(): Promise<Reply> {
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }
}
