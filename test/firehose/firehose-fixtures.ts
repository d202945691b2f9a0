/**
 * @module
 * Shared fixtures of the local Firehose tests: a temp directory, an object store, change events, a stream
 * configuration like the deployment's, a Parquet reader (hyparquet, independent of the writer) and a
 * deadline-bounded wait.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { parquetReadObjects } from 'hyparquet';
import { vi } from 'vitest';
import type { ChangeEvent } from '../../core/change-event.ts';
import type { ObjectStore } from '../../core/ports/object-store.ts';
import { LocalFirehose, type LocalFirehoseOptions } from '../../firehose/local-firehose.ts';
import { type DeliveryStreamConfig, totesysDeliveryStreams } from '../../firehose/stream-config.ts';
import type { TransformFunction } from '../../firehose/transformation-invocation.ts';
import { handler } from '../../functions/transformer/handler.ts';

/** A fresh temp directory, removed by the returned cleanup. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'firehose-test-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export { MemoryObjectStore } from '../../testing/memory-object-store.ts';
export { waitFor } from '../support/wait-for.ts';

/**
 * Puts the clock the local Firehose reads (`Date`, `setTimeout`) in the test's hands: time moves only with
 * `vi.advanceTimersByTimeAsync`, so buffering intervals are tested without waiting for them. File I/O and
 * `setImmediate` stay real; `waitFor` keeps the real clock. Undo with `vi.useRealTimers()`.
 */
export function useManualClock(): void {
  vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
}

/** Lets work already started run on (a few real turns of the event loop, I/O callbacks included). */
export async function settled(turns = 5): Promise<void> {
  for (let turn = 0; turn < turns; turn++) await new Promise((resolve) => setImmediate(resolve));
}

/** Rows of a Parquet file, read by hyparquet. */
export async function readParquet(body: Uint8Array): Promise<Record<string, unknown>[]> {
  const file = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
  return (await parquetReadObjects({ file })) as Record<string, unknown>[];
}

/** The newline-delimited error documents of an error object. */
export function errorDocuments(body: Uint8Array): Record<string, unknown>[] {
  return Buffer.from(body)
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A currency insert as the reader emits it. */
export function currencyEvent(id: number, code: string, commitTs: string, lsn = 1000 + id): ChangeEvent {
  return {
    table: 'currency',
    op: 'c',
    key: { currency_id: id },
    row: {
      currency_id: id,
      currency_code: code,
      created_at: '2022-11-03 14:20:49.962',
      last_updated: '2022-11-03 14:20:49.962',
    },
    lsn: String(lsn),
    seq: 0,
    xid: 700 + id,
    commit_ts: commitTs,
  };
}

/** A sales order insert as the reader emits it. */
export function salesOrderEvent(id: number, commitTs: string, unitPrice = '3.94'): ChangeEvent {
  return {
    table: 'sales_order',
    op: 'c',
    key: { sales_order_id: id },
    row: {
      sales_order_id: id,
      created_at: '2022-11-03 14:20:52.186',
      last_updated: '2022-11-03 14:20:52.186',
      design_id: 9,
      staff_id: 16,
      counterparty_id: 18,
      units_sold: 84754,
      unit_price: unitPrice,
      currency_id: 3,
      agreed_delivery_date: '2022-11-10',
      agreed_payment_date: '2022-11-03',
      agreed_delivery_location_id: 4,
    },
    lsn: String(5000 + id),
    seq: id,
    xid: 900,
    commit_ts: commitTs,
  };
}

/** Events packed into one record: newline-terminated JSON, as the reader packs them. */
export function pack(events: readonly ChangeEvent[]): Uint8Array {
  return Buffer.from(events.map((event) => `${JSON.stringify(event)}\n`).join(''));
}

/** The real transformation handler as the local Firehose calls it. */
export const realTransform: TransformFunction = handler;

/** Wraps a transform to record every event it receives. */
export function recording(transform: TransformFunction): {
  transform: TransformFunction;
  events: FirehoseTransformationEvent[];
} {
  const events: FirehoseTransformationEvent[] = [];
  return {
    events,
    transform: async (event): Promise<FirehoseTransformationResult> => {
      events.push(structuredClone(event));
      return transform(event);
    },
  };
}

/** The deployment's stream configuration for one source table, with overrides. */
export function streamConfig(
  store: ObjectStore,
  source: string,
  overrides: Partial<DeliveryStreamConfig> = {},
): DeliveryStreamConfig {
  const config = totesysDeliveryStreams({ store, bucket: 'lake', transform: realTransform }).find(
    (candidate) => candidate.name === `totesys-${source}`,
  );
  if (!config) throw new Error(`no stream for ${source}`);
  return { ...config, ...overrides };
}

/** Opens a local Firehose over `spoolDir` with the given streams. */
export function openFirehose(
  spoolDir: string,
  streams: readonly DeliveryStreamConfig[],
  options: Partial<LocalFirehoseOptions> = {},
): Promise<LocalFirehose> {
  return LocalFirehose.open({ spoolDir, streams, onDeliveryError: () => {}, ...options });
}

/** Buffering so large that nothing is delivered unless flushed. */
export const NEVER = { sizeInMBs: 128, intervalInSeconds: 3600 } as const;
