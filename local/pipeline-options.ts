/**
 * @module
 * How to run the local pipeline (local/pipeline.ts): what `up`, `sync`, the benchmarks and the end-to-end
 * tests pass it, and the replication names it reads when they pass none.
 */

import type { MemoryBounds } from '../core/memory-bounds.ts';
import { DEFAULTS, ENV } from '../core/operations.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { Log } from '../core/ports/log.ts';
import type { ReconnectBudget } from '../core/reconnect-budget.ts';
import type { DeliveryOrder } from '../firehose/delivery-order.ts';
import type { ForecastSettings } from '../forecast/forecast-settings.ts';
import type { LoadOutcome } from '../loader/run-load.ts';
import type { SnapshotProgress } from '../reader/initial-snapshot.ts';
import type { LocalCompactionOutcome } from './local-compaction.ts';
import type { MarketCollection } from './market-collection.ts';

/** How to run the local pipeline. */
export interface LocalPipelineOptions {
  readonly sourceUrl: string;
  readonly warehouseUrl: string;
  readonly dataDir: string;
  /**
   * Longest pause between loader runs; a lake object landing wakes the loader sooner, never sooner than
   * {@link LocalPipelineOptions.loaderWakeFloorMs} after the previous run began.
   * @default LOADER_INTERVAL_MS.local (core/operations.ts)
   */
  readonly loaderIntervalMs?: number;
  /** @default LOCAL_LOADER_WAKE_FLOOR_MS (core/operations.ts) */
  readonly loaderWakeFloorMs?: number;
  /**
   * Least time between two watermark rounds. @default WATERMARK_ROUND_INTERVAL_MS.local (core/operations.ts)
   * The heartbeat runs at this interval when given, else at the loader's.
   */
  readonly watermarkIntervalMs?: number;
  /** Delays and failed deliveries of the local Firehose's partitions (tests of the delivery order). */
  readonly deliveryOrder?: DeliveryOrder;
  /** Replication slot; default TOTESYS_SLOT, else `totesys_stream`. */
  readonly slot?: string;
  /** Publication; default TOTESYS_PUBLICATION, else `totesys_stream`. */
  readonly publication?: string;
  /** One JSON object per notable event (default: none; `up` prints them). */
  readonly log?: Log;
  /** Told about every loader run. */
  readonly onLoad?: (outcome: LoadOutcome) => void;
  /**
   * How long the reader may keep failing before the pipeline stops; default TOTESYS_RECONNECT_BUDGET_SECONDS,
   * else for ever.
   */
  readonly reconnectBudget?: ReconnectBudget;
  /** The reader's reconnect backoff (tests shorten it). @default 200 ms doubling to 10 s */
  readonly reconnectDelays?: { readonly baseDelayMs: number; readonly maxDelayMs: number };
  /**
   * Minutes between two compactions of the lake (core/compaction-schedule.ts); null never compacts.
   * @default COMPACTION_SCHEDULE.local.everyMinutes
   */
  readonly compactionEveryMinutes?: number | null;
  /** Told about every compaction run. */
  readonly onCompaction?: (outcome: LocalCompactionOutcome) => void;
  /** Told how the reader's initial snapshot (or a requested re-read) progresses, per table. */
  readonly onSnapshotProgress?: (progress: SnapshotProgress) => void;
  /** The command running the pipeline, recorded in the data dir's lock (`totesys-stream up`). */
  readonly command?: string;
  /**
   * Collectors to run beside the reader (README, "Market data"); `up` runs them on the synthetic market.
   * @default none
   */
  readonly market?: MarketCollection;
  /**
   * The gold-price model's settings when `up` runs it on new market days (README, "The gold-price model").
   * @default not run
   */
  readonly forecast?: ForecastSettings;
  /** What each stage may hold (core/memory-bounds.ts). @default the environment's, else the defaults */
  readonly memoryBounds?: MemoryBounds;
  /** When a failing loader tells it again is measured on it (core/failure-streak.ts). @default the wall clock */
  readonly clock?: Clock;
}

/** The names the reader uses on the source: the options', else the environment's, else the defaults. */
export function pipelineNames(options: Pick<LocalPipelineOptions, 'slot' | 'publication'>): {
  slot: string;
  publication: string;
} {
  return {
    slot: options.slot ?? process.env[ENV.slotName] ?? DEFAULTS.slotName,
    publication: options.publication ?? process.env[ENV.publicationName] ?? DEFAULTS.publicationName,
  };
}
