/**
 * @module
 * The `equities` collector: daily prices from Alpha Vantage (`function=TIME_SERIES_DAILY`), one request per
 * symbol. Values are strings. A throttled call answers HTTP 200 with a `Note` or `Information` field instead of
 * data: retried later, never taken for data; `Error Message` (a wrong symbol) fails at once. The key travels in
 * the query string (`apikey`), which no message or log ever shows.
 */
import {
  type Collector,
  decimalText,
  fetchedAtText,
  isDayText,
  MalformedAnswerError,
  type ObservationRow,
} from './collector.ts';
import { type AnswerVerdict, describeEndpoint, getMarketJson } from './market-api-client.ts';

/** The public Alpha Vantage API. */
export const ALPHA_VANTAGE_URL = 'https://www.alphavantage.co';

/** Settings of the `equities` collector. */
export interface EquitiesCollectorOptions {
  readonly apiUrl?: string;
  /** The API key (Secrets Manager on AWS, `ALPHA_VANTAGE_API_KEY` locally). */
  readonly apiKey: string;
  /** @default ['SPY', 'GLD', 'IBM']: an S&P 500 ETF, a gold ETF and a large cap */
  readonly symbols?: readonly string[];
  /** @default 'alphavantage' */
  readonly source?: string;
}

/** Alpha Vantage's answer is data only when it has the series and no throttling or error field. */
export function judgeAlphaVantage(body: unknown): AnswerVerdict {
  const answer = (body ?? {}) as Record<string, unknown>;
  for (const field of ['Note', 'Information'] as const) {
    if (typeof answer[field] === 'string') return { kind: 'throttled', reason: `throttled (${field})` };
  }
  if (typeof answer['Error Message'] === 'string') return { kind: 'refused', reason: 'Error Message' };
  return { kind: 'data' };
}

/** The `equities` collector over Alpha Vantage. */
export function equitiesCollector(options: EquitiesCollectorOptions): Collector {
  const symbols = options.symbols ?? ['SPY', 'GLD', 'IBM'];
  const source = options.source ?? 'alphavantage';
  const apiUrl = (options.apiUrl ?? ALPHA_VANTAGE_URL).replace(/\/+$/, '');
  return {
    name: 'equities',
    table: 'market_price',
    async collect(context, request) {
      const rows: ObservationRow[] = [];
      const fetchedAt = fetchedAtText(request.fetchedAt);
      // Every symbol first, rows after: a failure of any symbol writes none of them.
      for (const symbol of symbols) {
        const url = new URL(`${apiUrl}/query`);
        url.searchParams.set('function', 'TIME_SERIES_DAILY');
        url.searchParams.set('symbol', symbol);
        url.searchParams.set('outputsize', request.from ? 'full' : 'compact');
        url.searchParams.set('apikey', options.apiKey);
        const body = await getMarketJson(context, url, { judge: judgeAlphaVantage });
        rows.push(...dailyRows(body, { symbol, source, fetchedAt, from: request.from }, url));
      }
      return rows;
    },
  };
}

function dailyRows(
  body: unknown,
  want: { symbol: string; source: string; fetchedAt: string; from: string | undefined },
  url: URL,
): ObservationRow[] {
  const series = (body as Record<string, unknown>)['Time Series (Daily)'];
  const malformed = (what: string) =>
    new MalformedAnswerError(
      `${describeEndpoint(url)} answered ${what} for ${want.symbol}; nothing was written.`,
    );
  if (typeof series !== 'object' || series === null) throw malformed('no "Time Series (Daily)"');
  const rows: ObservationRow[] = [];
  for (const [day, values] of Object.entries(series as Record<string, unknown>)) {
    if (!isDayText(day) || typeof values !== 'object' || values === null) throw malformed('a malformed day');
    if (want.from && day < want.from) continue;
    const v = values as Record<string, unknown>;
    const [open, high, low, close] = ['1. open', '2. high', '3. low', '4. close'].map((k) =>
      decimalText(v[k]),
    );
    const volume = v['5. volume'];
    if (!open || !high || !low || !close) throw malformed(`a price on ${day} that is not a number`);
    if (typeof volume !== 'string' || !/^\d+$/.test(volume))
      throw malformed(`a volume on ${day} that is not a count`);
    rows.push({
      price_date: day,
      symbol: want.symbol,
      currency: 'USD',
      open,
      high,
      low,
      close,
      volume,
      source: want.source,
      fetched_at: want.fetchedAt,
    });
  }
  return rows.sort((a, b) => String(a['price_date']).localeCompare(String(b['price_date'])));
}
