import { describe, expect, it } from 'vitest';
import {
  addDays,
  isBankingDay,
  SYNTHETIC_EPOCH,
  SyntheticMarket,
} from '../../collect/synthetic/synthetic-market.ts';

/** Every day from `from` for `count` days. */
function days(from: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => addDays(from, i));
}

/** Standard deviation of the daily log changes of a series of decimal strings. */
function dailyVolatility(values: readonly string[]): number {
  const changes = values.slice(1).map((v, i) => Math.log(Number(v) / Number(values[i])));
  const mean = changes.reduce((a, b) => a + b, 0) / changes.length;
  return Math.sqrt(changes.reduce((a, b) => a + (b - mean) ** 2, 0) / (changes.length - 1));
}

describe('SyntheticMarket', () => {
  it('gives the same value for a day whatever was asked before, and another for another seed', () => {
    const late = new SyntheticMarket().gbpRate('USD', '2026-11-30');
    const walked = new SyntheticMarket();
    for (const day of days('2024-01-01', 30)) walked.gbpRate('USD', day);
    expect(walked.gbpRate('USD', '2026-11-30')).toBe(late);
    expect(new SyntheticMarket().price('SPY', '2026-11-27')).toEqual(walked.price('SPY', '2026-11-27'));
    expect(new SyntheticMarket(16).gbpRate('USD', '2026-11-30')).not.toBe(late);
  });

  it('fixes FX on banking days only: no weekends, no 25 December or 1 January', () => {
    const market = new SyntheticMarket();
    expect(market.gbpRate('USD', '2026-11-28')).toBeUndefined(); // Saturday
    expect(market.gbpRate('EUR', '2026-11-29')).toBeUndefined(); // Sunday
    expect(market.gbpRate('USD', '2025-12-25')).toBeUndefined();
    expect(market.gbpRate('USD', '2026-01-01')).toBeUndefined();
    expect(market.gbpRate('USD', '2026-11-27')).toMatch(/^\d\.\d{4}$/);
    expect(market.gbpRate('JPY', '2026-11-27')).toBeUndefined();
    expect(market.gbpRate('USD', addDays(SYNTHETIC_EPOCH, -1))).toBeUndefined();
    const fixings = days('2025-01-01', 365).filter((d) => market.gbpRate('EUR', d) !== undefined);
    expect(fixings).toEqual(days('2025-01-01', 365).filter(isBankingDay));
    expect(fixings.length).toBe(259);
  });

  it('keeps levels and daily volatility where real markets have them, over the whole range', () => {
    const market = new SyntheticMarket();
    const all = days(SYNTHETIC_EPOCH, 2526);
    const usd = all.map((d) => market.gbpRate('USD', d)).filter((v): v is string => v !== undefined);
    const eur = all.map((d) => market.gbpRate('EUR', d)).filter((v): v is string => v !== undefined);
    const range = (values: readonly string[]) => [
      Math.min(...values.map(Number)),
      Math.max(...values.map(Number)),
    ];
    const [usdLow, usdHigh] = range(usd);
    const [eurLow, eurHigh] = range(eur);
    expect(usdLow).toBeGreaterThan(1.0);
    expect(usdHigh).toBeLessThan(1.6);
    expect(eurLow).toBeGreaterThan(1.0);
    expect(eurHigh).toBeLessThan(1.4);
    expect(dailyVolatility(usd)).toBeGreaterThan(0.003);
    expect(dailyVolatility(usd)).toBeLessThan(0.005);
    const spy = all.flatMap((d) => market.price('SPY', d)?.close ?? []);
    expect(dailyVolatility(spy)).toBeGreaterThan(0.008);
    expect(dailyVolatility(spy)).toBeLessThan(0.014);
    const btc = all.flatMap((d) => market.price('BTC', d)?.close ?? []);
    expect(btc.length).toBe(all.length); // crypto trades every day
    expect(dailyVolatility(btc)).toBeGreaterThan(0.025);
  });

  it('prices a day with open, high, low and close in order, and volume for exchange-traded symbols', () => {
    const market = new SyntheticMarket();
    for (const day of days('2026-10-01', 60)) {
      const spy = market.price('SPY', day);
      if (!spy) {
        expect(isBankingDay(day) || day.endsWith('12-25')).toBe(false);
        continue;
      }
      const [open, high, low, close] = [spy.open, spy.high, spy.low, spy.close].map(Number) as number[];
      expect(high).toBeGreaterThanOrEqual(Math.max(open!, close!));
      expect(low).toBeLessThanOrEqual(Math.min(open!, close!));
      expect(spy.volume).toMatch(/^\d+$/);
    }
    expect(market.price('BTC', '2026-11-28')?.volume).toBeUndefined();
    expect(market.price('NOPE', '2026-11-27')).toBeUndefined();
  });

  it('leaves some economic observations missing (null), never zero, and none on weekends', () => {
    const market = new SyntheticMarket();
    const values = days('2024-01-01', 730).map((d) => market.economic('DGS10', d));
    const missing = values.filter((v) => v === null).length;
    expect(missing).toBeGreaterThan(0);
    expect(missing).toBeLessThan(30);
    expect(values).not.toContain('0.00');
    expect(market.economic('DGS10', '2026-11-28')).toBeUndefined();
    for (const v of values) if (typeof v === 'string') expect(Number(v)).toBeGreaterThan(0);
  });
});
