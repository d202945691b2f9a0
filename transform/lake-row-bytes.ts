/**
 * @module
 * The transformation's output for one record as it is built: the UTF-8 bytes of its lake rows, one per line.
 * The fast path (canonical-event-lines.ts) copies each row's values from the event's bytes straight into it,
 * and the general path appends its JSON text, so the record's `data` is one base64 encoding of these bytes
 * with no string built per row.
 */
import type { SourceTableName } from '../core/schema/source-tables.ts';

export class LakeRowBytes {
  bytes: Buffer;
  /** Bytes written so far. */
  length = 0;
  /** The table and lake partition (`dt`) of the row the fast path wrote last. */
  table: SourceTableName | undefined;
  dt = '';

  /** `capacity`: a first guess of the output's size; the buffer grows as rows need. */
  constructor(capacity: number) {
    this.bytes = Buffer.allocUnsafe(Math.max(capacity, 256));
  }

  /** Empties it for the next record, keeping its buffer. */
  clear(): void {
    this.length = 0;
    this.table = undefined;
    this.dt = '';
  }

  /** Makes room for `extra` more bytes after {@link length} and returns the buffer to write them into. */
  reserve(extra: number): Buffer {
    const needed = this.length + extra;
    if (needed > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.bytes.length * 2));
      this.bytes.copy(grown, 0, 0, this.length);
      this.bytes = grown;
    }
    return this.bytes;
  }

  /** Appends `text` as UTF-8. */
  append(text: string): void {
    this.reserve(Buffer.byteLength(text, 'utf8'));
    this.length += this.bytes.write(text, this.length, 'utf8');
  }

  /** The bytes written, in base64 (a Firehose record's `data`). */
  base64(): string {
    return this.bytes.toString('base64', 0, this.length);
  }
}
