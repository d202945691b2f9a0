import { describe, expect, it } from 'vitest';
import { SOURCE_TABLE_NAMES } from '../../core/schema/source-tables.ts';
import {
  HISTORY_LENGTH,
  IllegalTableTransitionError,
  moveTable,
  pendingRecord,
  type TableRecord,
} from '../../reader/table-state.ts';
import { TABLE_STATES_KEY, TableStates, TableStatesDocumentError } from '../../reader/table-states.ts';
import { ManualClock } from '../../testing/manual-clock.ts';
import { MemoryStateStore } from '../../testing/memory-state-store.ts';

const at = new Date('2022-11-03T14:20:49.962Z');

describe('a table state', () => {
  it('moves pending → copying → copied → re-reading → copied, keeping when and what it was, newest first', () => {
    let record: TableRecord = pendingRecord();
    record = moveTable('currency', record, { kind: 'copying', point: '100' }, at);
    record = moveTable(
      'currency',
      record,
      { kind: 'copied', lsn: '100', rows: 3 },
      new Date(at.getTime() + 1),
    );
    record = moveTable(
      'currency',
      record,
      { kind: 're-reading', point: '200', last: { lsn: '100', rows: 3 } },
      new Date(at.getTime() + 2),
    );
    record = moveTable(
      'currency',
      record,
      { kind: 'copied', lsn: '200', rows: 4 },
      new Date(at.getTime() + 3),
    );

    expect(record.state).toEqual({ kind: 'copied', lsn: '200', rows: 4 });
    expect(record.since).toBe('2022-11-03T14:20:49.965Z');
    expect(record.history.map((entry) => [entry.state.kind, entry.since])).toEqual([
      ['re-reading', '2022-11-03T14:20:49.964Z'],
      ['copied', '2022-11-03T14:20:49.963Z'],
      ['copying', '2022-11-03T14:20:49.962Z'],
      ['pending', null],
    ]);
  });

  it('keeps at most the last few states in its history', () => {
    let record: TableRecord = pendingRecord();
    for (let i = 0; i < 20; i++) {
      record = moveTable('currency', record, { kind: 'copying', point: String(i) }, at);
      record = moveTable('currency', record, { kind: 'pending' }, at);
    }
    expect(record.history).toHaveLength(HISTORY_LENGTH);
  });

  it.each([
    ['pending', pendingRecord(), { kind: 'copied', lsn: '1', rows: 0 }],
    [
      'copied',
      { ...pendingRecord(), state: { kind: 'copied', lsn: '1', rows: 0 } },
      { kind: 'copying', point: '2' },
    ],
    [
      're-reading',
      { ...pendingRecord(), state: { kind: 're-reading', point: '2', last: { lsn: '1', rows: 0 } } },
      { kind: 'pending' },
    ],
  ] as const)(
    'refuses a move the machine does not allow (from %s), naming the table and the moves it allows',
    (_, record, next) => {
      expect(() => moveTable('payment', record as TableRecord, next, at)).toThrow(
        IllegalTableTransitionError,
      );
      expect(() => moveTable('payment', record as TableRecord, next, at)).toThrow(
        /^Table payment cannot go from/,
      );
    },
  );
});

describe('the persisted table states', () => {
  it('stamps each move with the injected clock and persists it before the move resolves', async () => {
    const store = new MemoryStateStore();
    const clock = new ManualClock(Date.parse('2026-01-02T03:04:05.006Z'));
    const states = await TableStates.open(store, 'totesys_stream', clock);

    await states.move('currency', { kind: 'copying', point: '100' });
    await clock.advance(1500);
    await states.move('currency', { kind: 'copied', lsn: '100', rows: 3 });

    const reopened = await TableStates.open(store, 'totesys_stream', clock);
    expect(reopened.record('currency')).toMatchObject({
      state: { kind: 'copied', lsn: '100', rows: 3 },
      since: '2026-01-02T03:04:06.506Z',
      history: [
        { state: { kind: 'copying', point: '100' }, since: '2026-01-02T03:04:05.006Z' },
        { state: { kind: 'pending' } },
      ],
    });
    expect(reopened.uncopied()).toEqual(SOURCE_TABLE_NAMES.filter((table) => table !== 'currency'));
  });

  it('understands a snapshot-progress document of the old shape, and rewrites it in the new shape on the first move', async () => {
    const store = new MemoryStateStore();
    const legacy = {
      slot: 'totesys_stream',
      consistentPoint: '24012345',
      tables: { address: { lsn: '24012345', rows: 30 }, currency: { lsn: '24012345', rows: 3 } },
    };
    await store.put(TABLE_STATES_KEY, legacy);

    const states = await TableStates.open(store, 'totesys_stream', new ManualClock());

    expect(states.consistentPoint).toBe('24012345');
    expect(states.record('address')).toEqual({
      state: { kind: 'copied', lsn: '24012345', rows: 30 },
      since: null,
      history: [],
    });
    expect(states.state('currency')).toEqual({ kind: 'copied', lsn: '24012345', rows: 3 });
    expect(states.uncopied()).toEqual(SOURCE_TABLE_NAMES.filter((t) => t !== 'address' && t !== 'currency'));
    expect(await store.get(TABLE_STATES_KEY)).toEqual(legacy);

    await states.move('department', { kind: 'copying', point: '24019999' });

    expect(await store.get(TABLE_STATES_KEY)).toMatchObject({
      version: 2,
      slot: 'totesys_stream',
      consistentPoint: '24012345',
      tables: {
        address: { state: { kind: 'copied', lsn: '24012345', rows: 30 } },
        department: { state: { kind: 'copying', point: '24019999' } },
      },
    });
  });

  it('puts a table a stopped run left mid-copy back where the copy started', async () => {
    const store = new MemoryStateStore();
    const clock = new ManualClock();
    const first = await TableStates.open(store, 'totesys_stream', clock);
    await first.move('currency', { kind: 'copying', point: '100' });
    await first.move('department', { kind: 'copying', point: '100' });
    await first.move('department', { kind: 'copied', lsn: '100', rows: 7 });
    await first.move('department', { kind: 're-reading', point: '300', last: { lsn: '100', rows: 7 } });

    const second = await TableStates.open(store, 'totesys_stream', clock);

    expect(second.state('currency')).toEqual({ kind: 'pending' });
    expect(second.state('department')).toEqual({ kind: 'copied', lsn: '100', rows: 7 });
  });

  it('counts copies made for another slot as none', async () => {
    const store = new MemoryStateStore();
    const old = await TableStates.open(store, 'old_slot', new ManualClock());
    await old.move('currency', { kind: 'copying', point: '100' });
    await old.move('currency', { kind: 'copied', lsn: '100', rows: 3 });

    const states = await TableStates.open(store, 'totesys_stream', new ManualClock());

    expect(states.uncopied()).toEqual([...SOURCE_TABLE_NAMES]);
  });

  it('refuses a document it cannot read with an error naming the key and how to start over', async () => {
    const store = new MemoryStateStore();
    await store.put(TABLE_STATES_KEY, { slot: 'totesys_stream', tables: 'garbled' } as never);

    const opening = TableStates.open(store, 'totesys_stream', new ManualClock());

    await expect(opening).rejects.toThrow(TableStatesDocumentError);
    await expect(opening).rejects.toThrow(/reader\/snapshot.*Delete the document to copy every table again/s);
  });
});
