import { describe, expect, it } from 'vitest';
import { DIM_DATE_COLUMNS, dimDateRow } from '../../loader/dim-date.ts';
import { createTestDatabase, withClient } from '../support/test-databases.ts';

describe('dimDateRow', () => {
  it('agrees with PostgreSQL on every day from 2020 to 2030 (ISO day of week, full unpadded names, quarter)', async () => {
    const database = await createTestDatabase('dimdate');
    try {
      const expected = await withClient(database.url, (client) =>
        client.query({
          rowMode: 'array',
          text: `SELECT d::date::text, extract(year FROM d)::int::text, extract(month FROM d)::int::text,
                   extract(day FROM d)::int::text, extract(isodow FROM d)::int::text, to_char(d, 'FMDay'),
                   to_char(d, 'FMMonth'), extract(quarter FROM d)::int::text
                 FROM generate_series('2020-01-01'::date, '2030-12-31'::date, interval '1 day') AS d`,
        }),
      );
      expect(expected.rows.length).toBe(4018);
      for (const row of expected.rows as string[][]) expect(dimDateRow(row[0] ?? '')).toEqual(row);
    } finally {
      await database.drop();
    }
    expect(DIM_DATE_COLUMNS).toHaveLength(8);
  });

  it('refuses text that is not a YYYY-MM-DD date', () => {
    expect(() => dimDateRow('03/11/2022')).toThrow(RangeError);
  });
});
