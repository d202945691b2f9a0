/**
 * @module
 * The error location's format: the JSON documents under `errors/<lake table>/<error type>/yyyy/MM/dd/`, one
 * per failed record, newline-delimited, in objects named as Firehose names them (`firehose/object-key.ts`).
 * Firehose writes `processing-failed` and `format-conversion-failed` (`firehose/README.md`, error output); the
 * local Firehose also writes `partitioning-failed`, the reader writes `reader-failed` for a change it can
 * never ship, and the transformation Lambda `transformer-failed` for one bad event packed among good ones. Timestamps are epoch milliseconds; `rawData` is base64. {@link parseErrorDocuments} reads every
 * kind back (`errors list`, `errors replay`, `status`).
 */
import type { SourceValue } from './change-event.ts';
import { type AnyLakeTable, GLUE_DATABASE } from './schema/lake-tables.ts';

/** The values of `!{firehose:error-output-type}`, the folder under `errors/<lake table>/`. */
export const ERROR_OUTPUT_TYPES = {
  processing: 'processing-failed',
  conversion: 'format-conversion-failed',
  /**
   * A record whose partition keys are missing or whose prefix cannot be evaluated. AWS delivers these to the
   * error prefix "organised by error type" without documenting the value; this name is the local choice.
   */
  partitioning: 'partitioning-failed',
  /** A change the reader could not ship (written by the reader with {@link readerFailedDocument}). */
  reader: 'reader-failed',
  /**
   * One change event the transformation refused while the other events packed in its Firehose record went on
   * to the lake (written by the transformation Lambda with {@link rejectedEventDocument}).
   */
  transformer: 'transformer-failed',
  /**
   * A dropped file the `files` collector refused whole (README, "Market data"), as a `processing-failed`-shaped
   * document with the reason; nothing of it reached the lake.
   */
  files: 'files-failed',
} as const;

/** One error output type. */
export type ErrorOutputType = (typeof ERROR_OUTPUT_TYPES)[keyof typeof ERROR_OUTPUT_TYPES];

const TYPES: ReadonlySet<string> = new Set(Object.values(ERROR_OUTPUT_TYPES));

/** Codes for per-record transformation and partitioning failures (invocation failures use Lambda.*). */
export const RECORD_ERROR_CODES = {
  processingFailed: 'Lambda.ProcessingFailedStatus',
  partitionKeyMissing: 'DynamicPartitioning.PartitionKeyMissing',
  /** One event of a record refused by the transformation, its neighbours kept (`transformer-failed`). */
  eventRejected: 'Transformer.EventRejected',
} as const;

/** The message Firehose gives a record its Lambda returned `ProcessingFailed` (its response has no reason). */
export const PROCESSING_FAILED_MESSAGE = 'The Lambda function returned ProcessingFailed for this record.';

/** A failed record with what went wrong. */
export interface FailedRecord {
  readonly data: Uint8Array;
  readonly arrivalMs: number;
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly attemptsMade: number;
}

function base64(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}

/** The `processing-failed` (and `partitioning-failed`) document of one record. */
export function processingFailedDocument(record: FailedRecord, lambdaArn: string, endedMs: number): string {
  return JSON.stringify({
    attemptsMade: record.attemptsMade,
    arrivalTimestamp: record.arrivalMs,
    errorCode: record.errorCode,
    errorMessage: record.errorMessage,
    attemptEndingTimestamp: endedMs,
    rawData: base64(record.data),
    lambdaArn,
  });
}

/**
 * The `format-conversion-failed` document of one record. Field names follow the older documentation and
 * the probe of real AWS (`lastErrorCode`/`lastErrorMessage`); newer documentation says `ErrorCode`, which
 * {@link parseErrorDocuments} accepts too.
 */
export function conversionFailedDocument(
  record: FailedRecord,
  table: AnyLakeTable,
  region: string,
  endedMs: number,
): string {
  return JSON.stringify({
    attemptsMade: record.attemptsMade,
    arrivalTimestamp: record.arrivalMs,
    lastErrorCode: record.errorCode,
    lastErrorMessage: record.errorMessage,
    attemptEndingTimestamp: endedMs,
    rawData: base64(record.data),
    sequenceNumber: '',
    subSequenceNumber: 0,
    dataCatalogTable: {
      catalogId: '000000000000',
      databaseName: GLUE_DATABASE,
      tableName: table.name,
      region,
      versionId: 'LATEST',
      catalogArn: `arn:aws:glue:${region}:000000000000:catalog`,
    },
  });
}

/** A change the reader will never ship, for {@link readerFailedDocument}. */
export interface RejectedChange {
  /** The source row's primary key, column to value (identifiers of the row, not its contents). */
  readonly key: Readonly<Record<string, SourceValue>>;
  /** The change's commit LSN in PostgreSQL's `X/Y` form. */
  readonly lsn: string;
  readonly errorCode: string;
  /** Names the table, column and LSN, and says what to do. */
  readonly errorMessage: string;
  /** When the reader saw the change, epoch milliseconds. */
  readonly seenMs: number;
  /** The change event when it can be kept (an oversized one need not be: the key and LSN locate it). */
  readonly data?: Uint8Array;
  /** The source table, its position inside the transaction and its size in bytes, when known. */
  readonly table?: string;
  readonly seq?: number;
  readonly bytes?: number;
}

/** The `reader-failed` document of one change. */
export function readerFailedDocument(change: RejectedChange, endedMs: number): string {
  return JSON.stringify({
    attemptsMade: 1,
    arrivalTimestamp: change.seenMs,
    errorCode: change.errorCode,
    errorMessage: change.errorMessage,
    attemptEndingTimestamp: endedMs,
    ...(change.table === undefined ? {} : { table: change.table }),
    key: change.key,
    lsn: change.lsn,
    ...(change.seq === undefined ? {} : { seq: change.seq }),
    ...(change.bytes === undefined ? {} : { bytes: change.bytes }),
    ...(change.data === undefined ? {} : { rawData: base64(change.data) }),
  });
}

/** One change event the transformation refused, for {@link rejectedEventDocument}. */
export interface RejectedEventRecord {
  /** The event's line of the Firehose record, as the reader wrote it. */
  readonly data: Uint8Array;
  /** The Firehose record's approximate arrival, epoch milliseconds. */
  readonly arrivalMs: number;
  /** Names the table, column and LSN, and says what to do (transform/record-rejected-error.ts). */
  readonly errorMessage: string;
  /** The source table, commit LSN (`X/Y`) and position in the transaction, when the event could be read. */
  readonly table?: string;
  readonly lsn?: string;
  readonly seq?: number;
}

/** The `transformer-failed` document of one event: `processing-failed`'s fields with the real reason. */
export function rejectedEventDocument(
  event: RejectedEventRecord,
  lambdaArn: string,
  endedMs: number,
): string {
  return JSON.stringify({
    attemptsMade: 1,
    arrivalTimestamp: event.arrivalMs,
    errorCode: RECORD_ERROR_CODES.eventRejected,
    errorMessage: event.errorMessage,
    attemptEndingTimestamp: endedMs,
    ...(event.table === undefined ? {} : { table: event.table }),
    ...(event.lsn === undefined ? {} : { lsn: event.lsn }),
    ...(event.seq === undefined ? {} : { seq: event.seq }),
    rawData: base64(event.data),
    lambdaArn,
  });
}

/** One error document read back, whichever writer and field spelling produced it. */
export interface ErrorDocument {
  readonly errorCode: string;
  readonly errorMessage: string;
  /** The failed record's bytes (the original record Firehose received), when the document has them. */
  readonly rawData: Uint8Array | undefined;
  readonly arrivalMs: number | undefined;
  /** `reader-failed` only: the row's key and the change's LSN. */
  readonly key?: Readonly<Record<string, string | number>>;
  readonly lsn?: string;
}

/** Where an error object sits: its lake table and error type, from `errors/<table>/<type>/…`. */
export interface ErrorObjectLocation {
  readonly table: string;
  readonly type: ErrorOutputType;
}

/** The table and type of an error object's key under `errorsPrefix`, or undefined for a key outside the layout. */
export function errorObjectLocation(key: string, errorsPrefix: string): ErrorObjectLocation | undefined {
  if (!key.startsWith(errorsPrefix)) return undefined;
  const [table, type, ...rest] = key.slice(errorsPrefix.length).split('/');
  if (!table || !type || rest.length === 0 || !TYPES.has(type)) return undefined;
  return { table, type: type as ErrorOutputType };
}

/** The key of a new error object: `<errors prefix><table>/<type>/yyyy/MM/dd/<name>` (UTC day of `atMs`). */
export function errorObjectKey(
  errorsPrefix: string,
  table: string,
  type: ErrorOutputType,
  atMs: number,
  name: string,
): string {
  const day = new Date(atMs).toISOString().slice(0, 10).replaceAll('-', '/');
  return `${errorsPrefix}${table}/${type}/${day}/${name}`;
}

/** Thrown for an error object that is not newline-delimited error documents. */
export class ErrorDocumentFormatError extends Error {
  override readonly name = 'ErrorDocumentFormatError';
}

function text(document: Record<string, unknown>, ...names: string[]): string {
  for (const name of names) {
    const value = document[name];
    if (typeof value === 'string') return value;
  }
  return '';
}

/** The documents of one error object, in order. Throws {@link ErrorDocumentFormatError} naming the bad line. */
export function parseErrorDocuments(body: Uint8Array): ErrorDocument[] {
  const lines = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8').split('\n');
  const documents: ErrorDocument[] = [];
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      throw new ErrorDocumentFormatError(`Line ${index + 1} is not JSON.`, { cause: error });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new ErrorDocumentFormatError(`Line ${index + 1} is not a JSON object.`);
    const document = parsed as Record<string, unknown>;
    const raw = document.rawData;
    const key = document.key;
    documents.push({
      errorCode: text(document, 'errorCode', 'lastErrorCode', 'ErrorCode'),
      errorMessage: text(document, 'errorMessage', 'lastErrorMessage', 'ErrorMessage'),
      rawData: typeof raw === 'string' ? Buffer.from(raw, 'base64') : undefined,
      arrivalMs: typeof document.arrivalTimestamp === 'number' ? document.arrivalTimestamp : undefined,
      ...(typeof document.lsn === 'string' ? { lsn: document.lsn } : {}),
      ...(typeof key === 'object' && key !== null ? { key: key as Record<string, string | number> } : {}),
    });
  }
  return documents;
}
