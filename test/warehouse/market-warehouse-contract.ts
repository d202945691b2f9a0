/**
 * @module
 * The MarketWarehouse contract (core/ports/market-warehouse.ts) as a test suite every implementation runs.
 */
import { describe, expect, it } from 'vitest';
import type { MarketWarehouse } from '../../core/ports/market-warehouse.ts';

/** One implementation and a way to read its fx rows. */
export interface MarketWarehouseUnderTest {
  readonly warehouse: MarketWarehouse;
  /** Every `fx_rate` row as `[rate_date, quote_currency, rate, fetched_at]` text, in key order. */
  fxRows(): Promise<string[][]>;
  dispose(): Promise<void>;
}

const COLUMNS = ['rate_date', 'base_currency', 'quote_currency', 'rate', 'source', 'fetched_at'];
const row = (day: string, quote: string, rate: string, fetchedAt: string) => [
  day,
  'GBP',
  quote,
  rate,
  'frankfurter',
  fetchedAt,
];

/** Runs the contract against fresh implementations from `create`. */
export function marketWarehouseContract(name: string, create: () => Promise<MarketWarehouseUnderTest>): void {
  describe(`MarketWarehouse contract: ${name}`, () => {
    it('merges by key: new keys insert, a repeat writes nothing, the horizon is the newest fetch', async () => {
      const under = await create();
      try {
        const { warehouse } = under;
        expect(await warehouse.newestFetch('fx_rate')).toBeNull();
        const rows = [
          row('2026-11-26', 'USD', '1.26871', '2026-11-30 16:00:00.123'),
          row('2026-11-27', 'USD', '1.2695', '2026-11-30 16:00:00.123'),
        ];
        expect(await warehouse.mergeObservations({ table: 'fx_rate', columns: COLUMNS, rows })).toBe(2);
        expect(await warehouse.mergeObservations({ table: 'fx_rate', columns: COLUMNS, rows })).toBe(0);
        expect(await warehouse.newestFetch('fx_rate')).toBe('2026-11-30 16:00:00.123');
        expect(await under.fxRows()).toEqual([
          ['2026-11-26', 'USD', '1.26871000', '2026-11-30 16:00:00.123'],
          ['2026-11-27', 'USD', '1.26950000', '2026-11-30 16:00:00.123'],
        ]);
      } finally {
        await under.dispose();
      }
    });

    it('keeps the newest fetch of a key whatever the order the fetches arrive in', async () => {
      const under = await create();
      try {
        const { warehouse } = under;
        const newer = row('2026-11-27', 'USD', '1.2701', '2026-11-30 17:00:00.000');
        const older = row('2026-11-27', 'USD', '1.2695', '2026-11-30 16:00:00.000');
        expect(await warehouse.mergeObservations({ table: 'fx_rate', columns: COLUMNS, rows: [newer] })).toBe(
          1,
        );
        expect(await warehouse.mergeObservations({ table: 'fx_rate', columns: COLUMNS, rows: [older] })).toBe(
          0,
        );
        expect(await under.fxRows()).toEqual([
          ['2026-11-27', 'USD', '1.27010000', '2026-11-30 17:00:00.000'],
        ]);
        const newest = row('2026-11-27', 'USD', '1.2710', '2026-11-30 18:00:00.000');
        expect(
          await warehouse.mergeObservations({ table: 'fx_rate', columns: COLUMNS, rows: [newest] }),
        ).toBe(1);
        expect(await under.fxRows()).toEqual([
          ['2026-11-27', 'USD', '1.27100000', '2026-11-30 18:00:00.000'],
        ]);
      } finally {
        await under.dispose();
      }
    });

    it('changes nothing when a merge fails part-way', async () => {
      const under = await create();
      try {
        const good = row('2026-11-26', 'USD', '1.26871', '2026-11-30 16:00:00.123');
        const bad = row('2026-11-27', 'USD', 'not a number', '2026-11-30 16:00:00.123');
        await expect(
          under.warehouse.mergeObservations({ table: 'fx_rate', columns: COLUMNS, rows: [good, bad] }),
        ).rejects.toThrow();
        expect(await under.fxRows()).toEqual([]);
      } finally {
        await under.dispose();
      }
    });
  });
}
