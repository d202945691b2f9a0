/**
 * @module
 * The destination buffers of one stream under dynamic partitioning: one buffer per distinct set of partition
 * key values, as Firehose keeps one per active partition, each delivered as one object.
 */
import type { SpoolSegment } from './spool.ts';
import type { InvocationRecord } from './transformation-invocation.ts';

/** A record accepted into the spool and not yet resolved. */
export interface SpooledRecord extends InvocationRecord {
  readonly segment: SpoolSegment;
}

/** A record after a successful transformation: its output data beside the record it came from. */
export interface TransformedRecord {
  readonly source: SpooledRecord;
  readonly data: Uint8Array;
}

/** The records bound for one partition prefix. */
export interface PartitionBuffer {
  readonly key: string;
  readonly partitionKeys: Readonly<Record<string, string>>;
  records: TransformedRecord[];
  bytes: number;
  oldestArrivalMs: number;
  /** Not delivered before this time (a delay or a retry after a failed write); 0 when due as usual. */
  notBeforeMs: number;
  /** Whether the delivery order was already asked for this buffer's delay. */
  delayChosen: boolean;
  /** Delivery attempts so far. */
  attempts: number;
}

/** Every partition buffer of one stream. */
export class PartitionBuffers {
  readonly #buffers = new Map<string, PartitionBuffer>();
  /** Partitions with a delivery under way: their next buffer waits, so a partition's objects keep arrival order. */
  readonly #delivering = new Set<string>();

  /** The partition keys the prefix reads; only they tell partitions apart. */
  readonly #keyNames: readonly string[];

  /** @param keyNames the partition keys the prefix reads; only they tell partitions apart. */
  constructor(keyNames: readonly string[]) {
    this.#keyNames = keyNames;
  }

  /**
   * Buffers a transformed record under its partition. Returns the name of the first partition key the
   * prefix needs and the record lacks (it is then not buffered), else undefined.
   */
  add(source: SpooledRecord, data: Uint8Array, keys: Readonly<Record<string, string>>): string | undefined {
    let key = '';
    for (const name of this.#keyNames) {
      const value = keys[name];
      if (typeof value !== 'string' || value === '') return name;
      key += `${value}\u0000`;
    }
    let buffer = this.#buffers.get(key);
    if (!buffer) {
      buffer = {
        key,
        partitionKeys: keys,
        records: [],
        bytes: 0,
        oldestArrivalMs: source.arrivalMs,
        notBeforeMs: 0,
        delayChosen: false,
        attempts: 0,
      };
      this.#buffers.set(key, buffer);
    }
    buffer.records.push({ source, data });
    buffer.bytes += data.length;
    buffer.oldestArrivalMs = Math.min(buffer.oldestArrivalMs, source.arrivalMs);
    return undefined;
  }

  /**
   * Removes and returns the buffers `isDue` selects, skipping partitions whose previous buffer is still being
   * delivered. Taking them out before any write means records arriving meanwhile start a new buffer, and
   * overlapping deliveries never write one buffer twice nor two buffers of one partition at once. Each taken
   * buffer must be {@link delivered} or {@link restore}d.
   */
  takeDue(isDue: (buffer: PartitionBuffer) => boolean): PartitionBuffer[] {
    const due: PartitionBuffer[] = [];
    for (const buffer of this.#buffers.values())
      if (!this.#delivering.has(buffer.key) && isDue(buffer)) due.push(buffer);
    for (const buffer of due) {
      this.#buffers.delete(buffer.key);
      this.#delivering.add(buffer.key);
    }
    return due;
  }

  /** A taken buffer was written: its partition's next buffer may go. */
  delivered(buffer: PartitionBuffer): void {
    this.#delivering.delete(buffer.key);
  }

  /**
   * Puts back a taken buffer that was not delivered, ahead of anything buffered for its partition since, not
   * to be taken again before `notBeforeMs`.
   */
  restore(buffer: PartitionBuffer, notBeforeMs = buffer.notBeforeMs): void {
    this.#delivering.delete(buffer.key);
    const current = this.#buffers.get(buffer.key);
    if (!current) {
      buffer.notBeforeMs = notBeforeMs;
      this.#buffers.set(buffer.key, buffer);
      return;
    }
    current.records = [...buffer.records, ...current.records];
    current.bytes += buffer.bytes;
    current.oldestArrivalMs = Math.min(current.oldestArrivalMs, buffer.oldestArrivalMs);
    current.notBeforeMs = Math.max(current.notBeforeMs, notBeforeMs);
    current.delayChosen ||= buffer.delayChosen;
    current.attempts = Math.max(current.attempts, buffer.attempts);
  }

  /**
   * When the next buffer becomes due: its not-before time if it has one (it was due already, and delayed or
   * failed), else its oldest record's arrival plus `intervalMs`. +Infinity when nothing is buffered.
   */
  nextDueMs(intervalMs: number): number {
    let due = Number.POSITIVE_INFINITY;
    for (const buffer of this.#buffers.values()) {
      if (this.#delivering.has(buffer.key)) continue;
      due = Math.min(due, buffer.notBeforeMs > 0 ? buffer.notBeforeMs : buffer.oldestArrivalMs + intervalMs);
    }
    return due;
  }

  /** Arrival time of the oldest buffered record, or +Infinity when empty. */
  oldestArrivalMs(): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (const buffer of this.#buffers.values()) oldest = Math.min(oldest, buffer.oldestArrivalMs);
    return oldest;
  }
}
