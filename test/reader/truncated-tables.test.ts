import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../core/change-event.ts';
import type { ChangeStream } from '../../core/ports/change-stream.ts';
import { pendingResnapshots, requestedTables } from '../../reader/resnapshot-requests.ts';
import { rereadingTruncatedTables } from '../../reader/truncated-tables.ts';
import { MemoryStateStore } from '../../testing/memory-state-store.ts';

const base = { seq: 0, xid: 900, commit_ts: '2026-12-02T05:00:00.000Z' };

describe('rereadingTruncatedTables', () => {
  it('has each truncated table re-read, durably before the batch holding the TRUNCATE is put', async () => {
    // Prepare: a stream that records what was requested at the moment each put arrives.
    const stateStore = new MemoryStateStore();
    const requestedAtPut: string[][] = [];
    const inner: ChangeStream = {
      put: async (events) => {
        requestedAtPut.push(requestedTables(await pendingResnapshots(stateStore)).sort());
        return { eventCount: events.length, recordCount: 1, byteCount: 0, retryCount: 0 };
      },
      close: async () => undefined,
    };
    const stream = rereadingTruncatedTables(inner, stateStore);
    const truncate = (table: 'payment' | 'design'): ChangeEvent =>
      ({ ...base, table, lsn: '500', op: 't', key: {}, row: null }) satisfies ChangeEvent;
    const insert: ChangeEvent = {
      ...base,
      table: 'design',
      lsn: '400',
      op: 'c',
      key: { design_id: 1 },
      row: {},
    };

    // Act
    await stream.put([insert]);
    await stream.put([insert, truncate('payment'), truncate('design')]);

    // Assess: nothing asked for an ordinary batch; both tables asked for before the TRUNCATE's batch went on.
    expect(requestedAtPut).toEqual([[], ['design', 'payment']]);
  });
});
