/**
 * @module
 * One collection, wherever it runs (README, "Market data"): the collector of a name over its API (a real one,
 * or the synthetic market), fetched once and shipped through the RecordBatchPutter port. `totesys-stream
 * collect` and `up` run it with the local Firehose (local/market-collection.ts), the collector Lambda with
 * Amazon Data Firehose (functions/collector/); only the putter and where the API key comes from differ.
 */
import { ENV } from '../core/operations.ts';
import { type Clock, SYSTEM_CLOCK } from '../core/ports/clock.ts';
import type { Log } from '../core/ports/log.ts';
import type { RecordBatchPutter } from '../core/ports/record-batch-putter.ts';
import {
  type CollectorName,
  type KeyedCollectorName,
  SYNTHETIC_SOURCE,
} from '../core/schema/market-lake-tables.ts';
import type { Collector } from './collector.ts';
import { cryptoCollector } from './crypto-collector.ts';
import { equitiesCollector } from './equities-collector.ts';
import { fredCollector } from './fred-collector.ts';
import { fxCollector } from './fx-collector.ts';
import type { FetchFunction } from './market-api-client.ts';
import { shipObservations } from './observation-shipping.ts';
import { SyntheticMarket } from './synthetic/synthetic-market.ts';
import { SYNTHETIC_API_URL, syntheticMarketFetch } from './synthetic/synthetic-market-api.ts';

/** Where a collector fetches from: a real API (its base URL) or the synthetic market. */
export type MarketApi = { readonly kind: 'synthetic' } | { readonly kind: 'http'; readonly apiUrl?: string };

/** A collector and the fetch it uses. */
export interface ConfiguredCollector {
  readonly collector: Collector;
  readonly fetch: FetchFunction;
}

/**
 * The environment variable holding each keyed collector's API key locally (on AWS, the secret named by
 * {@link ENV.marketApiKeySecretArn}).
 */
export const API_KEY_VARIABLES: { readonly [C in KeyedCollectorName]: string } = {
  equities: ENV.alphaVantageApiKey,
  fred: ENV.fredApiKey,
  crypto: ENV.coinCapApiKey,
};

/** A keyed collector was given no key; `hint` says where the key goes. Never holds a key. */
export class MissingApiKeyError extends Error {
  override readonly name = 'MissingApiKeyError';
  readonly failureKind = 'deterministic' as const;
}

/** UTC `YYYY-MM-DD` of `clock`'s now. */
export function utcDay(clock: Clock): string {
  return new Date(clock.now()).toISOString().slice(0, 10);
}

/** What {@link configureCollector} needs besides the name and the API. */
export interface CollectorSetup {
  readonly clock?: Clock;
  /** The API key of a keyed collector (ignored by the synthetic market, which needs none). */
  readonly apiKey?: string;
  /** Where a missing key goes, for the error (`set FRED_API_KEY, or use --synthetic.`). */
  readonly missingKeyHint: string;
}

/** The collector `name` over `api`. */
export function configureCollector(
  name: CollectorName,
  api: MarketApi,
  setup: CollectorSetup,
): ConfiguredCollector {
  const clock = setup.clock ?? SYSTEM_CLOCK;
  const synthetic = api.kind === 'synthetic';
  const apiUrl = synthetic ? SYNTHETIC_API_URL : api.apiUrl;
  const fetch: FetchFunction = synthetic
    ? syntheticMarketFetch(new SyntheticMarket(), () => utcDay(clock))
    : (url, init) => globalThis.fetch(url, init);
  const common = { ...(synthetic ? { source: SYNTHETIC_SOURCE } : {}), ...(apiUrl ? { apiUrl } : {}) };
  const key = (collector: KeyedCollectorName) => {
    if (synthetic) return SYNTHETIC_SOURCE;
    if (!setup.apiKey) {
      throw new MissingApiKeyError(`collect ${collector} needs an API key: ${setup.missingKeyHint}`);
    }
    return setup.apiKey;
  };
  switch (name) {
    case 'fx':
      return { collector: fxCollector(common), fetch };
    case 'equities':
      return {
        collector: equitiesCollector({
          ...common,
          apiKey: key('equities'),
          ...(synthetic ? { symbols: ['SPY', 'GLD', 'IBM', 'XAU'] } : {}),
        }),
        fetch,
      };
    case 'fred':
      return { collector: fredCollector({ ...common, apiKey: key('fred') }), fetch };
    case 'crypto':
      return { collector: cryptoCollector({ ...common, apiKey: key('crypto') }), fetch };
    default:
      throw new Error(
        `The ${name} collector reads dropped files, not an API (collect/dropped-file-batch.ts).`,
      );
  }
}

/** What one collection did. */
export interface CollectionSummary {
  readonly collector: CollectorName;
  readonly table: string;
  readonly stream: string;
  readonly rows: number;
  readonly records: number;
}

/** Options of {@link collectOnce}. */
export interface CollectOnceOptions {
  readonly putter: RecordBatchPutter;
  readonly from?: string;
  readonly clock?: Clock;
  readonly log?: Log;
  readonly signal?: AbortSignal;
  /** @default `totesys-` (a prefixed deployment's own, from core/deployment-names.ts) */
  readonly streamPrefix?: string;
}

/** Fetches once and ships the rows through `putter`; resolves once every record was accepted. */
export async function collectOnce(
  configured: ConfiguredCollector,
  options: CollectOnceOptions,
): Promise<CollectionSummary> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const { collector } = configured;
  const rows = await collector.collect(
    {
      fetch: configured.fetch,
      clock,
      ...(options.log ? { log: options.log } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    },
    { ...(options.from ? { from: options.from } : {}), today: utcDay(clock), fetchedAt: clock.now() },
  );
  const shipped = await shipObservations(
    {
      putter: options.putter,
      clock,
      ...(options.streamPrefix ? { streamPrefix: options.streamPrefix } : {}),
    },
    collector.table,
    rows,
  );
  return { collector: collector.name, table: collector.table, rows: rows.length, ...shipped };
}
