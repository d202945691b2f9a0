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
import { currencyEvent, salesOrderEvent } from '../firehose/firehose-fixtures.ts';
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
  /** While set, every delivery of that stream's partition (any partition when `dt` is absent) fails. */
  let held: { readonly streamName: string; readonly dt?: string } | undefined;

  beforeEach(async () => {
    harness = await openLoaderHarness();
    store = new FsObjectStore(harness.lakeDir, BUCKET);
    held = undefined;
    const order: DeliveryOrder = {
      delayMs: () => 0,
      failDelivery: (delivery) =>
        held !== undefined &&
        delivery.streamName === held.streamName &&
        (held.dt === undefined || delivery.partitionKeys['dt'] === held.dt),
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

  const openRounds = async () => {
    const stream = new WatermarkRounds({
      stream: new FirehoseChangeStream({ putter: firehose }),
      stateStore: new MemoryStateStore(),
      roundLog: harness.roundLog,
      now: () => new Date(AFTER_MIDNIGHT),
    });
    await stream.start();
    return stream;
  };

  it('never moves the cut past a change whose partition is delivered after the watermark', async () => {
    // Prepare: a backlog caught up after an outage: one order committed before midnight, one after, then the
    // reader's watermark round, emitted after midnight; the first day's partition fails until released.
    held = { streamName: 'totesys-sales_order', dt: '2026-01-01' };
    const stream = await openRounds();
    await stream.put([order(1, 100, BEFORE_MIDNIGHT), order(2, 200, AFTER_MIDNIGHT)]);
    await stream.closeRound(300n);
    await waitFor(
      'the second day of sales orders and its watermark',
      async () => (await store.list('fact_sales_order/dt=2026-01-02/')).length > 0,
    );

    // Act: the loader runs while the first day's partition is still being retried, then again after it lands.
    const whileHeld = await harness.load();
    held = undefined;
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

  it('never moves the cut past a change of a stream whose deliveries are all still being retried', async () => {
    // Prepare: a currency and an order of the same day; the currency stream's deliveries fail until released,
    // while the order's stream delivers its change and the round's watermark.
    held = { streamName: 'totesys-currency' };
    const stream = await openRounds();
    await stream.put([order(1, 100, AFTER_MIDNIGHT), { ...currencyEvent(3, 'GBP', AFTER_MIDNIGHT, 150) }]);
    await stream.closeRound(300n);
    await waitFor(
      'the order and its watermark',
      async () => (await store.list('fact_sales_order/dt=2026-01-02/')).length > 0,
    );

    // Act: a load while the currency stream is held, then one after its retried delivery landed.
    const whileHeld = await harness.load();
    held = undefined;
    await waitFor(
      'the retried currency stream',
      async () => (await store.list('dim_currency/dt=2026-01-02/')).length > 0,
    );
    const after = await harness.load();

    // Assess: no cut while the currency was missing; then the cut covers both and the currency is loaded.
    expect(whileHeld.status).toBe('blocked');
    expect(after.status === 'loaded' ? after.toCut.lsn : after.status).toBe('300');
    const currencies = await warehouseRows(harness.database.url, 'SELECT currency_code FROM dim_currency');
    expect(currencies.map((row) => row['currency_code'])).toEqual(['GBP']);
  });
});
