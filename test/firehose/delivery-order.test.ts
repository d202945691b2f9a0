import type { FirehoseTransformationResult } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anyOrderAwsAllows, type DeliveryOrder } from '../../firehose/delivery-order.ts';
import type { LocalFirehose } from '../../firehose/local-firehose.ts';
import { SeededRandom } from '../../source/seed/seeded-random.ts';
import {
  currencyEvent,
  MemoryObjectStore,
  openFirehose,
  pack,
  readParquet,
  realTransform,
  streamConfig,
  tempDir,
  waitFor,
} from './firehose-fixtures.ts';

const STREAM = 'totesys-currency';
const DAY_1 = '2026-01-01T23:59:58.000Z';
const DAY_2 = '2026-01-02T00:00:01.000Z';
const QUICK = { sizeInMBs: 64, intervalInSeconds: 0.02 } as const;

describe('local Firehose delivery order', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: MemoryObjectStore;
  let firehose: LocalFirehose | undefined;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    store = new MemoryObjectStore();
  });

  afterEach(async () => {
    await firehose?.close({ deliver: false });
    firehose = undefined;
    await cleanup();
  });

  async function put(ids: readonly number[], commitTs: string) {
    await firehose!.putRecordBatch({
      DeliveryStreamName: STREAM,
      Records: ids.map((id) => ({ Data: pack([currencyEvent(id, 'GBP', commitTs)]) })),
    });
  }

  /** Currency ids per object, in the order the objects were written. */
  async function objectsInWriteOrder(prefix = 'dim_currency/'): Promise<{ key: string; ids: number[] }[]> {
    const written = [...store.objects.keys()].filter((key) => key.startsWith(prefix));
    return Promise.all(
      written.map(async (key) => ({
        key,
        ids: (await readParquet(store.objects.get(key)!)).map((row) => Number(row.currency_id)),
      })),
    );
  }

  it('delivers other partitions while one partition’s failed delivery waits for its retry', async () => {
    // Prepare: every delivery of the first day's partition fails until the test lets it through.
    let dayOneFails = true;
    const order: DeliveryOrder = {
      delayMs: () => 0,
      failDelivery: (delivery) => dayOneFails && delivery.partitionKeys['dt'] === '2026-01-01',
      retryDelayMs: () => 20,
    };
    firehose = await openFirehose(
      dir,
      [streamConfig(store, 'currency', { processorBuffering: QUICK, bufferingHints: QUICK })],
      {
        deliveryOrder: order,
      },
    );

    // Act: the earlier day is put first, the later day after it.
    await put([1, 2], DAY_1);
    await put([3], DAY_2);
    await waitFor('the later partition', () => store.keys('dim_currency/dt=2026-01-02/').length === 1);

    // Assess: the later partition landed although the earlier one, put before it, has not.
    expect(store.keys('dim_currency/dt=2026-01-01/')).toEqual([]);
    expect(firehose.metrics()[0]!.deliveryErrors).toBeGreaterThan(0);
    dayOneFails = false;
    await waitFor('the retried partition', () => store.keys('dim_currency/dt=2026-01-01/').length === 1);
    expect((await objectsInWriteOrder()).map((o) => o.ids)).toEqual([[3], [1, 2]]);
  });

  it('keeps one partition’s objects in arrival order while its delivery is delayed', async () => {
    // Prepare: the first buffer of the partition is held back; later records arrive meanwhile.
    let delays = 0;
    const order: DeliveryOrder = {
      delayMs: () => (delays++ === 0 ? 150 : 0),
      failDelivery: () => false,
    };
    firehose = await openFirehose(
      dir,
      [streamConfig(store, 'currency', { processorBuffering: QUICK, bufferingHints: QUICK })],
      {
        deliveryOrder: order,
      },
    );

    // Act
    await put([1], DAY_1);
    await waitFor('the first buffer to be due and delayed', () => delays > 0);
    await put([2], DAY_1);
    await waitFor(
      'both records delivered',
      async () => (await objectsInWriteOrder()).flatMap((o) => o.ids).length === 2,
    );

    // Assess: nothing of the partition overtook the delayed buffer.
    expect((await objectsInWriteOrder()).flatMap((o) => o.ids)).toEqual([1, 2]);
  });

  it('buffers the outputs of overlapping invocations in arrival order, whichever returns first', async () => {
    // Prepare: the first invocation is slow; the second returns at once.
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let invocations = 0;
    let secondReturned = false;
    const slowFirst = async (
      event: Parameters<typeof realTransform>[0],
    ): Promise<FirehoseTransformationResult> => {
      const first = invocations++ === 0;
      if (first) await gate;
      const result = await realTransform(event);
      if (!first) secondReturned = true;
      return result;
    };
    firehose = await openFirehose(dir, [
      streamConfig(store, 'currency', {
        // One record per invocation, each output due for delivery at once.
        processorBuffering: { sizeInMBs: 0.000001, intervalInSeconds: 0 },
        bufferingHints: { sizeInMBs: 64, intervalInSeconds: 0 },
        transform: slowFirst,
      }),
    ]);

    // Act: two records, two overlapping invocations; the second finishes long before the first.
    await put([1, 2], DAY_1);
    let beforeRelease: string[];
    try {
      await waitFor('the second invocation to return', () => secondReturned);
      // A few turns of the event loop: enough for an unordered stream to convert and write the second output.
      for (let turn = 0; turn < 20; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
      beforeRelease = store.keys('dim_currency/');
    } finally {
      release();
    }
    await waitFor(
      'both records delivered',
      async () => (await objectsInWriteOrder()).flatMap((o) => o.ids).length === 2,
    );

    // Assess: the second record's object did not overtake the first one's.
    expect(beforeRelease).toEqual([]);
    expect((await objectsInWriteOrder()).flatMap((o) => o.ids)).toEqual([1, 2]);
  });

  it('delivers every record under seeded random delays and failures', async () => {
    const random = new SeededRandom(11);
    firehose = await openFirehose(
      dir,
      [streamConfig(store, 'currency', { processorBuffering: QUICK, bufferingHints: QUICK })],
      {
        deliveryOrder: anyOrderAwsAllows({
          random: () => random.next(),
          maxDelayMs: 50,
          failureRate: 0.4,
          maxRetryDelayMs: 30,
        }),
      },
    );
    for (let batch = 0; batch < 6; batch++)
      await put([batch * 2 + 1, batch * 2 + 2], batch % 2 ? DAY_2 : DAY_1);
    await waitFor(
      'every record',
      async () => (await objectsInWriteOrder()).flatMap((o) => o.ids).length >= 12,
    );
    const ids = (await objectsInWriteOrder()).flatMap((o) => o.ids);
    expect([...new Set(ids)].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(firehose.metrics()[0]!.backlogBytes).toBe(0);
  });
});
