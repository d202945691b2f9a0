/**
 * @module
 * The byte format of a spool segment (`firehose/spool.ts`), and reading one back after a crash.
 *
 * A segment starts with {@link SEGMENT_HEADER} and holds frames:
 * `u32 marker | u32 length | f64 arrival ms | u32 crc32(length, arrival) | u32 crc32(payload) | payload`.
 * The marker (bytes F5 70 01 C5, never found in UTF-8 text, so never in a change event) and the header's own
 * checksum let a reader find the next frame after damaged bytes: every good frame is kept, and the damage is
 * reported as a {@link DamagedRange}. A crash in the middle of a write leaves a torn tail (a frame begun and
 * never finished, or zeros the file system allocated); it was never acknowledged, so it is cut off silently.
 *
 * Segments written before the marker existed (no header: `u32 length | u32 crc32(payload) | f64 arrival ms |
 * payload`) are still read, up to their first bad frame, so a spool left by an older version drains on upgrade;
 * new records always go to new-format segments.
 */
import { crc32 } from 'node:zlib';

/** The first bytes of every segment in this format. */
export const SEGMENT_HEADER = Buffer.from('TSSPOOL\u0002', 'latin1');

const MARKER = Buffer.from([0xf5, 0x70, 0x01, 0xc5]);
const MARKER_U32 = MARKER.readUInt32LE(0);
/** Bytes before the payload. */
export const FRAME_HEADER_BYTES = 24;
const LEGACY_HEADER_BYTES = 16;

/** One record read back. */
export interface Frame {
  readonly data: Uint8Array;
  readonly arrivalMs: number;
}

/** Bytes of a segment that hold no readable frame and are not a torn tail: `[start, end)`. */
export interface DamagedRange {
  readonly start: number;
  readonly end: number;
}

/** What a segment held. */
export interface SegmentContents {
  readonly frames: Frame[];
  readonly damaged: DamagedRange[];
}

/** The frame of one record, written at `at` of `body`; returns the view of its payload there. */
export function writeFrame(body: Buffer, at: number, record: Uint8Array, arrivalMs: number): Uint8Array {
  body.writeUInt32LE(MARKER_U32, at);
  body.writeUInt32LE(record.length, at + 4);
  body.writeDoubleLE(arrivalMs, at + 8);
  body.writeUInt32LE(crc32(body.subarray(at + 4, at + 16)), at + 16);
  body.writeUInt32LE(crc32(record), at + 20);
  body.set(record, at + FRAME_HEADER_BYTES);
  return body.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + record.length);
}

type FrameAt =
  | { readonly kind: 'frame'; readonly frame: Frame; readonly end: number }
  /** A sound header whose payload is cut short or does not match its checksum: a write that did not finish. */
  | { readonly kind: 'unfinished' }
  | { readonly kind: 'none' };

function frameAt(file: Buffer, at: number): FrameAt {
  if (at + FRAME_HEADER_BYTES > file.length) return { kind: 'none' };
  if (file.readUInt32LE(at) !== MARKER_U32) return { kind: 'none' };
  if (crc32(file.subarray(at + 4, at + 16)) !== file.readUInt32LE(at + 16)) return { kind: 'none' };
  const end = at + FRAME_HEADER_BYTES + file.readUInt32LE(at + 4);
  if (end > file.length) return { kind: 'unfinished' };
  const data = file.subarray(at + FRAME_HEADER_BYTES, end);
  if (crc32(data) !== file.readUInt32LE(at + 20)) return { kind: 'unfinished' };
  return { kind: 'frame', frame: { data, arrivalMs: file.readDoubleLE(at + 8) }, end };
}

/** The start of the first whole frame after `from`, or undefined. */
function nextFrame(file: Buffer, from: number): number | undefined {
  for (let at = file.indexOf(MARKER, from); at !== -1; at = file.indexOf(MARKER, at + 1)) {
    if (frameAt(file, at).kind === 'frame') return at;
  }
  return undefined;
}

/**
 * True when `[at, end of file)` is what a crash during one write leaves: a frame begun and not finished,
 * fewer bytes than a frame header that begin like one, or zeros.
 */
function isTornTail(file: Buffer, at: number): boolean {
  const rest = file.subarray(at);
  if (rest.every((byte) => byte === 0)) return true;
  if (rest.length < FRAME_HEADER_BYTES) return MARKER.subarray(0, rest.length).equals(rest.subarray(0, 4));
  return frameAt(file, at).kind === 'unfinished';
}

/** Every frame of a segment file, with the damaged ranges skipped to reach them. */
export function readSegment(file: Buffer): SegmentContents {
  if (!file.subarray(0, SEGMENT_HEADER.length).equals(SEGMENT_HEADER)) {
    const legacy = readLegacyFrames(file);
    // A file too short for the header is a segment torn at its creation, not an old one.
    if (legacy.length > 0 || file.length < SEGMENT_HEADER.length) return { frames: legacy, damaged: [] };
  }
  const frames: Frame[] = [];
  const damaged: DamagedRange[] = [];
  let at = file.subarray(0, SEGMENT_HEADER.length).equals(SEGMENT_HEADER) ? SEGMENT_HEADER.length : 0;
  while (at < file.length) {
    const found = frameAt(file, at);
    if (found.kind === 'frame') {
      frames.push(found.frame);
      at = found.end;
      continue;
    }
    const next = nextFrame(file, at + 1);
    if (next === undefined) {
      if (!isTornTail(file, at)) damaged.push({ start: at, end: file.length });
      break;
    }
    damaged.push({ start: at, end: next });
    at = next;
  }
  return { frames, damaged };
}

/** Frames of a segment in the format before markers, up to the first one that does not check out. */
function readLegacyFrames(file: Buffer): Frame[] {
  const frames: Frame[] = [];
  let at = 0;
  while (at + LEGACY_HEADER_BYTES <= file.length) {
    const end = at + LEGACY_HEADER_BYTES + file.readUInt32LE(at);
    if (end > file.length) break;
    const data = file.subarray(at + LEGACY_HEADER_BYTES, end);
    if (crc32(data) !== file.readUInt32LE(at + 4)) break;
    frames.push({ data, arrivalMs: file.readDoubleLE(at + 8) });
    at = end;
  }
  return frames;
}
