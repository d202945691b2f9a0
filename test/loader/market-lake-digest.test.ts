import { describe, expect, it } from 'vitest';
import { marketLakeDigest } from '../../loader/market-merge.ts';
import { MemoryObjectStore } from '../../testing/memory-object-store.ts';

const body = new Uint8Array([1]);

describe('marketLakeDigest', () => {
  it('changes when a market object comes or goes, and only then', async () => {
    const store = new MemoryObjectStore();
    const empty = await marketLakeDigest(store);
    await store.put('fx_rate/dt=2026-12-01/a.parquet', body);
    const one = await marketLakeDigest(store);
    expect(one).not.toBe(empty);
    // Star tables' objects (a change every second) leave it as it was: the merge is not run for them.
    await store.put('fact_sales_order/dt=2026-12-01/b.parquet', body);
    expect(await marketLakeDigest(store)).toBe(one);
    await store.put('economic_observation/dt=2026-12-01/c.parquet', body);
    const two = await marketLakeDigest(store);
    expect(two).not.toBe(one);
    // Compaction replacing an object by another changes it too.
    await store.put('fx_rate/dt=2026-12-01/d.parquet', body);
    await store.delete('fx_rate/dt=2026-12-01/a.parquet');
    expect(await marketLakeDigest(store)).not.toBe(two);
  });
});

describe('marketLakeDigest over a store that lists keys alone', () => {
  it('reads the keys only, never the sizes and times of a full listing', async () => {
    // Prepare: a store whose full listing is refused.
    const store = new MemoryObjectStore();
    await store.put('fx_rate/dt=2026-12-01/a.parquet', body);
    await store.put('market_price/dt=2026-12-01/b.parquet', body);
    const before = await marketLakeDigest(store);
    store.list = async () => {
      throw new Error('a full listing was asked for');
    };

    // Act and assess: the same digest, from the keys alone.
    expect(await marketLakeDigest(store)).toBe(before);
  });
});
