/**
 * @module
 * Serving `resnapshot` requests while the reader streams: one re-read at a time, of every table asked for
 * since the last one (reader/resnapshot-requests.ts), under a fresh exact point. While it runs, watermarks stay
 * below that point, because the re-read rows carry its LSN and are not all accepted yet.
 */
import { type Lsn, minLsn } from '../core/lsn.ts';
import type { Log } from '../core/ports/log.ts';
import type { StateStore } from '../core/ports/state-store.ts';
import { snapshotRowsLsn } from './change-events.ts';
import { rereadTables, SnapshotAbandonedError, type SnapshotContext } from './initial-snapshot.ts';
import { completeResnapshots, pendingResnapshots, requestedTables } from './resnapshot-requests.ts';

/** The re-reads of one reader run. */
export class RequestedRereads {
  readonly #context: SnapshotContext;
  readonly #stateStore: StateStore;
  readonly #log: Log;
  #running: Promise<void> | undefined;
  #cap: Lsn | undefined;

  constructor(context: SnapshotContext, stateStore: StateStore, log: Log) {
    this.#context = context;
    this.#stateStore = stateStore;
    this.#log = log;
  }

  /**
   * Starts a re-read of the tables requested so far, unless one is running or the reader is stopping. A
   * re-read that fails leaves its requests in place (and its tables errored), so a later poll tries again.
   */
  poll(): void {
    if (this.#running || this.#context.shouldStop?.()) return;
    this.#running = this.#serve()
      .catch((error: unknown) => {
        if (error instanceof SnapshotAbandonedError)
          this.#log.info('re-read stopped with the reader; it stays requested');
        else this.#log.warn('re-read failed; it stays requested', { error });
      })
      .finally(() => {
        this.#cap = undefined;
        this.#running = undefined;
      });
  }

  /** The newest LSN a watermark may claim, given `durable`: below a running re-read's rows. */
  watermarkLsn(durable: Lsn): Lsn {
    return this.#cap === undefined ? durable - 1n : minLsn(durable - 1n, this.#cap - 1n);
  }

  /** Resolves once no re-read is running. */
  async settled(): Promise<void> {
    await this.#running;
  }

  async #serve(): Promise<void> {
    const requests = await pendingResnapshots(this.#stateStore);
    if (requests.length === 0) return;
    const tables = requestedTables(requests);
    this.#log.info('re-reading tables on request', { tables });
    await rereadTables(this.#context, tables, (point) => {
      this.#cap = snapshotRowsLsn(point);
    });
    await completeResnapshots(this.#stateStore, requests);
  }
}
