/**
 * @module
 * The ObjectStore contract (core/ports/object-store.ts) as a test suite every adapter runs.
 */
import { describe, expect, it } from 'vitest';
import type { ObjectStore } from '../../core/ports/object-store.ts';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Runs the contract against stores from `fresh`, which returns an empty store each call. */
export function describeObjectStoreContract(name: string, fresh: () => Promise<ObjectStore>): void {
  describe(`${name} (ObjectStore contract)`, () => {
    it('returns undefined for a key never put', async () => {
      const store = await fresh();
      expect(await store.get('fact_payment/dt=2022-11-03/missing.parquet')).toBeUndefined();
    });

    it('gives back exactly the bytes put, binary and empty bodies included', async () => {
      const store = await fresh();
      const binary = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256);
      await store.put('fact_payment/dt=2022-11-03/a b=c.parquet', binary);
      await store.put('empty', new Uint8Array());
      expect(await store.get('fact_payment/dt=2022-11-03/a b=c.parquet')).toEqual(binary);
      expect(await store.get('empty')).toEqual(new Uint8Array());
    });

    it('replaces an object whole when the key is put again', async () => {
      const store = await fresh();
      await store.put('dim_design/x.json', bytes('a much longer first version'));
      await store.put('dim_design/x.json', bytes('short'));
      expect(new TextDecoder().decode(await store.get('dim_design/x.json'))).toBe('short');
    });

    it('lists the keys under a prefix, sorted, with their sizes, including partial segments (listKeys alike)', async () => {
      const store = await fresh();
      for (const key of [
        'fact_payment/dt=2022-11-07/b.parquet',
        'fact_payment/dt=2022-11-03/z.parquet',
        'fact_payment/dt=2022-11-03/a.parquet',
        'fact_payment_extra/dt=2022-11-03/a.parquet',
        'errors/fact_payment/processing-failed/2022/11/03/e',
      ]) {
        await store.put(key, bytes(key));
      }
      const listed = await store.list('fact_payment/');
      expect(listed.map((o) => o.key)).toEqual([
        'fact_payment/dt=2022-11-03/a.parquet',
        'fact_payment/dt=2022-11-03/z.parquet',
        'fact_payment/dt=2022-11-07/b.parquet',
      ]);
      expect(listed[0]?.size).toBe('fact_payment/dt=2022-11-03/a.parquet'.length);
      expect(listed[0]?.modifiedAt).toBeGreaterThan(Date.UTC(2020, 0, 1));
      expect((await store.list('fact_payment')).map((o) => o.key)).toHaveLength(4);
      expect((await store.list('fact_payment/dt=2022-11-0')).map((o) => o.key)).toHaveLength(3);
      expect((await store.list('')).map((o) => o.key)[0]).toBe(
        'errors/fact_payment/processing-failed/2022/11/03/e',
      );
      expect(await store.list('nothing/')).toEqual([]);
      // listKeys: the same keys in the same order, for every prefix shape.
      for (const prefix of ['fact_payment/', 'fact_payment', 'fact_payment/dt=2022-11-0', '', 'nothing/'])
        expect(await store.listKeys(prefix)).toEqual((await store.list(prefix)).map((o) => o.key));
    });

    it('lists the folders directly below a prefix, sorted, without listing their objects', async () => {
      const store = await fresh();
      for (const key of [
        'fact_payment/dt=2022-11-07/b.parquet',
        'fact_payment/dt=2022-11-03/z.parquet',
        'fact_payment/dt=2022-11-03/a.parquet',
        'fact_payment/top-level.json',
        'fact_payment_extra/dt=2022-11-01/a.parquet',
      ]) {
        await store.put(key, bytes(key));
      }
      expect(await store.listPrefixes('fact_payment/')).toEqual([
        'fact_payment/dt=2022-11-03/',
        'fact_payment/dt=2022-11-07/',
      ]);
      expect(await store.listPrefixes('fact_payment/dt=2022-11-0')).toEqual([
        'fact_payment/dt=2022-11-03/',
        'fact_payment/dt=2022-11-07/',
      ]);
      expect(await store.listPrefixes('')).toEqual(['fact_payment/', 'fact_payment_extra/']);
      expect(await store.listPrefixes('nothing/')).toEqual([]);
      // A folder whose last object was deleted is gone.
      await store.delete('fact_payment/dt=2022-11-07/b.parquet');
      expect(await store.listPrefixes('fact_payment/')).toEqual(['fact_payment/dt=2022-11-03/']);
    });

    it('lists only the folders sorting after startAfter, as S3 ListObjectsV2 StartAfter does', async () => {
      const store = await fresh();
      for (const key of [
        'fact_payment/dt=2022-11-01/a.parquet',
        'fact_payment/dt=2022-11-03/a.parquet',
        'fact_payment/dt=2022-11-03/b.parquet',
        'fact_payment/dt=2022-11-05/a.parquet',
        'fact_payment_extra/dt=2022-11-09/a.parquet',
      ]) {
        await store.put(key, bytes(key));
      }
      const listedAfter = (startAfter: string) => store.listPrefixes('fact_payment/dt=', { startAfter });
      // A day's partition prefix without its "/" sorts before all its keys: the listing starts at that day.
      expect(await listedAfter('fact_payment/dt=2022-11-03')).toEqual([
        'fact_payment/dt=2022-11-03/',
        'fact_payment/dt=2022-11-05/',
      ]);
      expect(await listedAfter('fact_payment/dt=2022-11-02')).toEqual([
        'fact_payment/dt=2022-11-03/',
        'fact_payment/dt=2022-11-05/',
      ]);
      expect(await listedAfter('fact_payment/dt=2022-11-06')).toEqual([]);
      expect(await listedAfter('')).toHaveLength(3);
      expect(await store.listPrefixes('', { startAfter: 'fact_payment/dt=2022-11-07' })).toEqual([
        'fact_payment_extra/',
      ]);
    });

    it('deletes an object, and deleting a missing key is not an error', async () => {
      const store = await fresh();
      await store.put('dim_currency/a', bytes('a'));
      await store.delete('dim_currency/a');
      await store.delete('dim_currency/never');
      expect(await store.get('dim_currency/a')).toBeUndefined();
      expect(await store.list('dim_currency/')).toEqual([]);
    });
  });
}
