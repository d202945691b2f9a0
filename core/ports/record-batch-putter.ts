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
 * Contract (as AWS documents it):
 * - **Limits.** 1 to 500 records, at most 4 MiB per call and 1,000 KiB per record, else the whole call rejects
 *   with an `InvalidArgumentException` and accepts nothing (see {@link putRecordBatchLimitBreach}).
 * - **Streams.** A call to a stream that does not exist rejects with `ResourceNotFoundException`.
 * - **Throttling.** A throttled call rejects with `ServiceUnavailableException` and accepts nothing.
 * - **Entries.** Otherwise it resolves with one response entry per record, in request order: a `RecordId`
 *   for an accepted record, an `ErrorCode` (and message) for one that was not accepted and may be retried;
 *   `FailedPutCount` counts the latter.
 * - **Durability.** An accepted record is durable: it is delivered even if the process that accepted it
 *   stops right after the call resolved.
 *
 * The `name` of each rejection is the one the AWS SDK v3 gives the exception, so callers test `error.name`.
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

/** The whole `PutRecordBatch` call was refused: over a limit or malformed. Not retryable as is. */
export class InvalidArgumentError extends Error {
  override readonly name = 'InvalidArgumentException';
}

/** The named delivery stream does not exist. */
export class ResourceNotFoundError extends Error {
  override readonly name = 'ResourceNotFoundException';
}

/** The call was throttled; retry it with backoff. */
export class ServiceUnavailableError extends Error {
  override readonly name = 'ServiceUnavailableException';
}

/**
 * Refuses a call that breaks a limit with the {@link InvalidArgumentError} AWS answers it with. Every
 * implementation that is not AWS itself checks calls with it, before it accepts anything.
 */
export function checkPutRecordBatchLimits(input: PutRecordBatchInput): void {
  const breach = limitBreach(input);
  if (breach !== undefined) throw new InvalidArgumentError(breach);
}

function limitBreach(input: PutRecordBatchInput): string | undefined {
  const { maxRecords, maxBatchBytes, maxRecordBytes } = PUT_RECORD_BATCH_LIMITS;
  const count = input.Records.length;
  if (count === 0 || count > maxRecords) {
    return `1 validation error detected: Value at 'records' failed to satisfy constraint: Member must have length between 1 and ${maxRecords} (got ${count}).`;
  }
  let total = 0;
  for (const [index, record] of input.Records.entries()) {
    const size = record.Data.byteLength;
    if (size > maxRecordBytes) {
      return `Record ${index} of the batch for ${input.DeliveryStreamName} is ${size} bytes; the limit is ${maxRecordBytes} (1,000 KiB) before base64.`;
    }
    total += size;
  }
  if (total > maxBatchBytes) {
    return `Records size exceeds 4 MB limit: the batch for ${input.DeliveryStreamName} holds ${total} bytes (limit ${maxBatchBytes}).`;
  }
  return undefined;
}

/** The default prefix of delivery stream names: `totesys-<source table>` (one definition, core/operations.ts). */
export const DEFAULT_STREAM_PREFIX = DEFAULTS.streamPrefix;

export { deliveryStreamName };
