/**
 * @module
 * The `crypto` collector: current asset prices from CoinCap's v3 API (`GET /v3/assets?ids=…`, a key in the
 * `Authorization: Bearer` header; the free v2 API is gone). Numbers are strings. CoinCap gives a price, not a
 * day's open, high and low: the row for the UTC day of the fetch has `close` = the price and the rest NULL;
 * a later fetch the same day replaces it (the newest fetch of a key wins).
 */
import { type Collector, decimalText, fetchedAtText, MalformedAnswerError } from './collector.ts';
import { describeEndpoint, getMarketJson } from './market-api-client.ts';

/** CoinCap's v3 API. */
export const COINCAP_URL = 'https://rest.coincap.io';

/** Settings of the `crypto` collector. */
export interface CryptoCollectorOptions {
  readonly apiUrl?: string;
  readonly apiKey: string;
  /** CoinCap asset ids. @default ['bitcoin', 'ethereum'] */
  readonly assets?: readonly string[];
  /** @default 'coincap' */
  readonly source?: string;
}

/** The `crypto` collector. */
export function cryptoCollector(options: CryptoCollectorOptions): Collector {
  const assets = options.assets ?? ['bitcoin', 'ethereum'];
  const source = options.source ?? 'coincap';
  const apiUrl = (options.apiUrl ?? COINCAP_URL).replace(/\/+$/, '');
  return {
    name: 'crypto',
    table: 'market_price',
    async collect(context, request) {
      const url = new URL(`${apiUrl}/v3/assets`);
      url.searchParams.set('ids', assets.join(','));
      const body = await getMarketJson(context, url, {
        headers: { authorization: `Bearer ${options.apiKey}` },
      });
      const data = (body as { data?: unknown }).data;
      const malformed = (what: string) =>
        new MalformedAnswerError(`${describeEndpoint(url)} answered ${what}; nothing was written.`);
      if (!Array.isArray(data)) throw malformed('no data');
      const day = request.today;
      const fetchedAt = fetchedAtText(request.fetchedAt);
      return (data as { symbol?: unknown; priceUsd?: unknown }[]).map((asset) => {
        const price = decimalText(asset.priceUsd);
        if (typeof asset.symbol !== 'string' || price === undefined)
          throw malformed('an asset without a price');
        return {
          price_date: day,
          symbol: asset.symbol,
          currency: 'USD',
          open: null,
          high: null,
          low: null,
          // decimal(18,8) holds 8 fraction digits; CoinCap sends up to 16.
          close: roundTo8(price),
          volume: null,
          source,
          fetched_at: fetchedAt,
        };
      });
    },
  };
}

/** A decimal text cut to at most 8 fraction digits, rounded half away from zero, exactly. */
export function roundTo8(text: string): string {
  const [whole = '0', fraction = ''] = text.split('.');
  if (fraction.length <= 8) return text;
  const negative = whole.startsWith('-');
  const digits =
    BigInt(`${whole.replace('-', '')}${fraction.slice(0, 8)}`) + (Number(fraction[8]) >= 5 ? 1n : 0n);
  const padded = digits.toString().padStart(9, '0');
  return `${negative ? '-' : ''}${padded.slice(0, -8)}.${padded.slice(-8)}`;
}
