/**
 * @module
 * The processor buffer of one stream: accepted records waiting for the transformation Lambda, in arrival
 * order, taken in chunks that respect the processor buffer size and the 6 MB invocation payload limit.
 */
import type { SpooledRecord } from './partition-buffers.ts';
import { estimatedRequestBytes, LAMBDA_PAYLOAD_LIMIT_BYTES } from './transformation-invocation.ts';

/** JSON bytes each record adds to an invocation request besides its base64 data. */
const PER_RECORD_ENVELOPE_BYTES = 160;

/** A FIFO of spooled records with their total size. */
export class IncomingQueue {
  /** Slots before `head` are consumed and cleared, so their records can be collected. */
  #items: (SpooledRecord | undefined)[] = [];
  #head = 0;
  /** Raw bytes of the records waiting. */
  bytes = 0;

  /** Records waiting. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** The oldest waiting record. */
  peek(): SpooledRecord | undefined {
    return this.#items[this.#head];
  }

  push(record: SpooledRecord): void {
    this.#items.push(record);
    this.bytes += record.data.length;
  }

  /**
   * Takes the next invocation's records: at least one, then as many as keep the raw size within
   * `maxRawBytes` and the request within the Lambda payload limit.
   */
  takeChunk(maxRawBytes: number): SpooledRecord[] {
    const chunk: SpooledRecord[] = [];
    let raw = 0;
    while (this.#head < this.#items.length) {
      const next = this.#items[this.#head]!;
      const rawAfter = raw + next.data.length;
      const fits =
        rawAfter <= maxRawBytes &&
        estimatedRequestBytes(rawAfter) + (chunk.length + 1) * PER_RECORD_ENVELOPE_BYTES <=
          LAMBDA_PAYLOAD_LIMIT_BYTES;
      if (chunk.length > 0 && !fits) break;
      chunk.push(next);
      raw = rawAfter;
      this.#items[this.#head++] = undefined;
    }
    this.bytes -= raw;
    // Drop the cleared prefix now and then, so the array does not grow for ever.
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return chunk;
  }
}
