import { describe, expect, it } from 'vitest';
import type { LakeColumn, LakeColumnType } from '../../core/schema/lake-tables.ts';
import { columnReader } from '../../firehose/column-readers.ts';
import { dateToEpochDays, LakeValueError, parseJsonValue } from '../../lake/lake-value.ts';

const TYPES: readonly LakeColumnType[] = [
  'int',
  'bigint',
  'decimal(10,2)',
  'date',
  'timestamp',
  'string',
  'boolean',
];

/** Canonical values, near misses and wrong kinds for every type. */
const VALUES: readonly unknown[] = [
  undefined,
  null,
  0,
  -0,
  7,
  -7,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31),
  -(2 ** 31) - 1,
  1.5,
  2 ** 53,
  Number.NaN,
  true,
  'true',
  'FALSE',
  '',
  'text',
  '0',
  '-0',
  '007',
  '+5',
  '123456789012345678',
  '-123456789012345678',
  '9223372036854775807',
  '9223372036854775808',
  '2.43',
  '-0.00',
  '-0.05',
  '12345678.90',
  '123456789.00',
  '00000001.23',
  '1.234',
  '1e2',
  2.43,
  '2022-11-03',
  '2022-02-29',
  '2024-02-29',
  '0000-01-01',
  '2022-11-3',
  '2022-11-03 14:20:52.186',
  '2022-11-03T14:20:52.186Z',
  '2022-11-03 14:20:52.1',
  '1899-12-31 23:59:59.999',
  '2022-11-03 24:00:00.000',
  '1667485252186',
  { nested: true },
  [1],
];

/** What the reader must give: parseJsonValue, with a date as its epoch day, or the refusal's message. */
function expected(column: LakeColumn, value: unknown): unknown {
  try {
    const typed = parseJsonValue(column, value);
    return column.type === 'date' && typed !== null ? dateToEpochDays(typed as string) : typed;
  } catch (error) {
    if (!(error instanceof LakeValueError)) throw error;
    return error.message;
  }
}

function actual(read: (value: unknown) => unknown, value: unknown): unknown {
  try {
    return read(value);
  } catch (error) {
    if (!(error instanceof LakeValueError)) throw error;
    return error.message;
  }
}

describe('columnReader', () => {
  it('reads every value exactly as parseJsonValue does, in any order (its cache never leaks)', () => {
    for (const type of TYPES) {
      const column: LakeColumn = { name: `c_${type}`, type, comment: '' };
      const read = columnReader(column);
      // Twice over, forwards then backwards, so each value also follows a different cached one.
      for (const value of [...VALUES, ...[...VALUES].reverse()]) {
        expect(actual(read, value), `${type} ${String(value)}`).toEqual(expected(column, value));
      }
    }
  });
});
