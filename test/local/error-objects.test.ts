/**
 * The error location read back and replayed, on objects the real local Firehose wrote with the real
 * transformation handler.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ERROR_OUTPUT_TYPES,
  errorObjectKey,
  parseErrorDocuments,
  readerFailedDocument,
} from '../../core/error-documents.ts';
import { LAKE_PREFIXES } from '../../core/lake-layout.ts';
import type { DeliveryStreamConfig } from '../../firehose/stream-config.ts';
import { listErrorObjects, replayErrorObjects, transformationFailure } from '../../local/error-objects.ts';
import {
  currencyEvent,
  MemoryObjectStore,
  openFirehose,
  pack,
  salesOrderEvent,
  streamConfig,
  tempDir,
} from '../firehose/firehose-fixtures.ts';

const COMMIT = '2022-11-03T14:20:49.962Z';
const NOW = { sizeInMBs: 1, intervalInSeconds: 0 };

describe('error objects', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: MemoryObjectStore;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    store = new MemoryObjectStore();
  });
  afterEach(() => cleanup());

  async function failThroughFirehose(extra: Partial<DeliveryStreamConfig> = {}): Promise<void> {
    const firehose = await openFirehose(join(dir, 'spool'), [
      streamConfig(store, 'sales_order', { processorBuffering: NOW, bufferingHints: NOW, ...extra }),
      streamConfig(store, 'currency', { processorBuffering: NOW, bufferingHints: NOW, ...extra }),
    ]);
    // A calendar day that does not exist, as raw JSON (the type of a change event does not allow it).
    const badDate = JSON.parse(
      JSON.stringify(salesOrderEvent(1, COMMIT)).replace(
        '"agreed_payment_date":"2022-11-03"',
        '"agreed_payment_date":"2022-11-31"',
      ),
    );
    await firehose.putRecordBatch({
      DeliveryStreamName: 'totesys-sales_order',
      Records: [{ Data: pack([badDate]) }, { Data: pack([salesOrderEvent(2, COMMIT)]) }],
    });
    await firehose.putRecordBatch({
      DeliveryStreamName: 'totesys-currency',
      Records: [
        {
          Data: Buffer.from(
            `${JSON.stringify({ ...currencyEvent(1, 'GBP', COMMIT), table: 'currencies' })}\n`,
          ),
        },
      ],
    });
    await firehose.close();
  }

  it('lists each object with the real reason of each record, not only “returned ProcessingFailed”', async () => {
    await failThroughFirehose();
    const dead = errorObjectKey(LAKE_PREFIXES.errors, 'dim_design', ERROR_OUTPUT_TYPES.reader, 0, 'reader-x');
    const reason = 'design.design_name at LSN 0/1A2B is 2000298 bytes, over the Firehose record limit';
    await store.put(
      dead,
      Buffer.from(
        `${readerFailedDocument({ key: { design_id: 8 }, lsn: '0/1A2B', errorCode: 'Reader.RecordTooLarge', errorMessage: reason, seenMs: 0 }, 1)}\n`,
      ),
    );

    const objects = await listErrorObjects(store);

    expect(objects.map(({ table, type, records }) => ({ table, type, records }))).toEqual([
      { table: 'dim_currency', type: 'processing-failed', records: 1 },
      { table: 'dim_design', type: 'reader-failed', records: 1 },
      { table: 'fact_sales_order', type: 'processing-failed', records: 1 },
    ]);
    expect(objects[0]!.reasons).toEqual([
      { reason: expect.stringMatching(/Unknown source table/), records: 1 },
    ]);
    expect(objects[1]!.reasons).toEqual([{ reason, records: 1 }]);
    expect(objects[2]!.reasons).toEqual([
      { reason: expect.stringMatching(/fact_sales_order, column agreed_payment_date, LSN 5001/), records: 1 },
    ]);
    expect(JSON.stringify(objects)).not.toContain('returned ProcessingFailed');
  });

  it('the pipeline’s local Firehose writes the real reason into each error document itself', async () => {
    await failThroughFirehose({ failureReason: transformationFailure });

    const [key] = store.keys(`${LAKE_PREFIXES.errors}fact_sales_order/`);
    const [document, ...more] = parseErrorDocuments(store.objects.get(key!)!);
    expect(more).toEqual([]);
    expect(document).toMatchObject({
      errorCode: 'Lambda.ProcessingFailedStatus',
      errorMessage: expect.stringMatching(
        /^Lake table fact_sales_order, column agreed_payment_date, LSN 5001: /,
      ),
    });
  });

  it('replays: requests a re-read of the source tables, then moves the objects out of errors/', async () => {
    await failThroughFirehose();
    const objects = await listErrorObjects(store);
    const before = store.keys(LAKE_PREFIXES.errors);
    const requested: (readonly string[])[] = [];

    const tables = await replayErrorObjects(store, objects, async (sourceTables) => {
      // The request is made before any object moves.
      expect(store.keys(LAKE_PREFIXES.errors)).toEqual(before);
      requested.push(sourceTables);
    });

    expect(tables).toEqual(['currency', 'sales_order']);
    expect(requested).toEqual([['currency', 'sales_order']]);
    expect(store.keys(LAKE_PREFIXES.errors)).toEqual([]);
    expect(store.keys(LAKE_PREFIXES.replayedErrors)).toEqual(
      before.map((key) => `errors-replayed/${key.slice('errors/'.length)}`),
    );
    expect(await listErrorObjects(store)).toEqual([]);
  });
});
