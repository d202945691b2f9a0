/**
 * @module
 * The dashboard's live feed: while at least one page is connected, a new snapshot is read as soon as a load
 * commits (the loader's notification, warehouse/load-record.ts) and every few seconds besides, since lag grows
 * with the clock even when nothing loads. Readings never overlap: a load heard during a reading causes one
 * more reading right after it, so the last load is always in the last snapshot sent.
 */
import type { Log } from '../core/ports/log.ts';
import type { DashboardSnapshot } from './dashboard-snapshot.ts';

/** How the feed reads and hears of loads. */
export interface LiveDashboardOptions {
  readonly read: () => Promise<DashboardSnapshot>;
  /** Starts listening for loads, calling `onLoad` for each; returns how to stop. */
  readonly listenForLoads: (onLoad: () => void) => () => Promise<void>;
  /** Seconds between readings when no load happens. @default 5 */
  readonly refreshSeconds?: number;
  readonly log?: Log;
}

/** Snapshots pushed to subscribers. */
export class LiveDashboard {
  readonly #options: LiveDashboardOptions;
  readonly #subscribers = new Set<(snapshot: DashboardSnapshot) => void>();
  #latest: DashboardSnapshot | undefined;
  #reading: Promise<void> | undefined;
  #again = false;
  #stopListening: (() => Promise<void>) | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: LiveDashboardOptions) {
    this.#options = options;
  }

  /**
   * Calls `listener` with the latest snapshot (read now if there is none yet) and with every new one, until
   * the returned function is called. The first subscriber starts the feed; the last one leaving stops it.
   */
  subscribe(listener: (snapshot: DashboardSnapshot) => void): () => void {
    this.#subscribers.add(listener);
    if (this.#subscribers.size === 1) this.#start();
    else if (this.#latest) listener(this.#latest);
    return () => {
      this.#subscribers.delete(listener);
      if (this.#subscribers.size === 0) void this.#stop();
    };
  }

  /** Stops the feed whatever the subscribers. */
  async close(): Promise<void> {
    this.#subscribers.clear();
    await this.#stop();
    await this.#reading;
  }

  #start(): void {
    this.#stopListening = this.#options.listenForLoads(() => this.#refresh());
    const every = (this.#options.refreshSeconds ?? 5) * 1000;
    this.#timer = setInterval(() => this.#refresh(), every);
    this.#refresh();
  }

  async #stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    const stop = this.#stopListening;
    this.#stopListening = undefined;
    this.#latest = undefined;
    await stop?.();
  }

  #refresh(): void {
    if (this.#reading) {
      this.#again = true;
      return;
    }
    this.#reading = this.#readOnce().finally(() => {
      this.#reading = undefined;
      if (this.#again && this.#subscribers.size > 0) {
        this.#again = false;
        this.#refresh();
      }
    });
  }

  async #readOnce(): Promise<void> {
    try {
      const snapshot = await this.#options.read();
      if (this.#subscribers.size === 0) return;
      this.#latest = snapshot;
      for (const listener of this.#subscribers) listener(snapshot);
    } catch (error) {
      // The next load or tick reads again; the page keeps showing the last snapshot meanwhile.
      this.#options.log?.warn('reading the dashboard figures failed; retrying', { stage: 'http', error });
    }
  }
}
