import { describe, expect, it } from 'vitest';
import { currencyName } from '../../transform/currency-names.ts';

describe('currencyName', () => {
  it('gives the ISO 4217 English names of the three totesys currencies', () => {
    expect(currencyName('GBP')).toBe('Pound Sterling');
    expect(currencyName('USD')).toBe('US Dollar');
    expect(currencyName('EUR')).toBe('Euro');
  });

  it('knows codes the source may add later', () => {
    expect(currencyName('JPY')).toBe('Yen');
  });

  it('has no name for unknown, lower-case or malformed codes', () => {
    expect(currencyName('XYZ')).toBeUndefined();
    expect(currencyName('gbp')).toBeUndefined();
    expect(currencyName('GBPX')).toBeUndefined();
    expect(currencyName('')).toBeUndefined();
  });
});
