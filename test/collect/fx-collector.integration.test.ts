import { afterEach, describe, expect, it } from 'vitest';
import { MalformedAnswerError } from '../../collect/collector.ts';
import { fxCollector } from '../../collect/fx-collector.ts';
import { type MarketApiContext, MarketApiError } from '../../collect/market-api-client.ts';
import type { Clock } from '../../core/ports/clock.ts';
import type { LogEntry } from '../../core/ports/log.ts';
import { logWriting } from '../../core/ports/log.ts';
import { type RecordedApi, recorded, startRecordedApi } from '../support/recorded-api-server.ts';
import { skippingClock } from '../support/skipping-clock.ts';

let api: RecordedApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

function context(clock: Clock, entries: LogEntry[] = []): MarketApiContext {
  return {
    fetch: (url, init) => fetch(url, init),
    clock,
    random: () => 1,
    retry: { maxAttempts: 4, baseDelayMs: 1_000, maxDelayMs: 8_000 },
    log: logWriting((entry) => entries.push(entry)),
  };
}

const request = (clock: Clock, from?: string) => ({
  ...(from ? { from } : {}),
  today: '2026-11-30',
  fetchedAt: clock.now(),
});

describe('the fx collector against a Frankfurter-compatible API', () => {
  it('turns /latest into one row per quote, exactly as served', async () => {
    api = await startRecordedApi({ '/latest': [recorded('frankfurter-latest')] });
    const clock = skippingClock(Date.UTC(2026, 10, 30, 16, 0, 0, 123));
    const rows = await fxCollector({ apiUrl: api.url }).collect(context(clock), request(clock));
    expect(api.requests).toEqual(['/latest?base=GBP&symbols=USD%2CEUR']);
    expect(rows).toEqual([
      {
        rate_date: '2026-11-27',
        base_currency: 'GBP',
        quote_currency: 'EUR',
        rate: '1.1712',
        source: 'frankfurter',
        fetched_at: '2026-11-30 16:00:00.123',
      },
      {
        rate_date: '2026-11-27',
        base_currency: 'GBP',
        quote_currency: 'USD',
        rate: '1.2695',
        source: 'frankfurter',
        fetched_at: '2026-11-30 16:00:00.123',
      },
    ]);
  });

  it('backfills a range with --from: every banking day served, nothing for the weekend it skips', async () => {
    api = await startRecordedApi({ '/2026-11-26..2026-11-30': [recorded('frankfurter-range')] });
    const clock = skippingClock(Date.UTC(2026, 10, 30, 16, 0, 0, 123));
    const rows = await fxCollector({ apiUrl: `${api.url}/` }).collect(
      context(clock),
      request(clock, '2026-11-26'),
    );
    expect(rows.map((r) => [r['rate_date'], r['quote_currency'], r['rate']])).toEqual([
      ['2026-11-26', 'EUR', '1.17011'],
      ['2026-11-26', 'USD', '1.26871'],
      ['2026-11-27', 'EUR', '1.1712'],
      ['2026-11-27', 'USD', '1.2695'],
      ['2026-11-30', 'EUR', '1.16985'],
      ['2026-11-30', 'USD', '1.27302'],
    ]);
  });

  it('retries 429, 5xx and a proxy page that is not JSON with growing backoff, then uses the answer', async () => {
    api = await startRecordedApi({
      '/latest': [
        { status: 429, body: { message: 'rate limited' } },
        { status: 503, text: '<html>upstream down</html>' },
        { status: 200, text: '<html>maintenance</html>' },
        recorded('frankfurter-latest'),
      ],
    });
    const clock = skippingClock(Date.UTC(2026, 10, 30, 16, 0, 0, 123));
    const entries: LogEntry[] = [];
    const rows = await fxCollector({ apiUrl: api.url }).collect(context(clock, entries), request(clock));
    expect(rows).toHaveLength(2);
    expect(api.requests).toHaveLength(4);
    expect(clock.slept).toEqual([1_000, 2_000, 4_000]);
    expect(entries.map((e) => e.reason)).toEqual([
      'HTTP 429',
      'HTTP 503',
      'HTTP 200 with a body that is not JSON',
    ]);
  });

  it('gives up after the last attempt with nothing collected, naming the endpoint and never the query', async () => {
    api = await startRecordedApi({ '/latest': [{ status: 500, body: {} }] });
    const clock = skippingClock(Date.UTC(2026, 10, 30, 16, 0, 0, 123));
    const collecting = fxCollector({ apiUrl: api.url }).collect(context(clock), request(clock));
    await expect(collecting).rejects.toThrow(MarketApiError);
    await expect(fxCollector({ apiUrl: api.url }).collect(context(clock), request(clock))).rejects.toThrow(
      new RegExp(`^${api.url}/latest gave no data after 4 attempts \\(last: HTTP 500\\)`),
    );
  });

  it('fails at once on a 404, deterministically, without retrying', async () => {
    api = await startRecordedApi({ '/latest': [recorded('frankfurter-not-found', 404)] });
    const clock = skippingClock(Date.UTC(2026, 10, 30, 16, 0, 0, 123));
    const error = await fxCollector({ apiUrl: api.url })
      .collect(context(clock), request(clock))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MarketApiError);
    expect(error).toMatchObject({
      failureKind: 'deterministic',
      message: expect.stringMatching(/HTTP 404: not found/),
    });
    expect(api.requests).toHaveLength(1);
  });

  it('writes no partial data: a range with one bad rate yields no row at all', async () => {
    api = await startRecordedApi({ '/2026-11-26..2026-11-30': [recorded('frankfurter-malformed-rate')] });
    const clock = skippingClock(Date.UTC(2026, 10, 30, 16, 0, 0, 123));
    await expect(
      fxCollector({ apiUrl: api.url }).collect(context(clock), request(clock, '2026-11-26')),
    ).rejects.toThrow(MalformedAnswerError);
  });

  it('never logs or throws the URL query (where APIs take their keys)', async () => {
    api = await startRecordedApi({ '/latest': [{ status: 502, body: {} }] });
    const clock = skippingClock(Date.UTC(2026, 10, 30, 16, 0, 0, 123));
    const entries: LogEntry[] = [];
    const error = await fxCollector({ apiUrl: api.url, base: 'GBP', symbols: ['SECRETKEY'] })
      .collect(context(clock, entries), request(clock))
      .catch((e: unknown) => e as Error);
    expect(JSON.stringify(entries)).not.toContain('SECRETKEY');
    expect(String((error as Error).message)).not.toContain('SECRETKEY');
  });
});
