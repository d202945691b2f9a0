/**
 * @module
 * Ships one fetch's rows to its market delivery stream (README, "Market data") through the RecordBatchPutter
 * port (Amazon Data Firehose or the local one): rows packed as newline-terminated JSON into records of at most
 * {@link RECORD_TARGET_BYTES}, at most 500 records a call. Failed entries, and calls rejected as throttled, are
 * retried with backoff; resolves only when every record was accepted (durable: the putter's contract). A fetch
 * retried after a failure here sends some rows twice, which the observation key makes harmless.
 */
import { marketDeliveryStreamName } from '../core/delivery-stream-spec.ts';
import type { Clock } from '../core/ports/clock.ts';
import {
  type FirehoseRecord,
  PUT_RECORD_BATCH_LIMITS,
  type RecordBatchPutter,
} from '../core/ports/record-batch-putter.ts';
import type { MarketLakeTableName } from '../core/schema/market-lake-tables.ts';
import type { ObservationRow } from './collector.ts';
import type { RetryPolicy } from './market-api-client.ts';

/** Firehose bills records in 5 KB steps; a fetch is small, so records stay well under the 1,000 KiB limit. */
export const RECORD_TARGET_BYTES = 64 * 1024;

/** Error names of `PutRecordBatch` rejections worth retrying (throttling, transient service errors). */
const RETRYABLE_CALL_ERRORS = new Set([
  'ServiceUnavailableException',
  'ThrottlingException',
  'InternalFailure',
]);

/** Eight attempts, 100 ms to 5 s apart: Firehose throttling clears within seconds. */
const PUT_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 5_000 };

/** Rows could not be handed to Firehose; the fetch is repeated at the next run. */
export class ObservationShippingError extends Error {
  override readonly name = 'ObservationShippingError';
}

/** Where rows go. */
export interface ShippingTarget {
  readonly putter: RecordBatchPutter;
  readonly clock: Clock;
  /** @default 'totesys-' */
  readonly streamPrefix?: string;
  readonly retry?: RetryPolicy;
  readonly random?: () => number;
}

/** Ships `rows` of `table`; resolves with the records accepted once every one was. */
export async function shipObservations(
  target: ShippingTarget,
  table: MarketLakeTableName,
  rows: readonly ObservationRow[],
): Promise<{ readonly stream: string; readonly records: number }> {
  const stream = marketDeliveryStreamName(table, target.streamPrefix);
  const records = packRecords(rows);
  for (let at = 0; at < records.length; at += PUT_RECORD_BATCH_LIMITS.maxRecords) {
    await putAll(target, stream, records.slice(at, at + PUT_RECORD_BATCH_LIMITS.maxRecords));
  }
  return { stream, records: records.length };
}

/** Newline-terminated JSON rows packed into records of at most {@link RECORD_TARGET_BYTES}. */
export function packRecords(rows: readonly ObservationRow[]): FirehoseRecord[] {
  const records: FirehoseRecord[] = [];
  let lines: string[] = [];
  let bytes = 0;
  for (const row of rows) {
    const line = `${JSON.stringify(row)}\n`;
    const size = Buffer.byteLength(line);
    if (bytes + size > RECORD_TARGET_BYTES && lines.length > 0) {
      records.push({ Data: Buffer.from(lines.join('')) });
      lines = [];
      bytes = 0;
    }
    lines.push(line);
    bytes += size;
  }
  if (lines.length > 0) records.push({ Data: Buffer.from(lines.join('')) });
  return records;
}

async function putAll(target: ShippingTarget, stream: string, records: readonly FirehoseRecord[]) {
  const retry = target.retry ?? PUT_RETRY;
  const random = target.random ?? Math.random;
  let pending = records;
  let last = '';
  for (let attempt = 1; attempt <= retry.maxAttempts; attempt++) {
    if (attempt > 1) {
      await target.clock.sleep(
        Math.round(random() * Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 2))),
      );
    }
    try {
      const output = await target.putter.putRecordBatch({ DeliveryStreamName: stream, Records: pending });
      pending = pending.filter((_, index) => output.RequestResponses[index]?.ErrorCode !== undefined);
      if (pending.length === 0) return;
      last = `${pending.length} records failed (${output.RequestResponses.find((r) => r.ErrorCode)?.ErrorCode})`;
    } catch (error) {
      const name = (error as Error).name;
      if (!RETRYABLE_CALL_ERRORS.has(name)) {
        throw new ObservationShippingError(`PutRecordBatch to ${stream} was refused (${name}).`, {
          cause: error,
        });
      }
      last = name;
    }
  }
  throw new ObservationShippingError(
    `PutRecordBatch to ${stream} did not accept every record after ${retry.maxAttempts} attempts (last: ${last}); ` +
      'the fetch is repeated at the next run.',
  );
}
