/**
 * @module
 * Reads a text file line by line with the byte offset of every line, so a second pass can stream just one
 * COPY block of a large dump without holding the file in memory.
 */
import { createReadStream } from 'node:fs';

/** One line (without its newline) and where it sits in the file. */
export interface DumpLine {
  readonly text: string;
  /** 1-based line number within the range read. */
  readonly number: number;
  /** Byte offset of the line's first byte. */
  readonly start: number;
  /** Byte offset just past the line's newline. */
  readonly end: number;
}

/** The lines of `path` between byte offsets `from` (inclusive) and `to` (exclusive). */
export async function* readLines(
  path: string,
  from = 0,
  to = Number.POSITIVE_INFINITY,
): AsyncGenerator<DumpLine> {
  if (to <= from) return;
  const stream = createReadStream(path, { start: from, ...(Number.isFinite(to) ? { end: to - 1 } : {}) });
  let pending: Buffer[] = [];
  let pendingStart = from;
  let position = from;
  let number = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let lineStart = 0;
    for (let index = chunk.indexOf(10); index !== -1; index = chunk.indexOf(10, lineStart)) {
      pending.push(chunk.subarray(lineStart, index));
      const end = position + index + 1;
      yield { text: decode(pending), number: ++number, start: pendingStart, end };
      pending = [];
      pendingStart = end;
      lineStart = index + 1;
    }
    if (lineStart < chunk.length) pending.push(chunk.subarray(lineStart));
    position += chunk.length;
  }
  if (pending.length > 0)
    yield { text: decode(pending), number: ++number, start: pendingStart, end: position };
}

function decode(parts: Buffer[]): string {
  const text = (parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts)).toString('utf8');
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}
