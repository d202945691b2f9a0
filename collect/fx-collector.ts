/**
 * @module
 * The `fx` collector: daily reference rates for the totesys currencies from a Frankfurter-compatible API (ECB
 * reference rates, no key). `GET /latest?base=GBP&symbols=USD,EUR` answers the latest fixing,
 * `GET /<from>..<to>?base=GBP&symbols=USD,EUR` every fixing of a range (banking days only) for a backfill.
 */
import {
  type Collector,
  decimalText,
  fetchedAtText,
  isDayText,
  MalformedAnswerError,
  type ObservationRow,
} from './collector.ts';
import { describeEndpoint, getMarketJson } from './market-api-client.ts';

/** The public Frankfurter API. */
export const FRANKFURTER_URL = 'https://api.frankfurter.app';

/** Settings of the `fx` collector. */
export interface FxCollectorOptions {
  /** The API's base URL (`--api-url`); default {@link FRANKFURTER_URL}. */
  readonly apiUrl?: string;
  /** @default 'GBP' */
  readonly base?: string;
  /** @default ['USD', 'EUR'] (the totesys currencies besides GBP) */
  readonly symbols?: readonly string[];
  /** The rows' `source`; default `frankfurter` (`synthetic` for the built-in market). */
  readonly source?: string;
}

/** The `fx` collector over a Frankfurter-compatible API. */
export function fxCollector(options: FxCollectorOptions = {}): Collector {
  const base = options.base ?? 'GBP';
  const symbols = options.symbols ?? ['USD', 'EUR'];
  const source = options.source ?? 'frankfurter';
  const apiUrl = (options.apiUrl ?? FRANKFURTER_URL).replace(/\/+$/, '');
  return {
    name: 'fx',
    table: 'fx_rate',
    async collect(context, request) {
      const path = request.from ? `/${request.from}..${request.today}` : '/latest';
      const url = new URL(`${apiUrl}${path}`);
      url.searchParams.set('base', base);
      url.searchParams.set('symbols', symbols.join(','));
      const body = await getMarketJson(context, url);
      return fxRows(body, { base, symbols, source, fetchedAt: fetchedAtText(request.fetchedAt) }, url);
    },
  };
}

/** The rows of a `/latest` or range answer, or a {@link MalformedAnswerError} naming the field at fault. */
function fxRows(
  body: unknown,
  want: { base: string; symbols: readonly string[]; source: string; fetchedAt: string },
  url: URL,
): ObservationRow[] {
  const answer = body as { base?: unknown; date?: unknown; rates?: unknown };
  const malformed = (what: string) =>
    new MalformedAnswerError(`${describeEndpoint(url)} answered ${what}; nothing was written.`);
  if (typeof answer !== 'object' || answer === null || answer.base !== want.base) {
    throw malformed(`without base ${want.base}`);
  }
  if (typeof answer.rates !== 'object' || answer.rates === null) throw malformed('without rates');
  // `/latest` has `date` and flat rates; a range has rates keyed by day.
  const days: [string, unknown][] = isDayText(answer.date)
    ? [[answer.date, answer.rates]]
    : Object.entries(answer.rates as Record<string, unknown>);
  const rows: ObservationRow[] = [];
  for (const [day, rates] of days) {
    if (!isDayText(day) || typeof rates !== 'object' || rates === null) throw malformed('a malformed day');
    for (const [quote, value] of Object.entries(rates as Record<string, unknown>)) {
      if (!want.symbols.includes(quote)) continue;
      const rate = decimalText(value);
      if (rate === undefined) throw malformed(`a rate of ${quote} on ${day} that is not a number`);
      rows.push({
        rate_date: day,
        base_currency: want.base,
        quote_currency: quote,
        rate,
        source: want.source,
        fetched_at: want.fetchedAt,
      });
    }
  }
  return rows;
}
