/**
 * @module
 * The reader's durable position: the end of the newest transaction whose every event the change stream
 * accepted and the source has been told about. Everything the reader acknowledges, reports and watermarks is
 * read from here, and it only moves forward, whichever of the session, the shutdown or the slot reports it.
 */
import type { Lsn } from '../core/lsn.ts';

/** A monotonic LSN; `advance` ignores anything behind it. */
export class DurablePosition {
  #lsn: Lsn;
  readonly #onAdvance: ((lsn: Lsn) => void) | undefined;

  /** @param onAdvance runs each time the position moves forward, with the new position. */
  constructor(start: Lsn = 0n, onAdvance?: (lsn: Lsn) => void) {
    this.#lsn = start;
    this.#onAdvance = onAdvance;
  }

  get lsn(): Lsn {
    return this.#lsn;
  }

  /** Moves to `lsn` when it is ahead; returns the position either way. */
  advance(lsn: Lsn): Lsn {
    if (lsn > this.#lsn) {
      this.#lsn = lsn;
      this.#onAdvance?.(lsn);
    }
    return this.#lsn;
  }
}
