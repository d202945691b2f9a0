/**
 * @module
 * The JSON documents Firehose writes under `ErrorOutputPrefix`, one per failed record, newline-delimited
 * (`firehose/README.md`, error output). Timestamps are epoch milliseconds; `rawData` is base64.
 */
import { GLUE_DATABASE, type LakeTable } from '../core/schema/lake-tables.ts';

/** The values of `!{firehose:error-output-type}` the local Firehose produces. */
export const ERROR_OUTPUT_TYPES = {
  processing: 'processing-failed',
  conversion: 'format-conversion-failed',
  /**
   * A record whose partition keys are missing or whose prefix cannot be evaluated. AWS delivers these to the
   * error prefix "organised by error type" without documenting the value; this name is the local choice.
   */
  partitioning: 'partitioning-failed',
} as const;

/** One error output type. */
export type ErrorOutputType = (typeof ERROR_OUTPUT_TYPES)[keyof typeof ERROR_OUTPUT_TYPES];

/** Codes for per-record transformation and partitioning failures (invocation failures use Lambda.*). */
export const RECORD_ERROR_CODES = {
  processingFailed: 'Lambda.ProcessingFailedStatus',
  partitionKeyMissing: 'DynamicPartitioning.PartitionKeyMissing',
} as const;

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
 * the probe of real AWS (`lastErrorCode`/`lastErrorMessage`); newer documentation says `errorCode`.
 */
export function conversionFailedDocument(
  record: FailedRecord,
  table: LakeTable,
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
