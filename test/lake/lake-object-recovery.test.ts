import { describe, expect, it } from 'vitest';
import {
  ERROR_OUTPUT_TYPES,
  PROCESSING_FAILED_MESSAGE,
  processingFailedDocument,
  RECORD_ERROR_CODES,
  rejectedEventDocument,
} from '../../core/error-documents.ts';
import type { SourceTableName } from '../../core/schema/source-tables.ts';
import { LakeObjectRecovery } from '../../lake/lake-object-recovery.ts';
import { MemoryObjectStore } from '../../testing/memory-object-store.ts';
import { insertEvent, SOURCE_ROWS } from '../transform/change-event-fixtures.ts';

const order = (id: number, seq: number) => ({
  ...insertEvent('sales_order', { ...SOURCE_ROWS.sales_order, sales_order_id: id }, seq),
  lsn: '500',
  commit_ts: '2026-11-20T10:00:00.000Z',
});
const short = { table: 'fact_sales_order', dt: '2026-11-20', roundLsn: '600', afterLsn: '400' } as const;
const lines = (...events: unknown[]) => Buffer.from(events.map((e) => `${JSON.stringify(e)}\n`).join(''));

function setUp() {
  const store = new MemoryObjectStore();
  const rereads: (readonly SourceTableName[])[] = [];
  const recovery = new LakeObjectRecovery({
    store,
    root: '/lake',
    requestReread: async (tables) => void rereads.push(tables),
  });
  return { store, rereads, recovery };
}

describe('LakeObjectRecovery.recoverMissing', () => {
  it('counts every change of a packed record Firehose wrote under processing-failed, taking nothing for lost', async () => {
    const { store, rereads, recovery } = setUp();
    const failed = processingFailedDocument(
      {
        data: lines(order(1, 0), order(2, 1), order(3, 2)),
        arrivalMs: 1,
        errorCode: RECORD_ERROR_CODES.processingFailed,
        errorMessage: PROCESSING_FAILED_MESSAGE,
        attemptsMade: 4,
      },
      'arn:lambda',
      2,
    );
    await store.put(
      `errors/fact_sales_order/${ERROR_OUTPUT_TYPES.processing}/2026/11/20/a`,
      Buffer.from(`${failed}\n`),
    );
    expect(await recovery.recoverMissing([{ ...short, expected: 4, found: 1 }])).toBe(0);
    expect(rereads).toEqual([]);
  });

  it('counts the events the transformation set aside under transformer-failed', async () => {
    const { store, rereads, recovery } = setUp();
    const documents = [order(2, 1), order(3, 2)].map((event) =>
      rejectedEventDocument({ data: lines(event), arrivalMs: 1, errorMessage: 'bad' }, 'arn:lambda', 2),
    );
    await store.put(
      `errors/fact_sales_order/${ERROR_OUTPUT_TYPES.transformer}/2026/11/20/b`,
      Buffer.from(`${documents.join('\n')}\n`),
    );
    expect(await recovery.recoverMissing([{ ...short, expected: 3, found: 1 }])).toBe(0);
    // One more change than errors/ and the lake hold together: that one is gone, and its table re-read.
    expect(await recovery.recoverMissing([{ ...short, expected: 4, found: 1 }])).toBe(1);
    expect(rereads).toEqual([['sales_order']]);
  });
});
