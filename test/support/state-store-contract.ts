/**
 * @module
 * The StateStore contract (core/ports/state-store.ts) as a test suite every adapter runs.
 */
import { describe, expect, it } from 'vitest';
import { type StateStore, stateKey } from '../../core/ports/state-store.ts';

/** A fresh, empty store, and a way to open the same storage again as a restarted process would. */
export interface StateStoreUnderTest {
  readonly store: StateStore;
  reopen(): StateStore;
}

/** Runs the contract against stores from `fresh`, which returns an empty store each call. */
export function describeStateStoreContract(name: string, fresh: () => Promise<StateStoreUnderTest>): void {
  describe(`${name} (StateStore contract)`, () => {
    const snapshot = stateKey<{ lsn: string; tables: Record<string, number> }>('reader/snapshot');

    it('returns undefined for a document never put', async () => {
      const { store } = await fresh();
      expect(await store.get(stateKey('reader/never'))).toBeUndefined();
    });

    it('gives back what was put, also after a restart, and not the caller’s later mutations', async () => {
      const { store, reopen } = await fresh();
      const value = { lsn: '18446744073709551615', tables: { staff: 3 } };
      await store.put(snapshot, value);
      value.tables.staff = 99;

      expect(await store.get(snapshot)).toEqual({ lsn: '18446744073709551615', tables: { staff: 3 } });
      expect(await reopen().get(snapshot)).toEqual({ lsn: '18446744073709551615', tables: { staff: 3 } });
    });

    it('replaces a document whole on a second put (last writer wins)', async () => {
      const { store } = await fresh();
      const position = stateKey<{ lsn: string; extra?: boolean }>('reader/position');
      await store.put(position, { lsn: '1', extra: true });
      await store.put(position, { lsn: '2' });
      expect(await store.get(position)).toEqual({ lsn: '2' });
    });

    it('forgets a deleted document, and deleting a missing one is not an error', async () => {
      const { store } = await fresh();
      const gone = stateKey<number>('reader/gone');
      await store.put(gone, 1);
      await store.delete(gone);
      expect(await store.get(gone)).toBeUndefined();
      await expect(store.delete(gone)).resolves.toBeUndefined();
    });

    it('lists the documents under a prefix, nested ones included, sorted, and nothing beside it', async () => {
      const { store } = await fresh();
      for (const name of ['requests/b', 'requests/a', 'requests/deeper/c', 'requests-other/x', 'requests']) {
        await store.put(stateKey<string>(name), name);
      }
      await store.delete(stateKey('requests/b'));

      expect(await store.list('requests')).toEqual(['requests/a', 'requests/deeper/c']);
      expect(await store.list('nothing-here')).toEqual([]);
    });

    it('refuses names that could escape the store', async () => {
      const { store } = await fresh();
      await expect(store.put(stateKey('../outside'), 1)).rejects.toThrow(/not a short slash-separated name/);
      await expect(store.get(stateKey('/absolute'))).rejects.toThrow(/not a short slash-separated name/);
      await expect(store.list('a/../..')).rejects.toThrow(/not a short slash-separated name/);
    });
  });
}
