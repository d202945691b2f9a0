/**
 * @module
 * Where the transformation Lambda puts the events it refused apart from their records
 * (transform/firehose-transformation.ts, `rejectEventsApart`): one error object per Firehose record under
 * `errors/<lake table>/transformer-failed/yyyy/MM/dd/`, one `transformer-failed` document per refused event
 * (core/error-documents.ts), so `errors list`, `errors replay`, `status` and the loader's count of a round's
 * changes (lake/lake-object-recovery.ts) find them like any other failed record.
 *
 * Written before the Lambda answers Firehose: once the record is `Ok`, its good rows go on and nothing else
 * keeps the bad event. A failed write throws, so the invocation fails and Firehose retries the whole batch. The
 * object's key is a function of the record alone (its arrival day, stream, first refused LSN and a hash of the
 * refused lines), so a retried batch writes the same object again rather than a second one.
 */
import { createHash } from 'node:crypto';
import { lakeTableOfStream } from '../core/delivery-stream-spec.ts';
import { ERROR_OUTPUT_TYPES, errorObjectKey, rejectedEventDocument } from '../core/error-documents.ts';
import { LAKE_PREFIXES } from '../core/lake-layout.ts';
import { formatLsn } from '../core/lsn.ts';
import type { ObjectStore } from '../core/ports/object-store.ts';
import type { RejectedEvent } from './firehose-transformation.ts';

/** Where refused events go: the lake bucket's store and a clock (epoch milliseconds). */
export interface RejectedEventLocation {
  readonly store: ObjectStore;
  readonly now: () => number;
}

/** Thrown when the delivery stream's name does not say which lake table its records belong to. */
export class UnknownStreamError extends Error {
  override readonly name = 'UnknownStreamError';
}

/**
 * Writes `rejected` (one batch's refused events) under the stream's lake table; returns each record's key. The
 * stream comes from the invocation's `deliveryStreamArn`; `lambdaArn` goes into each document as Firehose's
 * own `processing-failed` documents carry it.
 */
export async function writeRejectedEvents(
  location: RejectedEventLocation,
  deliveryStreamArn: string,
  rejected: readonly RejectedEvent[],
  lambdaArn: string,
): Promise<ReadonlyMap<string, string>> {
  const keys = new Map<string, string>();
  if (rejected.length === 0) return keys;
  const stream = deliveryStreamArn.slice(deliveryStreamArn.lastIndexOf('/') + 1);
  const lakeTable = lakeTableOfStream(stream);
  if (lakeTable === undefined)
    throw new UnknownStreamError(
      `Delivery stream ${stream} carries no totesys table: its refused events have no error location.`,
    );
  const byRecord = new Map<string, RejectedEvent[]>();
  for (const event of rejected) {
    const events = byRecord.get(event.recordId) ?? [];
    events.push(event);
    byRecord.set(event.recordId, events);
  }
  const endedMs = location.now();
  await Promise.all(
    [...byRecord].map(async ([recordId, events]) => {
      const first = events[0] as RejectedEvent;
      const hash = createHash('sha256');
      for (const event of events) hash.update(event.data);
      const name = `${stream}-${first.lsn ?? 'unread'}-${first.seq ?? 0}-${hash.digest('hex').slice(0, 16)}`;
      const key = errorObjectKey(
        LAKE_PREFIXES.errors,
        lakeTable,
        ERROR_OUTPUT_TYPES.transformer,
        first.arrivalMs,
        name,
      );
      const body = events
        .map((event) =>
          rejectedEventDocument(
            {
              data: event.data,
              arrivalMs: event.arrivalMs,
              errorMessage: event.reason,
              ...(event.table === undefined ? {} : { table: event.table }),
              ...(event.lsn === undefined ? {} : { lsn: readableLsn(event.lsn) }),
              ...(event.seq === undefined ? {} : { seq: event.seq }),
            },
            lambdaArn,
            endedMs,
          ),
        )
        .join('\n');
      await location.store.put(key, Buffer.from(`${body}\n`, 'utf8'));
      keys.set(recordId, key);
    }),
  );
  return keys;
}

/** PostgreSQL's `X/Y` form of an event's decimal LSN (README: LSNs a person reads); as given if not decimal. */
function readableLsn(lsn: string): string {
  return /^\d+$/.test(lsn) ? formatLsn(BigInt(lsn)) : lsn;
}
