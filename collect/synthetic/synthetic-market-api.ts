/**
 * @module
 * The synthetic market behind the market APIs' own shapes (README, "Market data"): a {@link FetchFunction} that
 * answers the requests the collectors make (Frankfurter's `/latest` and `/<from>..<to>`, Alpha Vantage's
 * `TIME_SERIES_DAILY`, FRED's `series/observations`, CoinCap's `/assets`) from {@link SyntheticMarket}, in
 * process. Offline runs point the real collectors at it, so the same client code parses synthetic and real
 * answers. Pure apart from the `today` it is given.
 */
import type { FetchFunction } from '../market-api-client.ts';
import { addDays, SYNTHETIC_SERIES, type SyntheticMarket } from './synthetic-market.ts';

/** The base URL the synthetic API answers on (never reached over a network). */
export const SYNTHETIC_API_URL = 'http://synthetic-market.invalid';

/** How many days a request without a start covers (Alpha Vantage's compact output: about 100 trading days). */
const COMPACT_DAYS = 140;

/** A fetch over `market` as of `today()` (UTC `YYYY-MM-DD`). */
export function syntheticMarketFetch(market: SyntheticMarket, today: () => string): FetchFunction {
  return async (url) => {
    const request = new URL(url);
    const answer = answerOf(market, today(), request);
    return new Response(JSON.stringify(answer.body), {
      status: answer.status,
      headers: { 'content-type': 'application/json' },
    });
  };
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

function answerOf(market: SyntheticMarket, today: string, url: URL): Answer {
  const path = url.pathname;
  const range = /^\/(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})?$/.exec(path);
  if (path === '/latest' || range) return frankfurter(market, today, url, range);
  if (path === '/query') return alphaVantage(market, today, url);
  if (path === '/fred/series/observations') return fred(market, today, url);
  if (path === '/v3/assets' || path === '/assets') return coinCap(market, today, url);
  return { status: 404, body: { message: 'not found' } };
}

function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) days.push(day);
  return days;
}

function frankfurter(
  market: SyntheticMarket,
  today: string,
  url: URL,
  range: RegExpExecArray | null,
): Answer {
  const base = url.searchParams.get('base') ?? 'EUR';
  const symbols = (url.searchParams.get('symbols') ?? SYNTHETIC_SERIES.fxQuotes.join(',')).split(',');
  if (!market.hasCurrency(base) || symbols.some((s) => !market.hasCurrency(s))) {
    return { status: 404, body: { message: 'not found' } };
  }
  const ratesOn = (day: string) => {
    const rates: Record<string, number> = {};
    for (const quote of symbols) {
      const rate = market.rate(base, quote, day);
      if (rate !== undefined) rates[quote] = Number(rate);
    }
    return rates;
  };
  if (!range) {
    // The latest fixing: today's, or the last banking day's.
    let day = today;
    while (Object.keys(ratesOn(day)).length === 0) day = addDays(day, -1);
    return { status: 200, body: { amount: 1.0, base, date: day, rates: ratesOn(day) } };
  }
  const to = range[2] && range[2] < today ? range[2] : today;
  const rates: Record<string, Record<string, number>> = {};
  for (const day of daysBetween(range[1] as string, to)) {
    const fixed = ratesOn(day);
    if (Object.keys(fixed).length > 0) rates[day] = fixed;
  }
  const days = Object.keys(rates);
  return {
    status: 200,
    body: { amount: 1.0, base, start_date: days[0] ?? range[1], end_date: days.at(-1) ?? to, rates },
  };
}

function alphaVantage(market: SyntheticMarket, today: string, url: URL): Answer {
  const symbol = url.searchParams.get('symbol') ?? '';
  if (url.searchParams.get('function') !== 'TIME_SERIES_DAILY' || !market.price(symbol, lastWeekday(today))) {
    return {
      status: 200,
      body: {
        'Error Message': 'Invalid API call. Please retry or visit the documentation for TIME_SERIES_DAILY.',
      },
    };
  }
  const from = url.searchParams.get('outputsize') === 'full' ? '2020-01-01' : addDays(today, -COMPACT_DAYS);
  const series: Record<string, Record<string, string>> = {};
  for (const day of daysBetween(from, today).reverse()) {
    const price = market.price(symbol, day);
    if (!price) continue;
    series[day] = {
      '1. open': price.open,
      '2. high': price.high,
      '3. low': price.low,
      '4. close': price.close,
      '5. volume': price.volume ?? '0',
    };
  }
  return {
    status: 200,
    body: {
      'Meta Data': {
        '1. Information': 'Daily Prices (open, high, low, close) and Volumes',
        '2. Symbol': symbol,
        '3. Last Refreshed': Object.keys(series)[0],
        '4. Output Size': 'Compact',
        '5. Time Zone': 'US/Eastern',
      },
      'Time Series (Daily)': series,
    },
  };
}

function fred(market: SyntheticMarket, today: string, url: URL): Answer {
  const series = url.searchParams.get('series_id') ?? '';
  if (!(SYNTHETIC_SERIES.economic as readonly string[]).includes(series)) {
    return {
      status: 400,
      body: { error_code: 400, error_message: 'Bad Request.  The series does not exist.' },
    };
  }
  const from = url.searchParams.get('observation_start') ?? addDays(today, -COMPACT_DAYS);
  const observations = daysBetween(from, today).flatMap((date) => {
    const value = market.economic(series, date);
    if (value === undefined) return [];
    return [{ realtime_start: today, realtime_end: today, date, value: value ?? '.' }];
  });
  return {
    status: 200,
    body: {
      realtime_start: today,
      realtime_end: today,
      observation_start: from,
      observation_end: '9999-12-31',
      units: 'lin',
      output_type: 1,
      file_type: 'json',
      order_by: 'observation_date',
      sort_order: 'asc',
      count: observations.length,
      offset: 0,
      limit: 100000,
      observations,
    },
  };
}

/** CoinCap ids of the synthetic crypto assets. */
const COINCAP_IDS: Readonly<Record<string, string>> = { bitcoin: 'BTC', ethereum: 'ETH' };

function coinCap(market: SyntheticMarket, today: string, url: URL): Answer {
  const ids = (url.searchParams.get('ids') ?? Object.keys(COINCAP_IDS).join(',')).split(',');
  const data = ids.flatMap((id, rank) => {
    const symbol = COINCAP_IDS[id];
    const price = symbol ? market.price(symbol, today) : undefined;
    if (!symbol || !price) return [];
    return [
      {
        id,
        rank: String(rank + 1),
        symbol,
        name: id[0]?.toUpperCase() + id.slice(1),
        priceUsd: price.close,
        changePercent24Hr: String(((Number(price.close) / Number(price.open) - 1) * 100).toFixed(8)),
        vwap24Hr: price.open,
      },
    ];
  });
  return { status: 200, body: { data, timestamp: Date.parse(`${today}T12:00:00Z`) } };
}

function lastWeekday(day: string): string {
  let at = day;
  while ([0, 6].includes(new Date(`${at}T00:00:00Z`).getUTCDay())) at = addDays(at, -1);
  return at;
}
