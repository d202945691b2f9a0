import { readdir } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LocalFirehose } from '../../firehose/local-firehose.ts';
import {
  currencyEvent,
  MemoryObjectStore,
  NEVER,
  openFirehose,
  pack,
  readParquet,
  streamConfig,
  tempDir,
} from './firehose-fixtures.ts';

const STREAM = 'totesys-currency';

// The port's clauses (limits, unknown streams, throttling, failed entries, durability) are checked by the
// RecordBatchPutter contract in local-firehose-contracts.test.ts; these are the local Firehose's own.
describe('PutRecordBatch on the local Firehose', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: MemoryObjectStore;
  let firehose: LocalFirehose;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    store = new MemoryObjectStore();
    firehose = await openFirehose(dir, [
      streamConfig(store, 'currency', { bufferingHints: NEVER, processorBuffering: NEVER }),
    ]);
  });

  afterEach(async () => {
    await firehose.close({ deliver: false });
    await cleanup();
  });

  const record = (bytes: number) => ({ Data: new Uint8Array(bytes) });

  it('gives numeric RecordIds that increase in request order', async () => {
    const output = await firehose.putRecordBatch({
      DeliveryStreamName: STREAM,
      Records: [1, 2, 3].map((id) => ({
        Data: pack([currencyEvent(id, 'GBP', '2022-11-03T14:20:49.962Z')]),
      })),
    });
    expect(output.FailedPutCount).toBe(0);
    expect(output.RequestResponses).toHaveLength(3);
    const ids = output.RequestResponses.map((entry) => entry.RecordId);
    for (const id of ids) expect(id).toMatch(/^\d+$/);
    expect(new Set(ids).size).toBe(3);
    expect(ids.map((id) => BigInt(id!))).toEqual(
      [...ids.map((id) => BigInt(id!))].sort((a, b) => (a < b ? -1 : 1)),
    );
  });

  it('names the record over 1,000 KiB in its InvalidArgumentException', async () => {
    await expect(
      firehose.putRecordBatch({ DeliveryStreamName: STREAM, Records: [record(10), record(1000 * 1024 + 1)] }),
    ).rejects.toMatchObject({ name: 'InvalidArgumentException', message: expect.stringMatching(/Record 1/) });
  });

  it('fails chosen entries with ServiceUnavailableException and delivers only the accepted ones', async () => {
    firehose.setFaults({ failEntry: ({ index }) => index === 1 });
    const output = await firehose.putRecordBatch({
      DeliveryStreamName: STREAM,
      Records: [1, 2, 3].map((id) => ({
        Data: pack([currencyEvent(id, 'GBP', '2022-11-03T14:20:49.962Z')]),
      })),
    });
    expect(output.FailedPutCount).toBe(1);
    expect(output.RequestResponses[0]?.RecordId).toBeDefined();
    expect(output.RequestResponses[1]).toEqual({
      ErrorCode: 'ServiceUnavailableException',
      ErrorMessage: expect.any(String),
    });
    expect(output.RequestResponses[1]?.RecordId).toBeUndefined();
    expect(output.RequestResponses[2]?.RecordId).toBeDefined();
    await firehose.flush();
    const [key] = store.keys('dim_currency/');
    const rows = await readParquet(store.objects.get(key!)!);
    expect(rows.map((row) => row.currency_id).sort()).toEqual([1, 3]);
  });

  it.each([
    ['a Prefix with error-output-type', { prefix: 'x/!{firehose:error-output-type}/' }],
    ['a partition key in the error prefix', { errorOutputPrefix: 'e/!{partitionKeyFromLambda:dt}/' }],
    ['a zero buffer size', { bufferingHints: { sizeInMBs: 0, intervalInSeconds: 1 } }],
    ['a negative NumberOfRetries', { numberOfRetries: -1 }],
  ])('refuses to open a stream with %s, before creating its spool', async (_, overrides) => {
    const { dir: other, cleanup: cleanupOther } = await tempDir();
    try {
      await expect(openFirehose(other, [streamConfig(store, 'currency', overrides)])).rejects.toMatchObject({
        name: 'FirehoseConfigError',
      });
      expect(await readdir(other)).toEqual([]);
    } finally {
      await cleanupOther();
    }
  });
});
