/**
 * @module
 * The puts the reader has started and the commits waiting behind them, in WAL order.
 *
 * Puts run concurrently (bounded by bytes in flight) and may finish in any order, but a transaction's end LSN
 * becomes durable only when every put issued before its commit marker has resolved. The queue is therefore
 * drained strictly from the front: a commit marker pops only once all puts ahead of it are done. One failed
 * put stops durability for good; the session that owns the pipeline must reconnect and replay.
 */
import type { ChangeEvent } from '../core/change-event.ts';
import type { Lsn } from '../core/lsn.ts';
import type { ChangeStream, PutReport } from '../core/ports/change-stream.ts';

type Entry =
  | { readonly kind: 'put'; readonly bytes: number; settled: boolean }
  | { readonly kind: 'commit'; readonly endLsn: Lsn; readonly commitTimeMs: number };

/** What the pipeline reports as it goes. */
export interface PutPipelineOptions {
  readonly stream: ChangeStream;
  /** The most bytes of events in puts that have not resolved yet. */
  readonly maxInFlightBytes: number;
  /** Called with each resolved put's report. */
  readonly onReport?: (report: PutReport) => void;
  /** Called whenever the durable LSN advances. */
  readonly onDurable?: (lsn: Lsn) => void;
  /** Called once, with the first put failure. */
  readonly onFailure?: (error: unknown) => void;
}

/** The ordered put queue of one replication session (or one snapshot). */
export class PutPipeline {
  readonly #options: PutPipelineOptions;
  readonly #entries: Entry[] = [];
  #head = 0;
  #inFlightBytes = 0;
  #inFlightPuts = 0;
  #durable: Lsn;
  #failure: { error: unknown } | undefined;
  #waiters: (() => void)[] = [];

  constructor(options: PutPipelineOptions, durable: Lsn = 0n) {
    this.#options = options;
    this.#durable = durable;
  }

  /** The end LSN of the newest transaction whose events, and all before them, were accepted. */
  get durable(): Lsn {
    return this.#durable;
  }

  /** Bytes of events in unresolved puts. */
  get inFlightBytes(): number {
    return this.#inFlightBytes;
  }

  /** True when nothing is in flight and no commit waits. */
  get idle(): boolean {
    return this.#head === this.#entries.length;
  }

  /** The first put failure, if any. */
  get failure(): unknown {
    return this.#failure?.error;
  }

  /** Commit time (ms) of the oldest transaction not yet durable, or undefined when none waits. */
  oldestPendingCommitMs(): number | undefined {
    for (let i = this.#head; i < this.#entries.length; i++) {
      const entry = this.#entries[i]!;
      if (entry.kind === 'commit') return entry.commitTimeMs;
    }
    return undefined;
  }

  /** Waits until `bytes` more fit under the in-flight bound (or nothing is in flight). */
  async waitForRoom(bytes: number): Promise<void> {
    while (this.#inFlightPuts > 0 && this.#inFlightBytes + bytes > this.#options.maxInFlightBytes) {
      this.#throwIfFailed();
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    this.#throwIfFailed();
  }

  /** Starts a put of `events` (after waiting for room); resolves once it has started, not finished. */
  async submit(events: readonly ChangeEvent[], bytes: number): Promise<void> {
    await this.waitForRoom(bytes);
    const entry: Entry = { kind: 'put', bytes, settled: false };
    this.#entries.push(entry);
    this.#inFlightBytes += bytes;
    this.#inFlightPuts += 1;
    this.#options.stream.put(events).then(
      (report) => {
        this.#options.onReport?.(report);
        this.#settle(entry);
      },
      (error: unknown) => {
        if (!this.#failure) {
          this.#failure = { error };
          this.#options.onFailure?.(error);
        }
        this.#settle(entry);
      },
    );
  }

  /** Records that a transaction ending at `endLsn` has had all its events submitted. */
  markCommit(endLsn: Lsn, commitTimeMs: number): void {
    this.#entries.push({ kind: 'commit', endLsn, commitTimeMs });
    this.#advance();
  }

  /** Waits for every put; rejects with the first failure. */
  async drain(): Promise<void> {
    while (this.#inFlightPuts > 0) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    this.#throwIfFailed();
  }

  #settle(entry: Entry & { kind: 'put' }): void {
    entry.settled = true;
    this.#inFlightBytes -= entry.bytes;
    this.#inFlightPuts -= 1;
    this.#advance();
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  #advance(): void {
    if (this.#failure) return;
    let durable = this.#durable;
    while (this.#head < this.#entries.length) {
      const entry = this.#entries[this.#head]!;
      if (entry.kind === 'put' && !entry.settled) break;
      if (entry.kind === 'commit' && entry.endLsn > durable) durable = entry.endLsn;
      this.#head += 1;
    }
    // Compact now and then so a long session does not keep every entry.
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries.splice(0, this.#head);
      this.#head = 0;
    }
    if (durable > this.#durable) {
      this.#durable = durable;
      this.#options.onDurable?.(durable);
    }
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }
}
