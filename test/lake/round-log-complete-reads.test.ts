import { describe, expect, it } from 'vitest';
import type { CompleteRead } from '../../core/ports/round-log.ts';
import { ObjectStoreRoundLog } from '../../lake/object-store-round-log.ts';
import { MemoryObjectStore } from '../../testing/memory-object-store.ts';

const read = (table: CompleteRead['table'], lsn: number): CompleteRead => ({
  table,
  lsn: String(lsn),
  commitTs: '2024-03-02T08:00:00.250Z',
  rows: 3,
});

describe('the round log over an ObjectStore, complete reads', () => {
  it('returns the reads above the LSN asked for in LSN order, one per read recorded twice, and prunes them', async () => {
    const log = new ObjectStoreRoundLog(new MemoryObjectStore());
    await log.recordCompleteRead(read('fact_payment', 900));
    await log.recordCompleteRead(read('fact_sales_order', 150));
    await log.recordCompleteRead(read('dim_staff', 150));
    await log.recordCompleteRead(read('fact_payment', 900));

    expect((await log.read()).completeReads).toEqual([
      read('dim_staff', 150),
      read('fact_sales_order', 150),
      read('fact_payment', 900),
    ]);
    expect((await log.read(150n)).completeReads).toEqual([read('fact_payment', 900)]);
    await log.pruneThrough(150n);
    expect((await log.read()).completeReads).toEqual([read('fact_payment', 900)]);
  });
});
