import { describe, expect, it } from 'vitest';
import { CsvFieldReader, CsvRecordError, csvRecord, csvValues } from '../../core/csv-record.ts';

const VALUES = ['1', null, '', 'say "hi", then\ngo', '""', 'last'];

describe('a CSV record', () => {
  it('quotes every value, doubles a quote and leaves NULL an empty unquoted field', () => {
    expect(csvRecord(VALUES)).toBe('"1",,"","say ""hi"", then\ngo","""""","last"');
    expect(csvRecord([null])).toBe('');
    expect(csvRecord([null, null])).toBe(',');
  });

  it('reads back every value as written, NULL apart from the empty string, a trailing NULL included', () => {
    for (const values of [VALUES, [null], [null, null], ['a', null], ['', '']])
      expect(csvValues(csvRecord(values), values.length)).toEqual(values);
  });

  it('reads the wanted fields only, in the order asked, scanning no further than the last', () => {
    const reader = new CsvFieldReader([4, 0, 1]);
    const record = csvRecord(VALUES);

    expect(reader.read(record)).toEqual(['""', '1', null]);
    // The scan stops at field 4: a malformed tail after it is never looked at.
    expect(reader.read(`${csvRecord(VALUES.slice(0, 5))},broken`)).toEqual(['""', '1', null]);
  });

  it('refuses a record not in that form: an unquoted value, an unclosed quote, too few fields', () => {
    expect(() => csvValues('1,"a"', 2)).toThrow(CsvRecordError);
    expect(() => csvValues('"a', 1)).toThrow(CsvRecordError);
    expect(() => csvValues('"a"', 3)).toThrow(CsvRecordError);
  });
});
