/**
 * @module
 * The durable spool of one delivery stream: what makes "accepted" mean "survives a crash".
 *
 * Records are appended to segment files (`<dir>/<segment number>.seg`) and fsynced before `append` resolves;
 * concurrent appends share one write and one fsync (group commit), so the cost is per call, not per record.
 * A segment is deleted once it is sealed (a newer segment took over) and every record in it was resolved
 * (delivered, dropped or written to the error prefix), which keeps the spool bounded by what is undelivered
 * plus one segment. Opening a spool reads every remaining segment back: those records were accepted and
 * not yet resolved (or resolved but their segment not yet deleted: at-least-once, duplicates allowed).
 *
 * The frames and how they are read back are in `firehose/spool-frames.ts`. A torn tail (a crash in the middle
 * of a write that was never acknowledged) is cut off silently. Damaged bytes anywhere else are skipped to the
 * next good frame and copied to a quarantine file beside the segment
 * (`<segment>.seg.<offset>.corrupt`), which {@link Spool.open} reports so the caller can say so loudly.
 */
import { type FileHandle, mkdir, open, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SpoolError } from './firehose-errors.ts';
import { FRAME_HEADER_BYTES, readSegment, SEGMENT_HEADER, writeFrame } from './spool-frames.ts';

/** The name ending of a file holding bytes of a segment that could not be read. */
export const QUARANTINE_SUFFIX = '.corrupt';

/** Damaged bytes of a segment, copied aside at open. */
export interface QuarantinedBytes {
  /** The quarantine file (the segment's path, the offset of the bytes, {@link QUARANTINE_SUFFIX}). */
  readonly path: string;
  readonly segmentPath: string;
  readonly offset: number;
  readonly bytes: number;
}

/** A segment file and how many of its records are still unresolved. */
export class SpoolSegment {
  pending = 0;
  sealed = false;
  bytes = 0;
  constructor(
    readonly number: number,
    readonly path: string,
  ) {}
}

/** A record read back from the spool at open. */
export interface RecoveredRecord {
  readonly data: Uint8Array;
  readonly arrivalMs: number;
  readonly segment: SpoolSegment;
}

/** What an append stored: the segment, and each record's bytes as written (views into one buffer). */
export interface AppendedRecords {
  readonly segment: SpoolSegment;
  readonly stored: readonly Uint8Array[];
}

interface PendingAppend {
  readonly records: readonly Uint8Array[];
  readonly arrivalMs: number;
  readonly resolve: (appended: AppendedRecords) => void;
  readonly reject: (error: unknown) => void;
}

/** The spool of one stream. Create with {@link Spool.open}. */
export class Spool {
  #active: SpoolSegment | undefined;
  #handle: FileHandle | undefined;
  #queue: PendingAppend[] = [];
  #writing = false;
  readonly #segments = new Map<number, SpoolSegment>();
  #closed = false;

  readonly #dir: string;
  #nextNumber: number;
  readonly #segmentBytes: number;

  private constructor(dir: string, nextNumber: number, segmentBytes: number) {
    this.#dir = dir;
    this.#nextNumber = nextNumber;
    this.#segmentBytes = segmentBytes;
  }

  /**
   * Opens (creating if needed) the spool in `dir` and returns it with every record found in it.
   * @throws SpoolError when the directory cannot be read.
   */
  static async open(
    dir: string,
    segmentBytes: number,
  ): Promise<{ spool: Spool; recovered: RecoveredRecord[]; quarantined: QuarantinedBytes[] }> {
    try {
      await mkdir(dir, { recursive: true });
      const numbers = (await readdir(dir))
        .filter((name) => /^\d+\.seg$/.test(name))
        .map((name) => Number.parseInt(name, 10))
        .sort((a, b) => a - b);
      const spool = new Spool(dir, (numbers.at(-1) ?? 0) + 1, segmentBytes);
      const recovered: RecoveredRecord[] = [];
      const quarantined: QuarantinedBytes[] = [];
      for (const number of numbers) {
        const segment = new SpoolSegment(number, spool.#segmentPath(number));
        segment.sealed = true;
        spool.#segments.set(number, segment);
        const file = await readFile(segment.path);
        const { frames, damaged } = readSegment(file);
        for (const range of damaged) {
          // Copied before the segment can be deleted (once its good records are delivered): the evidence stays.
          const path = `${segment.path}.${range.start}${QUARANTINE_SUFFIX}`;
          await writeFile(path, file.subarray(range.start, range.end), { flush: true });
          quarantined.push({
            path,
            segmentPath: segment.path,
            offset: range.start,
            bytes: range.end - range.start,
          });
        }
        for (const frame of frames) {
          recovered.push({ ...frame, segment });
          segment.pending++;
        }
        if (segment.pending === 0) await spool.#remove(segment);
      }
      return { spool, recovered, quarantined };
    } catch (error) {
      if (error instanceof SpoolError) throw error;
      throw new SpoolError(
        `Cannot open the Firehose spool in ${dir}; check that it is a writable directory.`,
        {
          cause: error,
        },
      );
    }
  }

  #segmentPath(number: number): string {
    return join(this.#dir, `${String(number).padStart(12, '0')}.seg`);
  }

  /**
   * Appends records (one arrival time for the call) and resolves with their segment once they are on disk
   * and fsynced. Each record counts as pending in that segment until {@link release}d. The returned `stored`
   * views hold the records' bytes (the caller may reuse its own buffers); they share the written buffer, so
   * keeping them costs no copy.
   */
  append(records: readonly Uint8Array[], arrivalMs: number): Promise<AppendedRecords> {
    if (this.#closed) return Promise.reject(new SpoolError(`The spool in ${this.#dir} is closed.`));
    return new Promise((resolve, reject) => {
      this.#queue.push({ records, arrivalMs, resolve, reject });
      if (!this.#writing) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        try {
          const segment = await this.#ensureSegment();
          const { body, stored } = frames(batch);
          await this.#handle!.write(body);
          await this.#handle!.datasync();
          segment.bytes += body.length;
          for (const [index, item] of batch.entries()) {
            segment.pending += item.records.length;
            item.resolve({ segment, stored: stored[index]! });
          }
          if (segment.bytes >= this.#segmentBytes) await this.#seal();
        } catch (error) {
          const failure = new SpoolError(
            `Cannot write the Firehose spool in ${this.#dir}; the records were not accepted (check disk space and permissions).`,
            { cause: error },
          );
          for (const item of batch) item.reject(failure);
        }
      }
    } finally {
      this.#writing = false;
    }
  }

  async #ensureSegment(): Promise<SpoolSegment> {
    if (this.#active && this.#handle) return this.#active;
    const number = this.#nextNumber++;
    const segment = new SpoolSegment(number, this.#segmentPath(number));
    this.#handle = await open(segment.path, 'a');
    // Made durable by the datasync of the first append into the segment.
    await this.#handle.write(SEGMENT_HEADER);
    segment.bytes = SEGMENT_HEADER.length;
    // The new file's directory entry must be durable too, or a crash could lose the whole segment.
    const dir = await open(this.#dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    this.#active = segment;
    this.#segments.set(number, segment);
    return segment;
  }

  async #seal(): Promise<void> {
    const segment = this.#active;
    const handle = this.#handle;
    this.#active = undefined;
    this.#handle = undefined;
    if (!segment || !handle) return;
    await handle.close();
    segment.sealed = true;
    if (segment.pending === 0) await this.#remove(segment);
  }

  /**
   * Marks `count` records of `segment` resolved. Call only after their outcome is durable (the destination
   * or error object was written) so that a crash before it re-delivers instead of losing.
   */
  async release(segment: SpoolSegment, count: number): Promise<void> {
    segment.pending -= count;
    if (segment.pending <= 0 && segment.sealed) await this.#remove(segment);
  }

  async #remove(segment: SpoolSegment): Promise<void> {
    if (!this.#segments.delete(segment.number)) return;
    try {
      await unlink(segment.path);
    } catch (error) {
      // A leftover segment only causes duplicates after a restart, never loss.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  /** Segment files currently on disk (sealed and active). */
  segmentCount(): number {
    return this.#segments.size;
  }

  /** Waits for queued appends, then closes the active segment (it stays on disk if anything is pending). */
  async close(): Promise<void> {
    while (this.#writing || this.#queue.length > 0) await new Promise((resolve) => setImmediate(resolve));
    this.#closed = true;
    await this.#seal();
  }
}

/** Frames every record of a group commit into one buffer; returns it and each call's record views. */
function frames(batch: readonly PendingAppend[]): { body: Buffer; stored: Uint8Array[][] } {
  let size = 0;
  for (const item of batch) for (const record of item.records) size += FRAME_HEADER_BYTES + record.length;
  const body = Buffer.allocUnsafe(size);
  const stored: Uint8Array[][] = [];
  let at = 0;
  for (const item of batch) {
    const views: Uint8Array[] = [];
    for (const record of item.records) {
      views.push(writeFrame(body, at, record, item.arrivalMs));
      at += FRAME_HEADER_BYTES + record.length;
    }
    stored.push(views);
  }
  return { body, stored };
}

/** The quarantine files in the spools under `spoolRoot` (one directory per stream), sorted; none if absent. */
export async function quarantinedSpoolFiles(spoolRoot: string): Promise<string[]> {
  let streams: string[];
  try {
    streams = await readdir(spoolRoot);
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const stream of streams.sort()) {
    const names = await readdir(join(spoolRoot, stream)).catch(() => [] as string[]);
    for (const name of names.sort())
      if (name.endsWith(QUARANTINE_SUFFIX)) found.push(join(spoolRoot, stream, name));
  }
  return found;
}
