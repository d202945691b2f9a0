/**
 * @module
 * The built-in synthetic market (README, "Market data"): deterministic daily series with realistic levels and
 * volatility, so an offline run (`npm start`) has exchange rates, prices and economic series without a network.
 * Every value is labelled with `source` {@link SYNTHETIC_SOURCE} by the collectors that read it.
 *
 * Pure: a value depends only on the seed, the series and the day, never on the range asked for or on the clock,
 * so a re-fetch of a day gives the same value (the idempotence the collectors promise) and a test can name
 * exact values. Each series is a mean-reverting random walk of its log level (Ornstein-Uhlenbeck, daily steps)
 * from {@link SYNTHETIC_EPOCH}, its shocks drawn from a hash of (seed, series, day): no state to carry.
 * FX fixings exist on banking days only (no weekends, no 25 December or 1 January), equity and commodity
 * prices on trading days (no weekends), crypto every day, and economic series on business days with an
 * occasional missing value (FRED's `"."`).
 */

/** The first day of every synthetic series; earlier days have no values. */
export const SYNTHETIC_EPOCH = '2020-01-01';

/** How one series moves. */
interface SeriesProfile {
  /** The long-run level (and the level at the epoch). */
  readonly level: number;
  /** Standard deviation of the daily log change. */
  readonly dailyVolatility: number;
  /** Daily pull of the log level back to its long-run value (0: a pure random walk). */
  readonly reversion: number;
  /** Daily drift of the log level. */
  readonly drift: number;
  /** Fraction digits the publisher quotes. */
  readonly digits: number;
}

/** Units of the quote currency per GBP, at ECB-like levels and volatility (0.4 % a day). */
const FX_PROFILES: Readonly<Record<string, SeriesProfile>> = {
  USD: { level: 1.27, dailyVolatility: 0.004, reversion: 0.01, drift: 0, digits: 4 },
  EUR: { level: 1.17, dailyVolatility: 0.003, reversion: 0.01, drift: 0, digits: 4 },
};

/** Daily prices in USD: an S&P 500 ETF, a gold ETF and gold itself, a large cap, and crypto assets. */
const PRICE_PROFILES: Readonly<Record<string, SeriesProfile & { readonly volume?: number }>> = {
  SPY: { level: 320, dailyVolatility: 0.011, reversion: 0, drift: 0.0003, digits: 2, volume: 75_000_000 },
  GLD: { level: 150, dailyVolatility: 0.009, reversion: 0, drift: 0.0004, digits: 2, volume: 8_000_000 },
  XAU: { level: 1520, dailyVolatility: 0.009, reversion: 0, drift: 0.0004, digits: 2, volume: 0 },
  IBM: { level: 135, dailyVolatility: 0.014, reversion: 0.002, drift: 0.0002, digits: 2, volume: 4_500_000 },
  BTC: { level: 7200, dailyVolatility: 0.035, reversion: 0, drift: 0.0008, digits: 8 },
  ETH: { level: 130, dailyVolatility: 0.045, reversion: 0, drift: 0.0008, digits: 8 },
};

/** Economic series in percent: the 10-year Treasury yield and the effective federal funds rate. */
const ECONOMIC_PROFILES: Readonly<Record<string, SeriesProfile>> = {
  DGS10: { level: 2.5, dailyVolatility: 0.02, reversion: 0.002, drift: 0, digits: 2 },
  DFF: { level: 2.5, dailyVolatility: 0.006, reversion: 0.001, drift: 0, digits: 2 },
};

/** The symbols and series the synthetic market knows (others answer as unknown, as the real APIs do). */
export const SYNTHETIC_SERIES = {
  fxQuotes: Object.keys(FX_PROFILES),
  prices: Object.keys(PRICE_PROFILES),
  cryptoAssets: ['BTC', 'ETH'],
  economic: Object.keys(ECONOMIC_PROFILES),
} as const;

/** One day's prices of a symbol, as decimal strings at the publisher's precision. */
export interface SyntheticPrice {
  readonly date: string;
  readonly open: string;
  readonly high: string;
  readonly low: string;
  readonly close: string;
  /** Units traded; undefined for series without volume (gold spot, crypto). */
  readonly volume?: string;
}

const MILLIS_PER_DAY = 86_400_000;
const EPOCH_MILLIS = Date.parse(`${SYNTHETIC_EPOCH}T00:00:00Z`);

/** A deterministic market; the same seed always gives the same values. */
export class SyntheticMarket {
  readonly #seed: number;
  readonly #paths = new Map<string, number[]>();

  constructor(seed = 15) {
    this.#seed = seed >>> 0;
  }

  /** Units of `quote` per 1 GBP on `date`, or undefined on a day without a fixing or for an unknown currency. */
  gbpRate(quote: string, date: string): string | undefined {
    const profile = FX_PROFILES[quote];
    if (!profile || !isBankingDay(date)) return undefined;
    return this.#level(`fx:${quote}`, profile, date)?.toFixed(profile.digits);
  }

  /** Units of `quote` per 1 `base` (any of GBP and the known quotes) on `date`, by crossing through GBP. */
  rate(base: string, quote: string, date: string): string | undefined {
    if (base === quote) return undefined;
    const perGbp = (code: string) => (code === 'GBP' ? 1 : Number(this.gbpRate(code, date)));
    if (!this.hasCurrency(base) || !this.hasCurrency(quote) || !isBankingDay(date)) return undefined;
    const digits = Math.max(FX_PROFILES[quote]?.digits ?? 4, 4);
    return (perGbp(quote) / perGbp(base)).toFixed(digits);
  }

  /** True for GBP and the quote currencies the market fixes. */
  hasCurrency(code: string): boolean {
    return code === 'GBP' || Object.hasOwn(FX_PROFILES, code);
  }

  /** A symbol's prices on `date`, undefined on a day it does not trade or for an unknown symbol. */
  price(symbol: string, date: string): SyntheticPrice | undefined {
    const profile = PRICE_PROFILES[symbol];
    if (!profile) return undefined;
    const crypto = (SYNTHETIC_SERIES.cryptoAssets as readonly string[]).includes(symbol);
    if (!crypto && !isWeekday(date)) return undefined;
    const close = this.#level(`price:${symbol}`, profile, date);
    const previous = this.#level(`price:${symbol}`, profile, addDays(date, -1)) ?? close;
    if (close === undefined || previous === undefined) return undefined;
    // The open gaps a little from the previous close; high and low reach past both by a fraction of a day's move.
    const open = previous * (1 + 0.2 * profile.dailyVolatility * this.#normal(`open:${symbol}`, date));
    const reach = profile.dailyVolatility * 0.5;
    const high = Math.max(open, close) * (1 + reach * Math.abs(this.#normal(`high:${symbol}`, date)));
    const low = Math.min(open, close) * (1 - reach * Math.abs(this.#normal(`low:${symbol}`, date)));
    const fixed = (value: number) => value.toFixed(profile.digits);
    const volume =
      profile.volume && !crypto
        ? String(Math.round(profile.volume * Math.exp(0.3 * this.#normal(`volume:${symbol}`, date))))
        : undefined;
    return {
      date,
      open: fixed(open),
      high: fixed(high),
      low: fixed(low),
      close: fixed(close),
      ...(volume ? { volume } : {}),
    };
  }

  /**
   * An economic series' value on `date`: a decimal string, `null` on a business day the publisher has no
   * value for (about one in forty), undefined on a day without an observation or for an unknown series.
   */
  economic(series: string, date: string): string | null | undefined {
    const profile = ECONOMIC_PROFILES[series];
    if (!profile || !isWeekday(date)) return undefined;
    if (this.#uniform(`missing:${series}`, date) < 0.025) return null;
    return this.#level(`economic:${series}`, profile, date)?.toFixed(profile.digits);
  }

  /** The level of a series on `date`: its walk from the epoch, one cached step per day. */
  #level(key: string, profile: SeriesProfile, date: string): number | undefined {
    const day = dayNumber(date);
    if (day < 0) return undefined;
    let path = this.#paths.get(key);
    if (!path) {
      path = [Math.log(profile.level)];
      this.#paths.set(key, path);
    }
    const target = Math.log(profile.level);
    while (path.length <= day) {
      const last = path[path.length - 1] as number;
      const shock = profile.dailyVolatility * this.#normalAt(key, path.length);
      path.push(last + profile.drift + profile.reversion * (target - last) + shock);
    }
    return Math.exp(path[day] as number);
  }

  #normal(key: string, date: string): number {
    return this.#normalAt(key, dayNumber(date));
  }

  #uniform(key: string, date: string): number {
    return uniform(hash32(this.#seed, key, dayNumber(date), 0));
  }

  /** A standard normal draw for (key, day), by Box-Muller over two hashed uniforms. */
  #normalAt(key: string, day: number): number {
    const u1 = uniform(hash32(this.#seed, key, day, 1));
    const u2 = uniform(hash32(this.#seed, key, day, 2));
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}

/** Days since {@link SYNTHETIC_EPOCH} (negative before it). */
function dayNumber(date: string): number {
  return Math.round((Date.parse(`${date}T00:00:00Z`) - EPOCH_MILLIS) / MILLIS_PER_DAY);
}

/** `date` moved by `days`, as `YYYY-MM-DD`. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * MILLIS_PER_DAY).toISOString().slice(0, 10);
}

/** Monday to Friday. */
export function isWeekday(date: string): boolean {
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
  return weekday !== 0 && weekday !== 6;
}

/** A day the ECB fixes reference rates: a weekday other than 25 December and 1 January. */
export function isBankingDay(date: string): boolean {
  const monthDay = date.slice(5);
  return isWeekday(date) && monthDay !== '12-25' && monthDay !== '01-01';
}

/** A uniform draw in (0, 1), never 0 (Box-Muller takes its logarithm). */
function uniform(bits: number): number {
  return (bits + 0.5) / 4_294_967_296;
}

/** 32 bits of FNV-1a over the seed, key, day and draw, finished with a murmur3 mix for good low bits. */
function hash32(seed: number, key: string, day: number, draw: number): number {
  let h = 0x811c9dc5 ^ seed;
  const text = `${key}|${day}|${draw}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
