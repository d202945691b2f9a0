/**
 * @module
 * One pass of the `files` collector over a drop prefix (README, "Market data"), wherever it runs: a directory
 * locally (`collect files --dir`), `drop/` of the lake bucket on AWS (the collector Lambda). Every file that
 * fits is shipped through the RecordBatchPutter port and then moved to `<prefix>processed/`; a file that does
 * not fit goes whole to the lake's error location with its reason, and leaves the drop prefix. Rows are durable
 * (accepted by the putter) before their file moves, so a crash between the two ships them again at the next
 * pass, which their observation keys make harmless.
 */
import { basename } from 'node:path';
import { ERROR_OUTPUT_TYPES, errorObjectKey, processingFailedDocument } from '../core/error-documents.ts';
import { LAKE_PREFIXES } from '../core/lake-layout.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { Log } from '../core/ports/log.ts';
import type { ObjectStore } from '../core/ports/object-store.ts';
import type { RecordBatchPutter } from '../core/ports/record-batch-putter.ts';
import { readDroppedFiles } from './dropped-files.ts';
import { shipObservations } from './observation-shipping.ts';

/** The folder under the drop prefix that shipped files are moved to (never read again). */
export const PROCESSED_FOLDER = 'processed/';

/** What one pass over a drop prefix did. */
export interface DroppedFilesSummary {
  readonly accepted: number;
  readonly rows: number;
  /** The error objects refused files became, under `errors/<table>/files-failed/`. */
  readonly refused: readonly {
    readonly file: string;
    readonly errorObject: string;
    readonly reason: string;
  }[];
}

/** Where a pass reads, writes and ships. */
export interface DroppedFileBatchTarget {
  /** The store holding the drop prefix. */
  readonly drop: ObjectStore;
  /** `''` for a whole directory, `drop/` in the lake bucket. */
  readonly dropPrefix: string;
  /** The lake: refused files become error objects under its `errors/`. */
  readonly lake: ObjectStore;
  readonly putter: RecordBatchPutter;
  readonly clock: Clock;
  /** @default `totesys-` */
  readonly streamPrefix?: string;
  readonly log?: Log;
}

/** Ships, moves and refuses every file under the drop prefix once. */
export async function collectDroppedFileBatch(target: DroppedFileBatchTarget): Promise<DroppedFilesSummary> {
  const { drop, dropPrefix, clock } = target;
  const now = clock.now();
  const { accepted, refused } = await readDroppedFiles(drop, dropPrefix, now);
  const shipping = {
    putter: target.putter,
    clock,
    ...(target.streamPrefix ? { streamPrefix: target.streamPrefix } : {}),
  };
  let rows = 0;
  for (const file of accepted) {
    await shipObservations(shipping, file.table, file.rows);
    rows += file.rows.length;
  }
  for (const file of accepted) {
    const body = await drop.get(file.key);
    if (body) await drop.put(`${dropPrefix}${PROCESSED_FOLDER}${file.key.slice(dropPrefix.length)}`, body);
    await drop.delete(file.key);
  }
  const errors = [];
  for (const file of refused) {
    const errorObject = errorObjectKey(
      LAKE_PREFIXES.errors,
      file.table,
      ERROR_OUTPUT_TYPES.files,
      now,
      basename(file.key),
    );
    const document = processingFailedDocument(
      {
        data: file.body,
        arrivalMs: now,
        errorCode: 'Files.SchemaMismatch',
        errorMessage: file.reason,
        attemptsMade: 1,
      },
      'totesys-stream collect files',
      now,
    );
    await target.lake.put(errorObject, Buffer.from(`${document}\n`));
    await drop.delete(file.key);
    target.log?.warn('a dropped file does not fit its table; it is under the error prefix', {
      stage: 'collector',
      table: file.table,
      object: errorObject,
      reason: file.reason,
    });
    errors.push({ file: file.key, errorObject, reason: file.reason });
  }
  return { accepted: accepted.length, rows, refused: errors };
}
