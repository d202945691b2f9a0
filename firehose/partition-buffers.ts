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
}

/** Every partition buffer of one stream. */
export class PartitionBuffers {
  private readonly buffers = new Map<string, PartitionBuffer>();

  /** @param keyNames the partition keys the prefix reads; only they tell partitions apart. */
  constructor(private readonly keyNames: readonly string[]) {}

  /**
   * Buffers a transformed record under its partition. Returns the name of the first partition key the
   * prefix needs and the record lacks (it is then not buffered), else undefined.
   */
  add(source: SpooledRecord, data: Uint8Array, keys: Readonly<Record<string, string>>): string | undefined {
    let key = '';
    for (const name of this.keyNames) {
      const value = keys[name];
      if (typeof value !== 'string' || value === '') return name;
      key += `${value}\u0000`;
    }
    let buffer = this.buffers.get(key);
    if (!buffer) {
      buffer = { key, partitionKeys: keys, records: [], bytes: 0, oldestArrivalMs: source.arrivalMs };
      this.buffers.set(key, buffer);
    }
    buffer.records.push({ source, data });
    buffer.bytes += data.length;
    buffer.oldestArrivalMs = Math.min(buffer.oldestArrivalMs, source.arrivalMs);
    return undefined;
  }

  /**
   * Removes and returns the buffers `isDue` selects. Taking them out before any write means records
   * arriving meanwhile start a new buffer, and overlapping deliveries never write one buffer twice.
   */
  takeDue(isDue: (buffer: PartitionBuffer) => boolean): PartitionBuffer[] {
    const due: PartitionBuffer[] = [];
    for (const buffer of this.buffers.values()) if (isDue(buffer)) due.push(buffer);
    for (const buffer of due) this.buffers.delete(buffer.key);
    return due;
  }

  /** Puts back a buffer whose delivery failed, ahead of anything buffered for its partition since. */
  restore(buffer: PartitionBuffer): void {
    const current = this.buffers.get(buffer.key);
    if (!current) {
      this.buffers.set(buffer.key, buffer);
      return;
    }
    current.records = [...buffer.records, ...current.records];
    current.bytes += buffer.bytes;
    current.oldestArrivalMs = Math.min(current.oldestArrivalMs, buffer.oldestArrivalMs);
  }

  /** Arrival time of the oldest buffered record, or +Infinity when empty. */
  oldestArrivalMs(): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (const buffer of this.buffers.values()) oldest = Math.min(oldest, buffer.oldestArrivalMs);
    return oldest;
  }
}
