/**
 * @module
 * The transformation Lambda's core: a Firehose batch in, one result per record out (the record shapes `firehose/README.md` lists).
 *
 * A record's `data` is one or more newline-terminated change events of one table and one commit date (the
 * reader packs them, since Firehose bills records in 5 KB steps). The output `data` holds their lake rows, one
 * newline-terminated JSON object each, under the partition key `dt` = the UTC commit date. A record that cannot
 * be read or mapped is `ProcessingFailed` with its original `data` (Firehose writes it under the error prefix)
 * and a logged reason; the rest of the batch is unaffected. With `rejectEventsApart` (the handler has an error
 * location to write to), one bad event no longer fails its packed neighbours: the record is `Ok` with the good
 * events' rows and the bad ones come back as {@link RejectedEvent}s, for the handler to write under
 * `errors/<table>/transformer-failed/` before it answers (README, "Bad input flows aside"). Pure: no I/O, no clock, no environment. A market
 * delivery stream's records (told by the stream's name) hold observations instead (transform/observation-rows.ts).
 */

import { isUtf8 } from 'node:buffer';
import type {
  FirehoseTransformationEvent,
  FirehoseTransformationEventRecord,
  FirehoseTransformationResult,
  FirehoseTransformationResultRecord,
} from 'aws-lambda';
import { type ChangeEvent, lakePartitionOf } from '../core/change-event.ts';
import { marketTableOfStream } from '../core/delivery-stream-spec.ts';
import { MARKET_LAKE_TABLES, type MarketLakeTable } from '../core/schema/market-lake-tables.ts';
import type { SourceTableName } from '../core/schema/source-tables.ts';
import { writeCanonicalRow } from './canonical-event-lines.ts';
import { parseChangeEvent } from './change-event-parsing.ts';
import { LakeRowBytes } from './lake-row-bytes.ts';
import { lakeRowJson } from './lake-row-json.ts';
import { observationRows } from './observation-rows.ts';
import { RecordRejectedError, type RejectionContext } from './record-rejected-error.ts';

/** Lambda's synchronous response limit (6 MB): a larger response fails the whole batch. */
export const MAX_RESPONSE_BYTES = 6 * 1024 * 1024;

/** The reason given to records left out because the response would have passed `MAX_RESPONSE_BYTES`. */
export const RESPONSE_SIZE_LIMIT_REASON = 'response size limit';

/** A record returned `ProcessingFailed`, for the handler's log. Identifiers only, never row values. */
export interface RecordFailure extends RejectionContext {
  readonly recordId: string;
  readonly reason: string;
}

/** One event refused on its own while the rest of its record went on (`rejectEventsApart`). */
export interface RejectedEvent extends RejectionContext {
  readonly recordId: string;
  /** The record's approximate arrival, epoch milliseconds (the error object's day, stable across retries). */
  readonly arrivalMs: number;
  /** Position of the event in the transaction, when it could be read. */
  readonly seq?: number;
  readonly reason: string;
  /** The event's line of the record, newline-terminated, as the reader wrote it. */
  readonly data: Uint8Array;
}

/** The Firehose response, the failures to log and the events refused apart from their records. */
export interface TransformationOutcome {
  readonly response: FirehoseTransformationResult;
  readonly failures: readonly RecordFailure[];
  /** Empty unless `rejectEventsApart`; the caller must make these durable before answering Firehose. */
  readonly rejected: readonly RejectedEvent[];
}

/** Settings of {@link transformBatch}. */
export interface TransformationOptions {
  /** @default MAX_RESPONSE_BYTES */
  readonly maxResponseBytes?: number;
  /**
   * Refuse a bad event of a change record on its own, keeping its neighbours, rather than the whole record. A
   * record with no good event still fails whole. @default false
   */
  readonly rejectEventsApart?: boolean;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const NEWLINE = 0x0a;
/**
 * One record's rows as they are built, reused record after record (its base64 is taken before the next one
 * starts): a fresh buffer per record cost an allocation of about its size each time.
 */
const OUTPUT = new LakeRowBytes(64 * 1024);
/** `{"records":[` and `]}` around the entries, less one: entries count a comma each, n entries have n - 1. */
const ENVELOPE_BYTES = '{"records":[]}'.length - 1;
/** An Ok entry without its recordId, data and dt values. */
const OK_ENTRY_OVERHEAD = '{"recordId":,"result":"Ok","data":,"metadata":{"partitionKeys":{"dt":}}}'.length;
/** A failed entry without its recordId and data values. */
const FAILED_ENTRY_OVERHEAD = '{"recordId":,"result":"ProcessingFailed","data":}'.length;

/**
 * Transforms one Firehose invocation. Returns exactly one result per input `recordId`, in input order, and
 * never throws for a bad record. When the encoded response would pass `maxResponseBytes`, the record that
 * would cross it and every later one are `ProcessingFailed` with reason {@link RESPONSE_SIZE_LIMIT_REASON}.
 */
export function transformBatch(
  event: FirehoseTransformationEvent,
  options: TransformationOptions = {},
): TransformationOutcome {
  const maxBytes = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  // A market delivery stream carries observations rather than change events (transform/observation-rows.ts).
  const marketTable = marketTableOfStream(event.deliveryStreamArn ?? '');
  const market = marketTable === undefined ? undefined : MARKET_LAKE_TABLES[marketTable];
  // Decoded once here: whether the data is base64 sizes its failed entry, and the bytes are what is mapped.
  const decoded = event.records.map((record) => decodeBase64(record.data));
  const failedBytes = event.records.map((record, index) =>
    failedEntryBytes(record, decoded[index] !== undefined),
  );
  // Room kept for the records not yet decided, had they all to be returned failed with their original data
  // (about the size of the request), so no later record can push the response past the limit.
  let reserved = failedBytes.reduce((sum, bytes) => sum + bytes, 0);
  let used = ENVELOPE_BYTES;
  let overLimit = false;
  const records: FirehoseTransformationResultRecord[] = [];
  const failures: RecordFailure[] = [];
  const rejected: RejectedEvent[] = [];
  const apart = options.rejectEventsApart ?? false;

  event.records.forEach((record, index) => {
    const failed: FirehoseTransformationResultRecord = {
      recordId: record.recordId,
      result: 'ProcessingFailed',
      data: record.data,
    };
    const failedSize = failedBytes[index] ?? 0;
    reserved -= failedSize;
    let entry = failed;
    let size = failedSize;
    if (overLimit) {
      failures.push({ recordId: record.recordId, reason: RESPONSE_SIZE_LIMIT_REASON });
    } else {
      try {
        const refused: RejectedEvent[] = [];
        const ok = market
          ? transformObservations(record, decoded[index], market)
          : transformRecord(record, decoded[index], apart ? refused : undefined);
        const okSize = okEntryBytes(ok);
        if (used + okSize + reserved <= maxBytes) {
          entry = ok;
          size = okSize;
          rejected.push(...refused);
        } else {
          overLimit = true;
          failures.push({ recordId: record.recordId, reason: RESPONSE_SIZE_LIMIT_REASON });
        }
      } catch (error) {
        failures.push(failureOf(record.recordId, error));
      }
    }
    used += size;
    records.push(entry);
  });
  return { response: { records }, failures, rejected };
}

/**
 * The `Ok` result of one record, or a thrown {@link RecordRejectedError}. With `refused`, a bad event is added
 * to it instead of failing the record, unless no event is good (then the first event's error is thrown).
 */
function transformRecord(
  record: FirehoseTransformationEventRecord,
  bytes: Buffer | undefined,
  refused?: RejectedEvent[],
): FirehoseTransformationResultRecord {
  if (bytes === undefined) throw new RecordRejectedError('Record data is not base64.');
  // What decodeLines refuses, refused as it words it; only valid UTF-8 is read as bytes by the fast path.
  const utf8 = isUtf8(bytes);
  if (!utf8) decodeLines(bytes);
  const out = OUTPUT;
  out.clear();
  let lines: readonly string[] | undefined;
  let first: SourceTableName | undefined;
  let dt = '';
  let firstError: unknown;
  let index = 0;
  for (let start = 0, number = 0; start < bytes.length; number++) {
    const newline = bytes.indexOf(NEWLINE, start);
    const end = newline < 0 ? bytes.length : newline;
    const lineStart = start;
    start = end + 1;
    // The reader's own lines are read straight into their rows (canonical-event-lines.ts); any other line,
    // or one breaking the record's one table and one day, takes the general path, which refuses as it always has.
    const length = out.length;
    if (utf8 && writeCanonicalRow(bytes, lineStart, end, out)) {
      if (first === undefined) {
        first = out.table;
        dt = out.dt;
      }
      if (out.table === first && out.dt === dt) {
        index++;
        continue;
      }
      out.length = length;
    }
    // The text's lines, as decodeLines splits them (a leading byte order mark dropped), once any is needed.
    lines ??= UTF8.decode(bytes).split('\n');
    const line = lines[number] ?? '';
    if (line.trim() === '') continue;
    let event: ChangeEvent | undefined;
    try {
      event = parseLine(line, index++);
      const where = { table: event.table, lsn: event.lsn };
      if (first !== undefined && event.table !== first) {
        throw new RecordRejectedError(
          `Packed events name two tables (${first} first); a record must hold one table's events.`,
          where,
        );
      }
      const row = `${lakeRowJson(event)}\n`;
      if (first === undefined) {
        first = event.table;
        dt = lakePartitionOf(event);
      } else if (lakePartitionOf(event) !== dt) {
        // The reader's packing broke its own rule: no event of the record is more right than another.
        throw new RecordRejectedError(
          'Packed events span two commit dates (dt partitions); a record must share one.',
          where,
          { cause: RECORD_LEVEL },
        );
      }
      out.append(row);
    } catch (error) {
      if (refused === undefined || isRecordLevel(error)) throw error;
      firstError ??= error;
      refused.push(rejectedEventOf(record, line, event, error));
    }
  }
  if (index === 0) throw new RecordRejectedError('Record data holds no change event.');
  if (first === undefined) {
    refused?.splice(0);
    throw firstError ?? new RecordRejectedError('Record data holds no change event.');
  }
  return {
    recordId: record.recordId,
    result: 'Ok',
    data: out.base64(),
    metadata: { partitionKeys: { dt } },
  };
}

/** Marks a refusal that concerns the whole record, never one event (see {@link transformRecord}). */
const RECORD_LEVEL = Symbol('record-level');

function isRecordLevel(error: unknown): boolean {
  return error instanceof RecordRejectedError && error.cause === RECORD_LEVEL;
}

function rejectedEventOf(
  record: FirehoseTransformationEventRecord,
  line: string,
  event: ChangeEvent | undefined,
  error: unknown,
): RejectedEvent {
  const failure = failureOf(record.recordId, error);
  return {
    ...failure,
    ...(failure.table === undefined && event ? { table: event.table } : {}),
    ...(failure.lsn === undefined && event ? { lsn: event.lsn } : {}),
    ...(event ? { seq: event.seq } : {}),
    arrivalMs: record.approximateArrivalTimestamp,
    data: Buffer.from(`${line}\n`, 'utf8'),
  };
}

/** The `Ok` result of one record of a market stream, or a thrown {@link RecordRejectedError}. */
function transformObservations(
  record: FirehoseTransformationEventRecord,
  bytes: Buffer | undefined,
  table: MarketLakeTable,
): FirehoseTransformationResultRecord {
  if (bytes === undefined) throw new RecordRejectedError('Record data is not base64.', { table: table.name });
  const { data, dt } = observationRows(table, bytes);
  return {
    recordId: record.recordId,
    result: 'Ok',
    data: Buffer.from(data, 'utf8').toString('base64'),
    metadata: { partitionKeys: { dt } },
  };
}

/** UTF-8 of the decoded `data`, split into its non-empty lines (one change event each). */
function decodeLines(bytes: Buffer): string[] {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch (error) {
    throw new RecordRejectedError('Record data is not UTF-8 text.', {}, { cause: error });
  }
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  if (lines.length === 0) throw new RecordRejectedError('Record data holds no change event.');
  return lines;
}

/** The change event of one line (the `index`-th of its record, from 0). */
function parseLine(line: string, index: number): ChangeEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    // JSON.parse's message quotes the input, which may hold row values: keep it out of the reason.
    throw new RecordRejectedError(`Record data is not JSON (event ${index + 1} of the record).`);
  }
  return parseChangeEvent(parsed);
}

function failureOf(recordId: string, error: unknown): RecordFailure {
  if (error instanceof RecordRejectedError) return { recordId, reason: error.message, ...error.context };
  // A bug, not bad data: still one record's failure, never the batch's. The class name holds no row value.
  const kind = error instanceof Error ? error.name : typeof error;
  return { recordId, reason: `Unexpected ${kind} while transforming the record; see the function's logs.` };
}

/**
 * Bytes an entry adds to the response JSON, with its separating comma. Counted from the parts rather than by
 * serialising the entry, which would copy every record's data once more.
 */
function okEntryBytes(entry: FirehoseTransformationResultRecord): number {
  const dt = entry.metadata?.partitionKeys['dt'] ?? '';
  return (
    OK_ENTRY_OVERHEAD +
    jsonStringBytes(entry.recordId) +
    (entry.data?.length ?? 0) +
    2 +
    jsonStringBytes(dt) +
    1
  );
}

/**
 * The bytes of standard base64 `data` (length a multiple of 4, `=` padding only at the end), or undefined.
 * Node's decoder skips characters outside the alphabet instead of failing, so a decoded length short of what
 * the text length implies reveals them (it also accepts the URL-safe `-` and `_`, refused separately); far
 * cheaper than a regular expression over megabytes.
 */
function decodeBase64(data: unknown): Buffer | undefined {
  if (typeof data !== 'string' || data.length % 4 !== 0) return undefined;
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  const bytes = Buffer.from(data, 'base64');
  if (bytes.length !== (data.length / 4) * 3 - padding) return undefined;
  if (data.includes('-') || data.includes('_')) return undefined;
  return bytes;
}

function failedEntryBytes(record: FirehoseTransformationEventRecord, base64: boolean): number {
  // Base64 needs no JSON escaping; anything else is measured as JSON would write it (undefined is left out).
  const dataBytes = base64
    ? record.data.length + 2
    : Buffer.byteLength(JSON.stringify(record.data as unknown) ?? '');
  return FAILED_ENTRY_OVERHEAD + jsonStringBytes(record.recordId) + dataBytes + 1;
}

function jsonStringBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text));
}
