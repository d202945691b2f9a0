/**
 * @module
 * Collectors offline (README, "Market data"): `totesys-stream collect <collector> --once` fetches once, ships the
 * rows through the local Firehose's market delivery streams and returns once they are delivered to the lake;
 * `up` runs every collector against the built-in synthetic market on a schedule. The collectors are the same
 * code Lambda runs on AWS; only the putter (the local Firehose) and, offline, the API (the synthetic market's
 * fetch) differ.
 */

import { mkdir } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { Collector } from '../collect/collector.ts';
import { cryptoCollector } from '../collect/crypto-collector.ts';
import { readDroppedFiles } from '../collect/dropped-files.ts';
import { equitiesCollector } from '../collect/equities-collector.ts';
import { fredCollector } from '../collect/fred-collector.ts';
import { fxCollector } from '../collect/fx-collector.ts';
import type { FetchFunction } from '../collect/market-api-client.ts';
import { shipObservations } from '../collect/observation-shipping.ts';
import { SYNTHETIC_EPOCH, SyntheticMarket } from '../collect/synthetic/synthetic-market.ts';
import { SYNTHETIC_API_URL, syntheticMarketFetch } from '../collect/synthetic/synthetic-market-api.ts';
import { describeErrorChain } from '../core/error-chain.ts';
import { ERROR_OUTPUT_TYPES, errorObjectKey, processingFailedDocument } from '../core/error-documents.ts';
import { LAKE_PREFIXES } from '../core/lake-layout.ts';
import { ENV } from '../core/operations.ts';
import { type Clock, SYSTEM_CLOCK } from '../core/ports/clock.ts';
import type { Log } from '../core/ports/log.ts';
import type { RecordBatchPutter } from '../core/ports/record-batch-putter.ts';
import type { CollectorName } from '../core/schema/market-lake-tables.ts';
import { SYNTHETIC_SOURCE } from '../core/schema/market-lake-tables.ts';
import { LocalFirehose } from '../firehose/local-firehose.ts';
import { LOCAL_DEFAULTS, marketDeliveryStreams } from '../firehose/stream-config.ts';
import { handler as transformHandler } from '../functions/transformer/handler.ts';
import { FsObjectStore } from '../lake/fs-object-store.ts';
import { LOCAL_LAKE_BUCKET, pipelinePaths } from './data-dir-layout.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { transformationFailure } from './error-objects.ts';

/** Where a collector fetches from: a real API (its base URL) or the synthetic market. */
export type MarketApi = { readonly kind: 'synthetic' } | { readonly kind: 'http'; readonly apiUrl?: string };

/** A collector and the fetch it uses. */
export interface ConfiguredCollector {
  readonly collector: Collector;
  readonly fetch: FetchFunction;
}

/** UTC `YYYY-MM-DD` of `clock`'s now. */
export function utcDay(clock: Clock): string {
  return new Date(clock.now()).toISOString().slice(0, 10);
}

/** The environment variable holding each keyed API's key locally. */
const KEY_VARIABLES = {
  equities: ENV.alphaVantageApiKey,
  fred: ENV.fredApiKey,
  crypto: ENV.coinCapApiKey,
} as const;

/** The collector `name` over `api`; a keyed API's key comes from the environment (never a flag: shells log them). */
export function configureCollector(
  name: CollectorName,
  api: MarketApi,
  clock: Clock = SYSTEM_CLOCK,
  env: NodeJS.ProcessEnv = process.env,
): ConfiguredCollector {
  const synthetic = api.kind === 'synthetic';
  const apiUrl = synthetic ? SYNTHETIC_API_URL : api.apiUrl;
  const fetch: FetchFunction = synthetic
    ? syntheticMarketFetch(new SyntheticMarket(), () => utcDay(clock))
    : (url, init) => globalThis.fetch(url, init);
  const common = { ...(synthetic ? { source: SYNTHETIC_SOURCE } : {}), ...(apiUrl ? { apiUrl } : {}) };
  const key = (collector: keyof typeof KEY_VARIABLES) => {
    if (synthetic) return SYNTHETIC_SOURCE;
    const value = env[KEY_VARIABLES[collector]];
    if (!value) {
      throw new Error(
        `collect ${collector} needs an API key: set ${KEY_VARIABLES[collector]}, or use --synthetic.`,
      );
    }
    return value;
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
      throw new Error(`The ${name} collector reads files, not an API: give it --dir.`);
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

/** Fetches once and ships the rows through `putter`. */
export async function collectOnce(
  configured: ConfiguredCollector,
  options: {
    readonly putter: RecordBatchPutter;
    readonly from?: string;
    readonly clock?: Clock;
    readonly log?: Log;
    readonly signal?: AbortSignal;
  },
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
  const shipped = await shipObservations({ putter: options.putter, clock }, collector.table, rows);
  return { collector: collector.name, table: collector.table, rows: rows.length, ...shipped };
}

/**
 * `collect --once` on a data dir: holds its lock (as `up` and `sync` do), opens the local Firehose's market
 * streams over the lake (delivering anything an earlier run spooled), collects once, and returns after the
 * Firehose delivered every record to the lake.
 */
export async function collectIntoLocalLake(
  dataDir: string,
  configured: ConfiguredCollector,
  options: { readonly from?: string; readonly clock?: Clock; readonly log?: Log } = {},
): Promise<CollectionSummary> {
  await mkdir(pipelinePaths(dataDir).lake, { recursive: true });
  const lock = await lockDataDir(dataDir, 'totesys-stream collect');
  try {
    const firehose = await openMarketFirehose(dataDir, options.log);
    try {
      return await collectOnce(configured, { ...options, putter: firehose });
    } finally {
      // Delivers what is buffered: the rows are in the lake once this resolves.
      await firehose.close();
    }
  } finally {
    await lock.release();
  }
}

/** The one-line description of a failed collection, for logs (the cause chain; never a key). */
export function describeCollectionFailure(name: CollectorName, error: unknown): string {
  return `collect ${name} failed: ${describeErrorChain(error)}`;
}

/** The collectors `up` runs, where they fetch from, and how often. */
export interface MarketCollection {
  readonly api: MarketApi;
  readonly collectors: readonly CollectorName[];
  /** Pause between two rounds of every collector. */
  readonly everyMs: number;
  /** The first day the first round backfills from (later rounds fetch the latest values). */
  readonly backfillFrom: string;
  readonly clock?: Clock;
}

/** The collectors that run offline by default (`up`), on the synthetic market. */
export const OFFLINE_MARKET: MarketCollection = {
  api: { kind: 'synthetic' },
  collectors: ['fx', 'equities', 'fred', 'crypto'],
  everyMs: 10 * 60_000,
  // Every day the synthetic market has: the GBP views then price every seeded order, whatever its date.
  backfillFrom: SYNTHETIC_EPOCH,
};

/**
 * Runs every collector of `collection` once a round until `signal` aborts: the first round backfills, a
 * failed collection is logged and fetched again the next round (it wrote nothing), the others go on.
 */
export async function runMarketCollection(
  collection: MarketCollection,
  options: { readonly putter: RecordBatchPutter; readonly signal: AbortSignal; readonly log?: Log },
): Promise<void> {
  const clock = collection.clock ?? SYSTEM_CLOCK;
  const configured = collection.collectors.map((name) => configureCollector(name, collection.api, clock));
  const pending = new Set(collection.collectors);
  while (!options.signal.aborted) {
    for (const entry of configured) {
      if (options.signal.aborted) break;
      const name = entry.collector.name;
      const from = pending.has(name) ? collection.backfillFrom : undefined;
      try {
        const summary = await collectOnce(entry, {
          putter: options.putter,
          clock,
          signal: options.signal,
          ...(from ? { from } : {}),
          ...(options.log ? { log: options.log } : {}),
        });
        pending.delete(name);
        options.log?.debug('collected', { stage: 'collector', table: summary.table, rows: summary.rows });
      } catch (error) {
        if (options.signal.aborted) break;
        options.log?.warn(describeCollectionFailure(name, error), { stage: 'collector' });
      }
    }
    await clock.sleep(collection.everyMs, options.signal);
  }
}

/** What one pass over a drop directory did. */
export interface DroppedFilesSummary {
  readonly accepted: number;
  readonly rows: number;
  /** The error objects refused files became, under `errors/<table>/files-failed/`. */
  readonly refused: readonly {
    readonly file: string;
    readonly errorObject: string;
    readonly reason: string;
  }[];
}

/**
 * `collect files --dir DIR --once`: ships the rows of every file under `DIR/<market table>/` that fits and
 * moves it to `DIR/processed/`; a file that does not fit goes whole to the lake's error location with its
 * reason, and leaves the drop directory. Rows are durable before their file moves, so a crash between the two
 * ships them again at the next pass, which their keys make harmless.
 */
export async function collectDroppedFiles(
  dataDir: string,
  dropDir: string,
  options: { readonly clock?: Clock; readonly log?: Log } = {},
): Promise<DroppedFilesSummary> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const paths = pipelinePaths(dataDir);
  await mkdir(paths.lake, { recursive: true });
  const drop = new FsObjectStore(dirname(resolve(dropDir)), basename(resolve(dropDir)));
  const lake = new FsObjectStore(paths.lake, LOCAL_LAKE_BUCKET);
  const lock = await lockDataDir(dataDir, 'totesys-stream collect');
  try {
    const now = clock.now();
    const { accepted, refused } = await readDroppedFiles(drop, '', now);
    const firehose = await openMarketFirehose(dataDir, options.log);
    let rows = 0;
    try {
      for (const file of accepted) {
        await shipObservations({ putter: firehose, clock }, file.table, file.rows);
        rows += file.rows.length;
      }
    } finally {
      await firehose.close();
    }
    for (const file of accepted) {
      const body = await drop.get(file.key);
      if (body) await drop.put(`processed/${file.key}`, body);
      await drop.delete(file.key);
    }
    const errors = [];
    for (const file of refused) {
      const errorObject = errorObjectKey(
        LAKE_PREFIXES.errors,
        file.table,
        ERROR_OUTPUT_TYPES.files,
        now,
        basename(file.key),
      );
      const document = processingFailedDocument(
        {
          data: file.body,
          arrivalMs: now,
          errorCode: 'Files.SchemaMismatch',
          errorMessage: file.reason,
          attemptsMade: 1,
        },
        'totesys-stream collect files',
        now,
      );
      await lake.put(errorObject, Buffer.from(`${document}\n`));
      await drop.delete(file.key);
      options.log?.warn('a dropped file does not fit its table; it is under the error prefix', {
        stage: 'collector',
        table: file.table,
        object: errorObject,
        reason: file.reason,
      });
      errors.push({ file: file.key, errorObject, reason: file.reason });
    }
    return { accepted: accepted.length, rows, refused: errors };
  } finally {
    await lock.release();
  }
}

async function openMarketFirehose(dataDir: string, log: Log | undefined): Promise<LocalFirehose> {
  const paths = pipelinePaths(dataDir);
  return LocalFirehose.open({
    spoolDir: paths.spool,
    streams: marketDeliveryStreams({
      store: new FsObjectStore(paths.lake, LOCAL_LAKE_BUCKET),
      bucket: LOCAL_LAKE_BUCKET,
      transform: transformHandler,
      failureReason: transformationFailure,
      processorBuffering: LOCAL_DEFAULTS.processorBuffering,
      bufferingHints: LOCAL_DEFAULTS.bufferingHints,
    }),
    onDeliveryError: (stream, error) =>
      log?.warn('delivery failed; retrying', { stage: 'firehose', stream, error }),
  });
}
