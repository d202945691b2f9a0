/**
 * @module
 * RecordBatchPutter: the Firehose `PutRecordBatch` call as a port, so the reader ships through the same code to
 * Amazon Data Firehose (`reader/aws-firehose-putter.ts`) and to the local Firehose (`firehose/`), and the
 * production path never imports the emulator. Field names follow the AWS API exactly.
 */
import { deliveryStreamName } from '../delivery-stream-spec.ts';
import { DEFAULTS } from '../operations.ts';

/** One record of a batch: raw bytes (the SDK base64-encodes them on the wire). */
export interface FirehoseRecord {
  readonly Data: Uint8Array;
}

/** The request of `PutRecordBatch`. */
export interface PutRecordBatchInput {
  readonly DeliveryStreamName: string;
  readonly Records: readonly FirehoseRecord[];
}

/** One entry of the response, in request order: a `RecordId` on success, an `ErrorCode` on failure. */
export interface PutRecordBatchResponseEntry {
  readonly RecordId?: string;
  readonly ErrorCode?: string;
  readonly ErrorMessage?: string;
}

/** The response of `PutRecordBatch`. A successful call can still hold failed entries (`FailedPutCount > 0`). */
export interface PutRecordBatchOutput {
  readonly FailedPutCount: number;
  readonly Encrypted?: boolean;
  readonly RequestResponses: readonly PutRecordBatchResponseEntry[];
}

/**
 * Something that accepts `PutRecordBatch` calls: the AWS SDK's Firehose client behind an adapter, or the
 * local Firehose.
 *
 * Contract (as AWS documents it): at most 500 records, 4 MiB per call and 1,000 KiB per record, else the
 * whole call rejects with an `InvalidArgumentException`; an unknown stream rejects with
 * `ResourceNotFoundException`; throttling rejects with `ServiceUnavailableException`. Otherwise it resolves
 * with one response entry per record, in order; an entry with an `ErrorCode` was not accepted and may be
 * retried. An accepted record is durable.
 */
export interface RecordBatchPutter {
  putRecordBatch(input: PutRecordBatchInput): Promise<PutRecordBatchOutput>;
}

/** The hard limits of `PutRecordBatch`. */
export const PUT_RECORD_BATCH_LIMITS = {
  maxRecords: 500,
  maxBatchBytes: 4 * 1024 * 1024,
  maxRecordBytes: 1000 * 1024,
} as const;

/** The default prefix of delivery stream names: `totesys-<source table>` (one definition, core/operations.ts). */
export const DEFAULT_STREAM_PREFIX = DEFAULTS.streamPrefix;

export { deliveryStreamName };
