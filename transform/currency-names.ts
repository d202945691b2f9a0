/**
 * @module
 * ISO 4217 English currency names for dim_currency (`GBP` Pound Sterling, `USD` US Dollar, `EUR` Euro).
 *
 * The names come from the `currency-codes` package, which tracks the ISO 4217 list itself, so every code the
 * source may ever add has its official name without a hand-kept map.
 */
import { code as currencyByCode } from 'currency-codes';

/** The ISO 4217 English name of a currency code, or `undefined` when ISO 4217 has no such code. */
export function currencyName(currencyCode: string): string | undefined {
  // currency-codes matches case-insensitively; the source stores upper-case codes and ISO defines only those.
  if (!/^[A-Z]{3}$/.test(currencyCode)) return undefined;
  return currencyByCode(currencyCode)?.currency;
}
