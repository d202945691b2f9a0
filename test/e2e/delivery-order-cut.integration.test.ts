/**
 * The consistent cut under the delivery orders AWS allows: a backlog that spans midnight UTC puts changes into
 * two `dt` partitions of one stream, and Firehose may deliver the later partition (holding the watermark)
 * while the earlier one's delivery is still being retried.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../core/change-event.ts';
import type { DeliveryOrder } from '../../firehose/delivery-order.ts';
import { LocalFirehose } from '../../firehose/local-firehose.ts';
import { totesysDeliveryStreams } from '../../firehose/stream-config.ts';
import { handler } from '../../functions/transformer/handler.ts';
import { FsObjectStore } from '../../lake/fs-object-store.ts';
import { FirehoseChangeStream } from '../../reader/firehose-change-stream.ts';
import { WatermarkRounds } from '../../reader/watermark-rounds.ts';
import { MemoryStateStore } from '../../testing/memory-state-store.ts';
import { salesOrderEvent } from '../firehose/firehose-fixtures.ts';
import { BUCKET } from '../loader/lake-fixtures.ts';
import { type LoaderHarness, openLoaderHarness, warehouseRows } from '../loader/loader-harness.ts';
import { waitFor } from '../support/wait-for.ts';

const BEFORE_MIDNIGHT = '2026-01-01T23:59:58.000Z';
const AFTER_MIDNIGHT = '2026-01-02T00:00:01.000Z';
const QUICK = { sizeInMBs: 64, intervalInSeconds: 0.02 } as const;

describe('the cut under Firehose delivery order', () => {
  let harness: LoaderHarness;
  let firehose: LocalFirehose;
  let store: FsObjectStore;
  /** While true, every delivery of the sales_order stream's first-day partition fails. */
  let holdFirstDay: boolean;

  beforeEach(async () => {
    harness = await openLoaderHarness();
    store = new FsObjectStore(harness.lakeDir, BUCKET);
    holdFirstDay = true;
    const order: DeliveryOrder = {
      delayMs: () => 0,
      failDelivery: (delivery) =>
        holdFirstDay &&
        delivery.streamName === 'totesys-sales_order' &&
        delivery.partitionKeys['dt'] === '2026-01-01',
      retryDelayMs: () => 20,
    };
    firehose = await LocalFirehose.open({
      spoolDir: `${harness.lakeDir}/spool`,
      streams: totesysDeliveryStreams({
        store,
        bucket: BUCKET,
        transform: handler,
        processorBuffering: QUICK,
        bufferingHints: QUICK,
      }),
      deliveryOrder: order,
      onDeliveryError: () => undefined,
    });
  });

  afterEach(async () => {
    await firehose.close({ deliver: false });
    await harness.close();
  });

  const order = (id: number, lsn: number, commitTs: string): ChangeEvent => ({
    ...salesOrderEvent(id, commitTs),
    lsn: String(lsn),
    seq: 0,
  });

  it('never moves the cut past a change whose partition is delivered after the watermark', async () => {
    // Prepare: a backlog caught up after an outage: one order committed before midnight, one after, then the
    // reader's watermark round, emitted after midnight.
    const stream = new WatermarkRounds({
      stream: new FirehoseChangeStream({ putter: firehose }),
      stateStore: new MemoryStateStore(),
      roundLog: harness.roundLog,
      now: () => new Date(AFTER_MIDNIGHT),
    });
    await stream.start();
    await stream.put([order(1, 100, BEFORE_MIDNIGHT), order(2, 200, AFTER_MIDNIGHT)]);
    await stream.closeRound(300n);
    await waitFor(
      'the second day of sales orders and its watermark',
      async () => (await store.list('fact_sales_order/dt=2026-01-02/')).length > 0,
    );

    // Act: the loader runs while the first day's partition is still being retried, then again after it lands.
    const whileHeld = await harness.load();
    holdFirstDay = false;
    await waitFor(
      'the retried partition',
      async () => (await store.list('fact_sales_order/dt=2026-01-01/')).length > 0,
    );
    await harness.load();

    // Assess: the cut never passed order 1 before it was in the lake, and both orders reach the warehouse.
    expect(whileHeld.status === 'loaded' ? BigInt(whileHeld.toCut.lsn) : 0n).toBeLessThan(100n);
    const loaded = await warehouseRows(
      harness.database.url,
      'SELECT sales_order_id FROM fact_sales_order ORDER BY sales_order_id',
    );
    expect(loaded.map((row) => row['sales_order_id'])).toEqual([1, 2]);
  });
});
