import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LocalFirehose } from '../../firehose/local-firehose.ts';
import type { DeliveryStreamConfig } from '../../firehose/stream-config.ts';
import {
  currencyEvent,
  MemoryObjectStore,
  NEVER,
  openFirehose,
  pack,
  readParquet,
  settled,
  streamConfig,
  tempDir,
  useManualClock,
  waitFor,
} from './firehose-fixtures.ts';

const STREAM = 'totesys-currency';
const COMMIT = '2022-11-03T14:20:49.962Z';

describe('local Firehose buffering', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: MemoryObjectStore;
  let firehose: LocalFirehose | undefined;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    store = new MemoryObjectStore();
  });

  afterEach(async () => {
    vi.useRealTimers();
    await firehose?.close({ deliver: false });
    firehose = undefined;
    await cleanup();
  });

  async function start(overrides: Partial<DeliveryStreamConfig>) {
    firehose = await openFirehose(dir, [streamConfig(store, 'currency', overrides)]);
    return firehose;
  }

  async function put(ids: readonly number[]) {
    await firehose!.putRecordBatch({
      DeliveryStreamName: STREAM,
      Records: ids.map((id) => ({ Data: pack([currencyEvent(id, 'GBP', COMMIT)]) })),
    });
  }

  async function deliveredIds(): Promise<number[]> {
    const rows = (
      await Promise.all(store.keys('dim_currency/').map((key) => readParquet(store.objects.get(key)!)))
    ).flat();
    return rows.map((row) => Number(row.currency_id)).sort((a, b) => a - b);
  }

  it('delivers by size: once the buffered bytes reach the size hint, without waiting for the interval', async () => {
    // About 200 bytes per transformed row: 0.002 MB (2,097 bytes) is reached after roughly ten records.
    await start({
      processorBuffering: { sizeInMBs: 0.0001, intervalInSeconds: 3600 },
      bufferingHints: { sizeInMBs: 0.002, intervalInSeconds: 3600 },
    });
    await put([1, 2, 3]);
    expect(store.keys('dim_currency/')).toEqual([]);
    await put(Array.from({ length: 30 }, (_, i) => i + 10));
    await waitFor('a size-triggered object', () => store.keys('dim_currency/').length > 0);
    expect(firehose!.metrics()[0]!.deliveredObjects).toBeGreaterThan(0);
  });

  it('holds records below the size hint until the interval passes, then delivers them', async () => {
    useManualClock();
    const acceptedAt = Date.now();
    const writtenAt: number[] = [];
    const timed = Object.assign(store, {
      put: async (key: string, body: Uint8Array) => {
        writtenAt.push(Date.now());
        await MemoryObjectStore.prototype.put.call(store, key, body);
      },
    });
    firehose = await openFirehose(dir, [
      streamConfig(timed, 'currency', {
        processorBuffering: { sizeInMBs: 1, intervalInSeconds: 0.05 },
        bufferingHints: { sizeInMBs: 64, intervalInSeconds: 1 },
      }),
    ]);
    await put([1, 2]);
    expect(firehose.metrics()[0]!.backlogBytes).toBeGreaterThan(0);
    // Time moves only when the test moves it, 50 ms a step, and the stream's work settles between steps:
    // the object's write time on the manual clock is when the stream decided to deliver.
    while (writtenAt.length === 0 && Date.now() - acceptedAt < 3000) {
      await vi.advanceTimersByTimeAsync(50);
      await settled();
    }
    expect(writtenAt).toHaveLength(1);
    expect(writtenAt[0]! - acceptedAt).toBeGreaterThanOrEqual(1000);
    expect(writtenAt[0]! - acceptedAt).toBeLessThan(1200);
    expect(firehose.metrics()[0]!.invocations).toBe(1);
    expect(await deliveredIds()).toEqual([1, 2]);
    await waitFor('the backlog to empty', () => firehose!.metrics()[0]!.backlogBytes === 0);
  });

  it('delivers each record once while several invocations and deliveries overlap', async () => {
    firehose = await openFirehose(
      dir,
      [
        streamConfig(store, 'currency', {
          processorBuffering: { sizeInMBs: 0.0001, intervalInSeconds: 3600 },
          bufferingHints: { sizeInMBs: 64, intervalInSeconds: 0 },
        }),
      ],
      { invocationConcurrency: 4 },
    );
    // Three commit days, so that each delivery round has several partition buffers to write.
    await firehose.putRecordBatch({
      DeliveryStreamName: STREAM,
      Records: Array.from({ length: 40 }, (_, i) => ({
        Data: pack([currencyEvent(i + 1, 'GBP', `2022-11-0${3 + (i % 3)}T10:00:00.000Z`)]),
      })),
    });
    await firehose.flush();
    expect(await deliveredIds()).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(firehose.metrics()[0]).toMatchObject({ deliveredRecords: 40, backlogBytes: 0 });
  });

  it('flush() delivers everything buffered now, in one object per partition', async () => {
    await start({ processorBuffering: NEVER, bufferingHints: NEVER });
    await put([1, 2]);
    await put([3]);
    expect(store.keys('dim_currency/')).toEqual([]);
    await firehose!.flush();
    expect(store.keys('dim_currency/')).toHaveLength(1);
    expect(await deliveredIds()).toEqual([1, 2, 3]);
  });

  it('reports incoming and delivered counts, and data freshness while records wait', async () => {
    useManualClock();
    await start({ processorBuffering: NEVER, bufferingHints: NEVER });
    await put([1, 2, 3]);
    await vi.advanceTimersByTimeAsync(1500);
    const waiting = firehose!.metrics()[0]!;
    expect(waiting).toMatchObject({
      dataFreshnessSeconds: 1.5,
      streamName: STREAM,
      incomingPutRequests: 1,
      incomingRecords: 3,
      deliveredObjects: 0,
      deliveredRecords: 0,
    });
    expect(waiting.incomingBytes).toBe(3 * pack([currencyEvent(1, 'GBP', COMMIT)]).length);
    await firehose!.flush();
    expect(firehose!.metrics()[0]).toMatchObject({
      deliveredObjects: 1,
      deliveredRecords: 3,
      deliveredRows: 3,
      dataFreshnessSeconds: 0,
      backlogBytes: 0,
      conversionFailedRecords: 0,
      processingFailedRecords: 0,
    });
  });

  it('keeps records buffered when the object store fails and delivers them once it recovers', async () => {
    await start({ processorBuffering: NEVER, bufferingHints: NEVER });
    await put([1, 2]);
    store.failPuts = true;
    await expect(firehose!.flush()).rejects.toThrow(/injected put failure/);
    expect(firehose!.metrics()[0]!.deliveryErrors).toBe(1);
    store.failPuts = false;
    await firehose!.flush();
    expect(await deliveredIds()).toEqual([1, 2]);
  });

  it('close() delivers what is buffered and then refuses new calls and flushes', async () => {
    await start({ processorBuffering: NEVER, bufferingHints: NEVER });
    await put([5]);
    await firehose!.close();
    expect(await deliveredIds()).toEqual([5]);
    await expect(put([6])).rejects.toMatchObject({ name: 'FirehoseClosedError' });
    await expect(firehose!.flush()).rejects.toMatchObject({ name: 'FirehoseClosedError' });
  });

  it('makes putRecordBatch wait while the backlog is over its bound, delivering early to make room', async () => {
    firehose = await openFirehose(
      dir,
      [streamConfig(store, 'currency', { processorBuffering: NEVER, bufferingHints: NEVER })],
      { maxBacklogBytesPerStream: 1000 },
    );
    for (let batch = 0; batch < 5; batch++)
      await put(Array.from({ length: 10 }, (_, i) => batch * 10 + i + 1));
    // Each call waited until the previous backlog (over 1,000 bytes) was delivered, despite the huge hints.
    expect(store.keys('dim_currency/').length).toBeGreaterThanOrEqual(4);
    expect(firehose!.metrics()[0]!.backlogBytes).toBeLessThan(3000);
    await firehose!.flush();
    expect(await deliveredIds()).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });
});
