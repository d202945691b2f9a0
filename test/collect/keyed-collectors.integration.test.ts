import { afterEach, describe, expect, it } from 'vitest';
import { MalformedAnswerError } from '../../collect/collector.ts';
import { cryptoCollector, roundTo8 } from '../../collect/crypto-collector.ts';
import { equitiesCollector } from '../../collect/equities-collector.ts';
import { fredCollector } from '../../collect/fred-collector.ts';
import { type MarketApiContext, MarketApiError } from '../../collect/market-api-client.ts';
import type { Clock } from '../../core/ports/clock.ts';
import { type LogEntry, logWriting } from '../../core/ports/log.ts';
import { type RecordedApi, recorded, startRecordedApi } from '../support/recorded-api-server.ts';
import { skippingClock } from '../support/skipping-clock.ts';

const KEY = 'K3Y-never-to-be-seen';

let api: RecordedApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

function context(clock: Clock, entries: LogEntry[]): MarketApiContext {
  return {
    fetch: (url, init) => fetch(url, init),
    clock,
    random: () => 1,
    retry: { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 60_000 },
    log: logWriting((entry) => entries.push(entry)),
  };
}

const today = (clock: Clock) => ({ today: '2026-11-30', fetchedAt: clock.now() });

describe('equities (Alpha Vantage TIME_SERIES_DAILY)', () => {
  it('retries a throttled 200 (Note, then Information) as an error, never as data, then reads the series', async () => {
    api = await startRecordedApi({
      '/query': [
        recorded('alphavantage-note'),
        recorded('alphavantage-information'),
        recorded('alphavantage-ibm-daily'),
      ],
    });
    const clock = skippingClock(Date.UTC(2026, 10, 30, 16, 0, 0, 0));
    const entries: LogEntry[] = [];
    const rows = await equitiesCollector({ apiUrl: api.url, apiKey: KEY, symbols: ['IBM'] }).collect(
      context(clock, entries),
      today(clock),
    );
    expect(api.requests).toHaveLength(3);
    expect(entries.map((e) => e.reason)).toEqual(['throttled (Note)', 'throttled (Information)']);
    expect(rows).toEqual([
      {
        price_date: '2026-11-26',
        symbol: 'IBM',
        currency: 'USD',
        open: '219.1200',
        high: '221.8800',
        low: '218.0500',
        close: '221.6900',
        volume: '4120398',
        source: 'alphavantage',
        fetched_at: '2026-11-30 16:00:00.000',
      },
      {
        price_date: '2026-11-27',
        symbol: 'IBM',
        currency: 'USD',
        open: '221.7000',
        high: '223.9800',
        low: '220.3100',
        close: '222.5400',
        volume: '3452001',
        source: 'alphavantage',
        fetched_at: '2026-11-30 16:00:00.000',
      },
    ]);
    expect(JSON.stringify(entries)).not.toContain(KEY);
  });

  it('gives up when throttled on every attempt, with nothing written and no key in the message', async () => {
    api = await startRecordedApi({ '/query': [recorded('alphavantage-note')] });
    const clock = skippingClock(Date.UTC(2026, 10, 30, 16, 0, 0, 0));
    const error = (await equitiesCollector({ apiUrl: api.url, apiKey: KEY, symbols: ['IBM'] })
      .collect(context(clock, []), today(clock))
      .catch((e: unknown) => e)) as MarketApiError;
    expect(error).toBeInstanceOf(MarketApiError);
    expect(error.message).toMatch(/\/query gave no data after 3 attempts \(last: throttled \(Note\)\)/);
    expect(error.message).not.toContain(KEY);
  });

  it('fails at once on an Error Message (a wrong symbol), and one failing symbol writes none', async () => {
    api = await startRecordedApi({
      '/query': [recorded('alphavantage-ibm-daily'), recorded('alphavantage-error')],
    });
    const clock = skippingClock(Date.UTC(2026, 10, 30, 16, 0, 0, 0));
    const error = await equitiesCollector({ apiUrl: api.url, apiKey: KEY, symbols: ['IBM', 'NOPE'] })
      .collect(context(clock, []), today(clock))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ failureKind: 'deterministic' });
    expect(api.requests).toHaveLength(2);
  });
});

describe('fred (series/observations)', () => {
  it('reads "." as a missing value (NULL), never 0', async () => {
    api = await startRecordedApi({ '/fred/series/observations': [recorded('fred-dgs10')] });
    const clock = skippingClock(Date.UTC(2026, 10, 30, 16, 0, 0, 0));
    const rows = await fredCollector({ apiUrl: api.url, apiKey: KEY, series: ['DGS10'] }).collect(
      context(clock, []),
      { ...today(clock), from: '2026-11-24' },
    );
    expect(rows.map((r) => [r['observation_date'], r['value']])).toEqual([
      ['2026-11-24', '4.28'],
      ['2026-11-25', '4.30'],
      ['2026-11-26', null],
      ['2026-11-27', '4.26'],
    ]);
    expect(api.requests[0]).toContain('observation_start=2026-11-24');
  });

  it('fails at once on a 400 for an unknown series, naming the API reason and not the key', async () => {
    api = await startRecordedApi({ '/fred/series/observations': [recorded('fred-bad-request', 400)] });
    const clock = skippingClock(Date.UTC(2026, 10, 30, 16, 0, 0, 0));
    const error = (await fredCollector({ apiUrl: api.url, apiKey: KEY, series: ['NOPE'] })
      .collect(context(clock, []), today(clock))
      .catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/HTTP 400: Bad Request\. {2}The series does not exist\./);
    expect(error.message).not.toContain(KEY);
    expect(api.requests).toHaveLength(1);
  });
});

describe('crypto (CoinCap v3)', () => {
  it('sends the key as a bearer header and reads prices to 8 decimals for the day of the fetch', async () => {
    api = await startRecordedApi({ '/v3/assets': [recorded('coincap-assets')] });
    const clock = skippingClock(Date.UTC(2026, 10, 30, 16, 0, 0, 0));
    const rows = await cryptoCollector({ apiUrl: api.url, apiKey: KEY }).collect(
      context(clock, []),
      today(clock),
    );
    expect(api.authorizations).toEqual([`Bearer ${KEY}`]);
    expect(api.requests).toEqual(['/v3/assets?ids=bitcoin%2Cethereum']);
    expect(rows.map((r) => [r['price_date'], r['symbol'], r['close'], r['open'], r['volume']])).toEqual([
      ['2026-11-30', 'BTC', '95683.52745635', null, null],
      ['2026-11-30', 'ETH', '3595.76000000', null, null],
    ]);
  });

  it('fails at once on 401 (a bad key), and retries a 503', async () => {
    api = await startRecordedApi({ '/v3/assets': [recorded('coincap-unauthorized', 401)] });
    const clock = skippingClock(Date.UTC(2026, 10, 30, 16, 0, 0, 0));
    await expect(
      cryptoCollector({ apiUrl: api.url, apiKey: KEY }).collect(context(clock, []), today(clock)),
    ).rejects.toThrow(/HTTP 401: Invalid or missing API key\./);
    await api.close();
    api = await startRecordedApi({
      '/v3/assets': [
        { status: 503, body: {} },
        { status: 200, body: { nope: 1 } },
      ],
    });
    await expect(
      cryptoCollector({ apiUrl: api.url, apiKey: KEY }).collect(context(clock, []), today(clock)),
    ).rejects.toThrow(MalformedAnswerError);
    expect(api.requests).toHaveLength(2);
  });

  it('rounds prices to 8 decimals half away from zero, exactly', () => {
    expect(roundTo8('1.123456785')).toBe('1.12345679');
    expect(roundTo8('-1.123456784999')).toBe('-1.12345678');
    expect(roundTo8('0.000000009')).toBe('0.00000001');
    expect(roundTo8('12.5')).toBe('12.5');
  });
});
