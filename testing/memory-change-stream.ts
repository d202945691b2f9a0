/**
 * @module
 * An in-memory ChangeStream for tests and the benchmark: it accepts every event at once (or after a hook),
 * keeps them when asked to, and counts them. Hooks run on every call and may throw or wait, which is how tests
 * put a crash or a stall at an exact point of the reader's life.
 */
import type { ChangeEvent } from '../core/change-event.ts';
import type { ChangeStream, PutReport } from '../core/ports/change-stream.ts';

/** A hook around one `put` call; `call` counts calls from 0. */
export type PutHook = (events: readonly ChangeEvent[], call: number) => Promise<void> | void;

/** Options of {@link MemoryChangeStream}. */
export interface MemoryChangeStreamOptions {
  /** Keep every accepted event in {@link MemoryChangeStream.events}. @default true */
  readonly retain?: boolean;
  /** Runs before the events count as accepted; throwing rejects the put with nothing accepted. */
  readonly beforePut?: PutHook;
  /** Runs after the events were accepted; throwing rejects the put although the events were kept. */
  readonly afterPut?: PutHook;
}

/** {@link ChangeStream} that accepts into memory. */
export class MemoryChangeStream implements ChangeStream {
  /** Every accepted event, in acceptance order (when `retain`). */
  readonly events: ChangeEvent[] = [];
  /** Accepted events, counted even when not retained. */
  eventCount = 0;
  /** `put` calls so far. */
  callCount = 0;
  readonly #options: MemoryChangeStreamOptions;
  readonly #pending = new Set<Promise<PutReport>>();

  constructor(options: MemoryChangeStreamOptions = {}) {
    this.#options = options;
  }

  put(events: readonly ChangeEvent[]): Promise<PutReport> {
    const putting = this.#accept(events, this.callCount++);
    this.#pending.add(putting);
    void putting.finally(() => this.#pending.delete(putting)).catch(() => undefined);
    return putting;
  }

  /** Waits until every put made so far has settled, as the port's contract asks. */
  async close(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  async #accept(events: readonly ChangeEvent[], call: number): Promise<PutReport> {
    await this.#options.beforePut?.(events, call);
    if (this.#options.retain ?? true) for (const event of events) this.events.push(event);
    this.eventCount += events.length;
    await this.#options.afterPut?.(events, call);
    return { eventCount: events.length, recordCount: events.length, byteCount: 0, retryCount: 0 };
  }
}
