import { afterEach, describe, expect, it } from 'vitest';
import { SetBasedUpdates } from '../../bench/set-based-updates.ts';
import { seedSource } from '../../source/seed/seed-source.ts';
import { createSourceDatabase, type TestDatabase, withClient } from '../support/test-databases.ts';

let database: TestDatabase | undefined;
afterEach(async () => {
  await database?.drop();
  database = undefined;
});

/** Each row's version count so far: units_sold of orders grows by one per update (the driver's statement). */
async function orderUnits(url: string): Promise<Map<number, number>> {
  return withClient(url, async (client) => {
    const result = await client.query<{ id: number; units: number }>(
      'SELECT sales_order_id AS id, units_sold AS units FROM sales_order',
    );
    return new Map(result.rows.map((row) => [row.id, row.units]));
  });
}

describe('SetBasedUpdates (the benchmarks’ driver)', () => {
  it('updates exactly the rows asked of each table in every transaction, walking round past the highest id', async () => {
    database = await createSourceDatabase('setupd');
    await withClient(database.url, (client) => seedSource(client, { scale: 0.02, seed: 3 }));
    const before = await orderUnits(database.url);
    const orders = before.size;
    // A window of 60% of the table: the second and later transactions run past the highest id.
    const perTable = Math.ceil(orders * 0.6);
    const updates = await SetBasedUpdates.open(database.url);
    const counts: number[] = [];
    try {
      for (let t = 0; t < 5; t++) counts.push(await updates.commit(perTable));
    } finally {
      await updates.close();
    }
    expect(counts).toEqual(Array(5).fill(2 * perTable));
    // 5 × 60% of the orders in id order round the list: every order updated 3 times, none more than 3.
    const after = await orderUnits(database.url);
    const times = [...after].map(([id, units]) => units - (before.get(id) ?? 0));
    expect(times.reduce((sum, n) => sum + n, 0)).toBe(5 * perTable);
    expect(Math.max(...times) - Math.min(...times)).toBeLessThanOrEqual(1);
  });

  it('caps a transaction at the smaller table, since a statement updates a row once', async () => {
    database = await createSourceDatabase('setupd');
    await withClient(database.url, (client) => seedSource(client, { scale: 0.02, seed: 3 }));
    const updates = await SetBasedUpdates.open(database.url);
    try {
      expect(await updates.commit(updates.maxPerTable + 10)).toBe(2 * updates.maxPerTable);
    } finally {
      await updates.close();
    }
  });
});
