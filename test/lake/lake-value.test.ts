import { describe, expect, it } from 'vitest';
import type { LakeColumn, LakeColumnType } from '../../core/schema/lake-tables.ts';
import {
  canonicalTimestampMillis,
  dateToEpochDays,
  formatLakeTimestamp,
  isCalendarDate,
  LakeValueError,
  parseJsonRow,
  parseJsonValue,
} from '../../lake/lake-value.ts';

const column = (type: LakeColumnType, name = `a_${type.replace(/\W/g, '_')}`): LakeColumn => ({
  name,
  type,
  comment: 'test column',
});

const refused = (type: LakeColumnType, value: unknown): LakeValueError => {
  try {
    parseJsonValue(column(type), value);
  } catch (error) {
    if (error instanceof LakeValueError) return error;
    throw error;
  }
  throw new Error(`expected ${type} to refuse ${JSON.stringify(value)}`);
};

describe('parseJsonValue', () => {
  it('reads null and a missing attribute as NULL for every type', () => {
    for (const type of [
      'int',
      'bigint',
      'string',
      'boolean',
      'date',
      'timestamp',
      'decimal(10,2)',
    ] as const) {
      expect(parseJsonValue(column(type), null)).toBeNull();
      expect(parseJsonValue(column(type), undefined)).toBeNull();
    }
  });

  it('reads int from JSON integers and integer strings within 32 bits', () => {
    expect(parseJsonValue(column('int'), 84754)).toBe(84754);
    expect(parseJsonValue(column('int'), '-17')).toBe(-17);
    expect(parseJsonValue(column('int'), 2147483647)).toBe(2147483647);
    expect(parseJsonValue(column('int'), '-2147483648')).toBe(-2147483648);
  });

  it('refuses int values past 32 bits, fractions and non-numbers', () => {
    expect(refused('int', 2147483648).message).toMatch(/out of range/);
    expect(refused('int', 1.5).message).toMatch(/exact integer/);
    expect(refused('int', '1.0').message).toMatch(/expected an integer/);
    expect(refused('int', true).message).toMatch(/expected an integer/);
    expect(refused('int', '').message).toMatch(/expected an integer/);
  });

  it('reads bigint exactly as a bigint, from strings beyond 2^53', () => {
    expect(parseJsonValue(column('bigint'), '9223372036854775807')).toBe(9223372036854775807n);
    expect(parseJsonValue(column('bigint'), '-9223372036854775808')).toBe(-9223372036854775808n);
    expect(parseJsonValue(column('bigint'), 24969464)).toBe(24969464n);
  });

  it('refuses bigint values past 64 bits and JSON numbers JSON.parse already rounded', () => {
    expect(refused('bigint', '9223372036854775808').message).toMatch(/out of range/);
    expect(refused('bigint', 2 ** 60).message).toMatch(/as JSON strings/);
  });

  it('reads decimal(10,2) exactly from its text into hundredths', () => {
    const decimal = column('decimal(10,2)');
    expect(parseJsonValue(decimal, '2.43')).toBe(243n);
    expect(parseJsonValue(decimal, 2.43)).toBe(243n);
    expect(parseJsonValue(decimal, '56925.44')).toBe(5692544n);
    expect(parseJsonValue(decimal, '-0.5')).toBe(-50n);
    expect(parseJsonValue(decimal, '7')).toBe(700n);
    expect(parseJsonValue(decimal, '1.230000')).toBe(123n);
    expect(parseJsonValue(decimal, '.25')).toBe(25n);
    expect(parseJsonValue(decimal, '12345678.99')).toBe(1234567899n);
    expect(parseJsonValue(decimal, 1e-2)).toBe(1n);
    expect(parseJsonValue(decimal, '1.5e2')).toBe(15000n);
    expect(parseJsonValue(decimal, '0')).toBe(0n);
  });

  it('refuses decimals with non-zero thousandths, over 10 digits or not numbers at all', () => {
    expect(refused('decimal(10,2)', '2.435').message).toMatch(/more than 2 fraction digits/);
    expect(refused('decimal(10,2)', 0.1 + 0.2).message).toMatch(/more than 2 fraction digits/);
    expect(refused('decimal(10,2)', '123456789.00').message).toMatch(/more than 10 digits/);
    expect(refused('decimal(10,2)', '1e30').message).toMatch(/more than 10 digits/);
    expect(refused('decimal(10,2)', 'abc').message).toMatch(/expected a decimal/);
    expect(refused('decimal(10,2)', '.').message).toMatch(/expected a decimal/);
    expect(refused('decimal(10,2)', Number.NaN).message).toMatch(/expected a decimal/);
  });

  it('reads dates only as real YYYY-MM-DD calendar days', () => {
    expect(parseJsonValue(column('date'), '2022-11-03')).toBe('2022-11-03');
    expect(parseJsonValue(column('date'), '2024-02-29')).toBe('2024-02-29');
    expect(refused('date', '2023-02-29').message).toMatch(/calendar date/);
    expect(refused('date', '2022-13-01').message).toMatch(/calendar date/);
    expect(refused('date', '2022-11-3').message).toMatch(/calendar date/);
    expect(refused('date', 20221103).message).toMatch(/calendar date/);
    expect(isCalendarDate('1900-02-29')).toBe(false);
    expect(isCalendarDate('2000-02-29')).toBe(true);
  });

  it('reads the OpenX timestamp forms as UTC epoch milliseconds', () => {
    const ts = column('timestamp');
    const expected = BigInt(Date.UTC(2022, 10, 3, 14, 20, 52, 186));
    expect(parseJsonValue(ts, '2022-11-03T14:20:52.186Z')).toBe(expected);
    expect(parseJsonValue(ts, '2022-11-03 14:20:52.186')).toBe(expected);
    expect(parseJsonValue(ts, '2022-11-3 14:20:52.186000000')).toBe(expected);
    expect(parseJsonValue(ts, '2022-11-03 14:20:52.18')).toBe(expected - 6n);
    expect(parseJsonValue(ts, '2022-11-03T14:20:52Z')).toBe(expected - 186n);
    expect(parseJsonValue(ts, 1667485252186)).toBe(expected);
    expect(parseJsonValue(ts, '1667485252')).toBe(expected - 186n);
    expect(parseJsonValue(ts, 1667485252.186)).toBe(expected);
  });

  it('refuses timestamps out of 1900-9999, finer than milliseconds or in no accepted form', () => {
    expect(refused('timestamp', '1899-12-31 23:59:59').message).toMatch(/outside the years/);
    expect(refused('timestamp', '0050-01-01 00:00:00').message).toMatch(/outside the years/);
    expect(refused('timestamp', 999999999999999).message).toMatch(/outside the years/);
    expect(refused('timestamp', '99999999999999999999').message).toMatch(/outside the years/);
    expect(refused('timestamp', '2022-11-03 14:20:52.1861').message).toMatch(/finer than milliseconds/);
    expect(refused('timestamp', '2022-02-30 00:00:00').message).toMatch(/no real date/);
    expect(refused('timestamp', '2022-11-03 24:00:00').message).toMatch(/no real date/);
    expect(refused('timestamp', '2022-11-03T14:20:52+01:00').message).toMatch(/expected yyyy/);
    expect(refused('timestamp', false).message).toMatch(/timestamp string/);
  });

  it('reads strings, stringifying numbers and booleans, and refuses objects', () => {
    expect(parseJsonValue(column('string'), "People's")).toBe("People's");
    expect(parseJsonValue(column('string'), 12)).toBe('12');
    expect(parseJsonValue(column('string'), false)).toBe('false');
    expect(refused('string', { a: 1 }).message).toMatch(/not an object/);
  });

  it('reads booleans from JSON booleans and the strings true and false', () => {
    expect(parseJsonValue(column('boolean'), true)).toBe(true);
    expect(parseJsonValue(column('boolean'), 'FALSE')).toBe(false);
    expect(refused('boolean', 1).message).toMatch(/JSON boolean/);
  });

  it('names the column in the error and never the value', () => {
    const error = refused('decimal(10,2)', '999999999999.99');
    expect(error.column).toBe('a_decimal_10_2_');
    expect(error.message).toContain('"a_decimal_10_2_"');
    expect(error.message).not.toContain('999999999999');
  });
});

describe('parseJsonRow', () => {
  const columns = [column('int', 'id'), column('string', 'name'), column('date', 'day')];

  it('drops unknown attributes, NULLs missing ones and matches keys case-insensitively', () => {
    expect(parseJsonRow(columns, { ID: '5', extra: 'x', day: '2022-11-03' })).toEqual({
      id: 5,
      name: null,
      day: '2022-11-03',
    });
  });

  it('prefers the exact-case key over a differently cased one', () => {
    expect(parseJsonRow(columns, { Name: 'upper', name: 'exact' })['name']).toBe('exact');
  });

  it('fails on the first attribute that breaks its column', () => {
    expect(() => parseJsonRow(columns, { id: 1, day: '2022-02-30' })).toThrow(LakeValueError);
  });
});

describe('dateToEpochDays', () => {
  it('counts days from 1970-01-01, keeping years below 100 as they are', () => {
    expect(dateToEpochDays('1970-01-02')).toBe(1);
    expect(dateToEpochDays('2022-11-03')).toBe(19299);
    expect(dateToEpochDays('0050-01-01')).toBe(-701265);
    expect(() => dateToEpochDays('2023-02-29')).toThrow(RangeError);
  });
});

describe('canonicalTimestampMillis', () => {
  const column = { name: 'ts', type: 'timestamp' as const, comment: '' };
  it('reads both canonical forms as Date does, across the lake years', () => {
    const next = (() => {
      let state = 7;
      return () => {
        state = (state * 48271) % 2147483647;
        return state / 2147483647;
      };
    })();
    const min = Date.UTC(1900, 0, 1);
    const max = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
    for (let i = 0; i < 20_000; i++) {
      const millis = Math.floor(min + next() * (max - min));
      const iso = new Date(millis).toISOString();
      expect(canonicalTimestampMillis(iso)).toBe(millis);
      expect(canonicalTimestampMillis(formatLakeTimestamp(BigInt(millis)))).toBe(millis);
      expect(dateToEpochDays(iso.slice(0, 10))).toBe(Math.floor(millis / 86_400_000));
    }
  });

  it('leaves every other text to the general path (which refuses it or reads a non-canonical form)', () => {
    for (const text of [
      '2023-02-29 00:00:00.000',
      '1899-12-31 23:59:59.999',
      '2022-11-03 24:00:00.000',
      '2022-11-03 23:60:00.000',
      '2022-11-03 23:00:60.000',
      '2022-11-03 23:00:00.00',
      '2022-11-03T23:00:00.000',
      '2022-13-03 23:00:00.000',
      '2022-11-3 23:00:00.000',
      '2022-11-03 23:00:00,000',
      '0000-01-01 00:00:00.000',
    ]) {
      expect(canonicalTimestampMillis(text), text).toBeUndefined();
    }
    expect(parseJsonValue(column, '2022-11-3 23:00:00.5')).toBe(BigInt(Date.UTC(2022, 10, 3, 23, 0, 0, 500)));
    expect(() => parseJsonValue(column, '2023-02-29 00:00:00.000')).toThrow(LakeValueError);
    expect(canonicalTimestampMillis('2024-02-29T00:00:00.000Z')).toBe(Date.UTC(2024, 1, 29));
  });
});
