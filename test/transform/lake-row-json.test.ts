import { describe, expect, it } from 'vitest';
import type { ChangeEvent, RowImage, SourceValue } from '../../core/change-event.ts';
import { SOURCE_TABLE_NAMES, SOURCE_TABLES } from '../../core/schema/source-tables.ts';
import { lakeRowJson } from '../../transform/lake-row-json.ts';
import { mapChangeEvent } from '../../transform/lake-row-mapping.ts';
import { RecordRejectedError } from '../../transform/record-rejected-error.ts';
import { insertEvent, SOURCE_ROWS } from './change-event-fixtures.ts';

/** Canonical and non-canonical values of every JSON kind the fast paths could mistake. */
const VARIANTS: readonly SourceValue[] = [
  null,
  0,
  -0,
  5,
  -7,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31),
  1.5,
  2 ** 53,
  true,
  false,
  2.43,
  '',
  'abc',
  '"quoted"\n\u2028é',
  '0',
  '-0',
  '007',
  '+5',
  '123456789012345678',
  '-123456789012345678',
  '9223372036854775807',
  '9223372036854775808',
  '2.43',
  '2.4',
  '-0.00',
  '0.00',
  '-0.05',
  '00.10',
  '12345678.90',
  '123456789.00',
  '1e2',
  'true',
  '2022-11-03',
  '2022-02-29',
  '2024-02-29',
  '2022-11-03 14:20:52.18',
  'GBP',
  'XXX',
];

/** The JSON text, or the refusal's message and context: the two functions must agree on both. */
function outcome(map: () => string): unknown {
  try {
    return map();
  } catch (error) {
    if (!(error instanceof RecordRejectedError)) throw error;
    return { message: error.message, context: error.context };
  }
}

function expectSame(event: ChangeEvent): void {
  expect(outcome(() => lakeRowJson(event))).toEqual(outcome(() => JSON.stringify(mapChangeEvent(event))));
}

describe('lakeRowJson', () => {
  it('writes JSON.stringify(mapChangeEvent(event)) for every table, column and kind of value', () => {
    for (const table of SOURCE_TABLE_NAMES) {
      for (const column of SOURCE_TABLES[table].columns) {
        for (const value of VARIANTS) {
          const row: RowImage = { ...SOURCE_ROWS[table], [column.name]: value };
          expectSame(insertEvent(table, row));
          expectSame({ ...insertEvent(table, row), op: 'd', key: row, row: null });
        }
      }
    }
  });

  it('agrees on updates with unchanged columns, truncates, watermarks and metadata values', () => {
    for (const table of SOURCE_TABLE_NAMES) {
      const columns = SOURCE_TABLES[table].columns.map((c) => c.name);
      expectSame({ ...insertEvent(table), op: 'u', unchanged: columns.slice(1, 3) });
      expectSame({ ...insertEvent(table), op: 'u', unchanged: [] });
      expectSame({ ...insertEvent(table), op: 't', key: {}, row: null });
      expectSame({ ...insertEvent(table), op: 'w', key: {}, row: null, xid: null });
      for (const lsn of ['0', '007', '18446744073709551615', '9223372036854775807']) {
        expectSame({ ...insertEvent(table), lsn });
      }
      for (const seq of [0, 2 ** 31, 7]) expectSame({ ...insertEvent(table), seq });
      expectSame({ ...insertEvent(table), xid: 2 ** 40 });
      expectSame({ ...insertEvent(table), commit_ts: '2022-11-03T23:59:59.9Z' });
    }
  });

  it('refuses a row that lacks a source column with the same message as mapChangeEvent', () => {
    const { sales_order_id: _, ...row } = SOURCE_ROWS.sales_order;
    const event = insertEvent('sales_order', row);
    expect(() => lakeRowJson(event)).toThrow(RecordRejectedError);
    expectSame(event);
  });
});
