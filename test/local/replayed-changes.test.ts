import { describe, expect, it } from 'vitest';
import { ReplayedChanges } from '../../local/reconcile/replayed-changes.ts';
import type { ReplicationMessage } from '../../reader/replication-source.ts';

const begin = (commitLsn: bigint): ReplicationMessage => ({
  kind: 'begin',
  commitLsn,
  commitTimeMs: 0,
  xid: 1,
});
const commit = (commitLsn: bigint): ReplicationMessage => ({
  kind: 'commit',
  commitLsn,
  endLsn: commitLsn + 40n,
});
const change = (
  kind: 'insert' | 'update' | 'delete',
  table: string,
  row: Record<string, string | number | boolean | null | undefined> | null,
  oldKey: Record<string, number> | null = null,
): ReplicationMessage => ({ kind, schema: 'public', table, keyColumns: [], row, oldKey });

function replay(cut: bigint, messages: readonly ReplicationMessage[]) {
  const changes = new ReplayedChanges(cut);
  const outcomes = messages.map((m) => changes.accept(m));
  return { changes, outcomes };
}

describe('ReplayedChanges', () => {
  it('keeps the final state of each key: later images merged, TOAST-unchanged columns left to the base row', () => {
    // Prepare
    const messages = [
      begin(100n),
      change('update', 'design', { design_id: 1, design_name: undefined, file_name: 'a.json' }),
      change('update', 'design', { design_id: 1, design_name: undefined, file_location: '/srv' }),
      change('insert', 'design', { design_id: 2, design_name: 'new', file_location: '/x', file_name: 'b' }),
      change('update', 'design', { design_id: 2, design_name: undefined, file_name: 'c' }),
      commit(100n),
    ];

    // Act
    const { changes } = replay(100n, messages);

    // Assess
    expect(changes.changeCount).toBe(4);
    expect(Object.fromEntries(changes.tables.get('design')?.rows ?? [])).toEqual({
      '1': { baseKey: '1', patch: { design_id: 1, file_name: 'a.json', file_location: '/srv' } },
      '2': {
        baseKey: null,
        patch: { design_id: 2, design_name: 'new', file_location: '/x', file_name: 'c' },
      },
    });
  });

  it('deletes, re-inserts, moves a row to a new key and empties a truncated table', () => {
    const { changes } = replay(300n, [
      begin(100n),
      change('delete', 'sales_order', null, { sales_order_id: 5 }),
      change('insert', 'sales_order', { sales_order_id: 5, units_sold: 7 }),
      change('delete', 'payment', null, { payment_id: 9 }),
      change('update', 'design', { design_id: 8, file_name: 'moved' }, { design_id: 3 }),
      commit(100n),
      begin(200n),
      change('insert', 'currency', { currency_id: 4, currency_code: 'CHF' }),
      { kind: 'truncate', tables: [{ schema: 'public', table: 'currency' }] },
      change('insert', 'currency', { currency_id: 5, currency_code: 'JPY' }),
      commit(200n),
    ]);

    const rows = (table: string) => Object.fromEntries(changes.tables.get(table as never)?.rows ?? []);
    expect(rows('sales_order')).toEqual({
      '5': { baseKey: null, patch: { sales_order_id: 5, units_sold: 7 } },
    });
    expect(rows('payment')).toEqual({ '9': { baseKey: null, patch: null } });
    expect(rows('design')).toEqual({
      '3': { baseKey: null, patch: null },
      '8': { baseKey: '3', patch: { design_id: 8, file_name: 'moved' } },
    });
    expect(changes.tables.get('currency')?.truncated).toBe(true);
    expect(rows('currency')).toEqual({
      '5': { baseKey: null, patch: { currency_id: 5, currency_code: 'JPY' } },
    });
  });

  it('replays transactions committed at or below the cut and stops at the first one after it', () => {
    const { changes, outcomes } = replay(200n, [
      begin(200n),
      change('insert', 'design', { design_id: 1 }),
      commit(200n),
      begin(201n),
      change('insert', 'design', { design_id: 2 }),
      commit(201n),
    ]);

    expect(outcomes.slice(0, 4)).toEqual(['more', 'more', 'more', 'past-cut']);
    expect([...(changes.tables.get('design')?.rows.keys() ?? [])]).toEqual(['1']);
  });

  it('ignores tables outside the totesys schema', () => {
    const { changes } = replay(100n, [begin(100n), change('insert', 'audit_log', { id: 1 }), commit(100n)]);

    expect(changes.tables.size).toBe(0);
    expect(changes.changeCount).toBe(0);
  });
});
