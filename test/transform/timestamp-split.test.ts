import { describe, expect, it } from 'vitest';
import { splitTimestamp, TimestampSplitError } from '../../transform/timestamp-split.ts';

describe('splitTimestamp', () => {
  it('splits a millisecond timestamp into its date and time', () => {
    expect(splitTimestamp('2022-11-03 14:20:52.186')).toEqual({ date: '2022-11-03', time: '14:20:52.186' });
  });

  it('pads the fraction PostgreSQL trimmed back to three digits', () => {
    expect(splitTimestamp('2022-11-03 14:20:52.18').time).toBe('14:20:52.180');
    expect(splitTimestamp('2022-11-03 14:20:52.1').time).toBe('14:20:52.100');
    expect(splitTimestamp('2022-11-03 14:20:52').time).toBe('14:20:52.000');
    expect(splitTimestamp('2022-11-03T00:00:00.000').time).toBe('00:00:00.000');
  });

  it('refuses a finer fraction rather than drop digits', () => {
    expect(() => splitTimestamp('2022-11-03 14:20:52.1860')).toThrow(TimestampSplitError);
  });

  it('refuses impossible days and times, BC and five-digit years', () => {
    for (const text of [
      '2023-02-29 10:00:00',
      '2022-11-31 10:00:00',
      '2022-11-03 24:00:00',
      '2022-11-03 10:60:00',
      '0000-01-01 00:00:00',
      '0044-03-15 12:00:00 BC',
      '12022-11-03 10:00:00',
      '2022-11-03',
    ]) {
      expect(() => splitTimestamp(text), text).toThrow(/timestamp/);
    }
    expect(splitTimestamp('2024-02-29 23:59:59.999')).toEqual({ date: '2024-02-29', time: '23:59:59.999' });
  });

  it('never puts the value in its error message', () => {
    let message = '';
    try {
      splitTimestamp('2022-13-45 09:09:09');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/no real date/);
    expect(message).not.toContain('2022-13-45');
  });
});
