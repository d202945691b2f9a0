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
import {
  API_KEY_VARIABLES,
  type CollectionSummary,
  type ConfiguredCollector,
  collectOnce,
  configureCollector as configureCollectorOver,
  type MarketApi,
} from '../collect/configured-collector.ts';
import { collectDroppedFileBatch, type DroppedFilesSummary } from '../collect/dropped-file-batch.ts';
import { SYNTHETIC_EPOCH } from '../collect/synthetic/synthetic-market.ts';
import { describeErrorChain } from '../core/error-chain.ts';
import { type Clock, SYSTEM_CLOCK } from '../core/ports/clock.ts';
import type { Log } from '../core/ports/log.ts';
import type { RecordBatchPutter } from '../core/ports/record-batch-putter.ts';
import { type CollectorName, needsApiKey } from '../core/schema/market-lake-tables.ts';
import { LocalFirehose } from '../firehose/local-firehose.ts';
import { LOCAL_DEFAULTS, marketDeliveryStreams } from '../firehose/stream-config.ts';
import { handler as transformHandler } from '../functions/transformer/handler.ts';
import { FsObjectStore } from '../lake/fs-object-store.ts';
import { LOCAL_LAKE_BUCKET, pipelinePaths } from './data-dir-layout.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { transformationFailure } from './error-objects.ts';

export type { CollectionSummary, ConfiguredCollector, DroppedFilesSummary, MarketApi };

/**
 * The collector `name` over `api`; a keyed API's key comes from the environment (never a flag: shells log
 * them).
 */
export function configureCollector(
  name: CollectorName,
  api: MarketApi,
  clock: Clock = SYSTEM_CLOCK,
  env: NodeJS.ProcessEnv = process.env,
): ConfiguredCollector {
  const variable = needsApiKey(name) ? API_KEY_VARIABLES[name] : undefined;
  const apiKey = variable ? env[variable] : undefined;
  return configureCollectorOver(name, api, {
    clock,
    ...(apiKey ? { apiKey } : {}),
    missingKeyHint: `set ${variable}, or use --synthetic.`,
  });
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
    const firehose = await openMarketFirehose(dataDir, options.log);
    try {
      return await collectDroppedFileBatch({
        drop,
        dropPrefix: '',
        lake,
        putter: firehose,
        clock,
        ...(options.log ? { log: options.log } : {}),
      });
    } finally {
      // Delivers what is buffered: the rows are in the lake once this resolves.
      await firehose.close();
    }
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
