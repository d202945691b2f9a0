/**
 * @module
 * The whole pipeline in one process: the CDC reader (file StateStore under `<dataDir>/state`) puts change
 * events through the reader's Firehose ChangeStream into the local Firehose, which runs the real
 * transformation handler and writes Parquet into `<dataDir>/lake/totesys-lake/`; the loader runs over DuckDB
 * and loads the warehouse when the Firehose lands an object, and at least every second. Everything resumes where it stopped: the slot and the reader's
 * state, the Firehose spool, and the warehouse's cut.
 */
import { mkdir } from 'node:fs/promises';
import type pg from 'pg';
import { COMPACTION_SCHEDULE } from '../core/compaction-schedule.ts';
import { lakeTableOfStream } from '../core/delivery-stream-spec.ts';
import { FailureStreak } from '../core/failure-streak.ts';
import { type MemoryBounds, readMemoryBounds, windowRangeRows } from '../core/memory-bounds.ts';
import {
  DEFAULTS,
  ENV,
  LOADER_INTERVAL_MS,
  LOCAL_LOADER_WAKE_FLOOR_MS,
  WATERMARK_ROUND_INTERVAL_MS,
} from '../core/operations.ts';
import { type Clock, SYSTEM_CLOCK } from '../core/ports/clock.ts';
import { type Log, SILENT_LOG } from '../core/ports/log.ts';
import { DEFAULT_STREAM_PREFIX } from '../core/ports/record-batch-putter.ts';
import type { WaitingPartition } from '../core/ports/round-log.ts';
import { CutMovedError } from '../core/ports/warehouse.ts';
import { parseReconnectBudget, type ReconnectBudget } from '../core/reconnect-budget.ts';
import type { LakeTableName } from '../core/schema/lake-tables.ts';
import type { DeliveryOrder } from '../firehose/delivery-order.ts';
import { describeSpoolDamage, LocalFirehose } from '../firehose/local-firehose.ts';
import type { QuarantinedBytes } from '../firehose/spool.ts';
import { LOCAL_DEFAULTS, marketDeliveryStreams, totesysDeliveryStreams } from '../firehose/stream-config.ts';
import type { ForecastSettings } from '../forecast/forecast-settings.ts';
import { createHandler as createTransformHandler } from '../functions/transformer/handler.ts';
import { DuckDbQueryEngine, duckDbMemory } from '../lake/duckdb-query-engine.ts';
import { FsObjectStore } from '../lake/fs-object-store.ts';
import { LakeObjectRecovery } from '../lake/lake-object-recovery.ts';
import { ObjectStoreRoundLog } from '../lake/object-store-round-log.ts';
import { ObjectStoreStateSnapshots } from '../lake/object-store-state-snapshots.ts';
import { quarantinedPartitions } from '../lake/unreadable-objects.ts';
import { MarketMergeGate } from '../loader/market-merge.ts';
import { type LoaderQueries, type LoadOutcome, readLoaderQueries, runLoad } from '../loader/run-load.ts';
import { createClient, createPool } from '../postgres/connections.ts';
import { FirehoseChangeStream } from '../reader/firehose-change-stream.ts';
import type { SnapshotProgress } from '../reader/initial-snapshot.ts';
import { type ReaderSummary, runReader } from '../reader/reader-loop.ts';
import { requestResnapshot } from '../reader/resnapshot-requests.ts';
import { FileStateStore } from '../reader/state/file-state-store.ts';
import { rereadingTruncatedTables } from '../reader/truncated-tables.ts';
import { UnshippableChanges } from '../reader/unshippable-changes.ts';
import { databaseIdentity, inspectSlot } from '../source/source-inspector.ts';
import { PgMarketWarehouse } from '../warehouse/pg-market-warehouse.ts';
import { PgWarehouse } from '../warehouse/pg-warehouse.ts';
import { migrateWarehouse } from '../warehouse/warehouse-migration.ts';
import { bindPipelineIdentity } from './data-dir-identity.ts';
import { LOCAL_LAKE_BUCKET, pipelinePaths } from './data-dir-layout.ts';
import { type DataDirLock, lockDataDir } from './data-dir-lock.ts';
import { transformationFailure } from './error-objects.ts';
import { compactLocalLake, type LocalCompactionOutcome } from './local-compaction.ts';
import { runForecastOnNewMarketDays } from './local-forecast.ts';
import { type MarketCollection, runMarketCollection } from './market-collection.ts';
import { superviseStage } from './stage-supervisor.ts';

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
  readonly clock?: Pick<Clock, 'now'>;
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

/** Refuses a run whose data dir, source and warehouse do not belong together; records them on a first run. */
async function bindRunIdentity(options: LocalPipelineOptions, warehouse: pg.Client): Promise<void> {
  const names = pipelineNames(options);
  const source = createClient({ connectionString: options.sourceUrl });
  await source.connect();
  try {
    const sourceDb = await databaseIdentity(source);
    // Slot names are per cluster: a slot of that name for another database is not this source's.
    const slot = await inspectSlot(source, names.slot);
    await bindPipelineIdentity({
      dataDir: options.dataDir,
      current: { source: { ...sourceDb, ...names }, warehouse: await databaseIdentity(warehouse) },
      warehouse,
      slotExists: slot !== undefined && slot.database === sourceDb.database,
    });
  } finally {
    await source.end();
  }
}

/** A stage of the pipeline stopped with an error. */
export class PipelineError extends Error {
  override readonly name = 'PipelineError';
}

/** The running pipeline: started by {@link LocalPipeline.start}, stopped by {@link LocalPipeline.stop}. */
export class LocalPipeline {
  readonly #options: LocalPipelineOptions;
  readonly #bounds: MemoryBounds;
  readonly #abort = new AbortController();
  readonly #firehose: LocalFirehose;
  readonly #engine: DuckDbQueryEngine;
  readonly #warehouse: PgWarehouse;
  readonly #queries: LoaderQueries;
  readonly #recovery: LakeObjectRecovery;
  /** The partitions the previous loader run waited for (#noteLostWatermarks). */
  #waitingBefore: ReadonlySet<string> = new Set();
  readonly #roundLog: ObjectStoreRoundLog;
  readonly #snapshots: ObjectStoreStateSnapshots;
  #reader: Promise<ReaderSummary | undefined> = Promise.resolve(undefined);
  #market: Promise<void> = Promise.resolve();
  #forecast: Promise<void> = Promise.resolve();
  readonly #marketPool: pg.Pool;
  readonly #marketMerge: MarketMergeGate;
  readonly #lake: FsObjectStore;
  #loader: Promise<void> = Promise.resolve();
  #compactor: Promise<void> = Promise.resolve();
  #failure: PipelineError | undefined;
  #lastLoadError: Error | undefined;
  #wakeLoader: () => void = () => undefined;
  /** A lake object landed since the loader's current run began. */
  #landedSinceRun = false;
  #objectLandedWake: () => void = () => undefined;
  #loadRuns = 0;
  readonly #loadFailures: FailureStreak;
  #lock: DataDirLock | undefined;

  private constructor(
    options: LocalPipelineOptions,
    firehose: LocalFirehose,
    engine: DuckDbQueryEngine,
    warehouse: PgWarehouse,
    queries: LoaderQueries,
    recovery: LakeObjectRecovery,
    roundLog: ObjectStoreRoundLog,
    snapshots: ObjectStoreStateSnapshots,
    bounds: MemoryBounds,
    lake: FsObjectStore,
  ) {
    this.#options = options;
    this.#bounds = bounds;
    this.#recovery = recovery;
    this.#firehose = firehose;
    this.#engine = engine;
    this.#warehouse = warehouse;
    this.#queries = queries;
    this.#roundLog = roundLog;
    this.#snapshots = snapshots;
    this.#lake = lake;
    this.#marketPool = createPool({ connectionString: options.warehouseUrl, max: 1 });
    this.#loadFailures = new FailureStreak(options.clock ?? SYSTEM_CLOCK);
    this.#marketMerge = new MarketMergeGate({
      engine,
      warehouse: new PgMarketWarehouse(this.#marketPool),
      lake,
    });
  }

  /** Migrates the warehouse, opens the Firehose (delivering what a previous run spooled), starts both loops. */
  static async start(options: LocalPipelineOptions): Promise<LocalPipeline> {
    const paths = pipelinePaths(options.dataDir);
    await Promise.all([mkdir(paths.state, { recursive: true }), mkdir(paths.lake, { recursive: true })]);
    const lock = await lockDataDir(options.dataDir, options.command ?? 'totesys-stream');
    try {
      return await LocalPipeline.#startLocked(options, lock);
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  static async #startLocked(options: LocalPipelineOptions, lock: DataDirLock): Promise<LocalPipeline> {
    const paths = pipelinePaths(options.dataDir);
    const bounds = options.memoryBounds ?? readMemoryBounds(process.env);
    const client = createClient({ connectionString: options.warehouseUrl });
    await client.connect();
    try {
      await migrateWarehouse(client);
      // Before anything reads the slot or loads the lake: the data dir, source and warehouse must belong together.
      await bindRunIdentity(options, client);
    } finally {
      await client.end();
    }
    const store = new FsObjectStore(paths.lake, LOCAL_LAKE_BUCKET);
    const streamOptions = {
      store,
      bucket: LOCAL_LAKE_BUCKET,
      // A bad event packed among good ones goes to errors/<table>/transformer-failed/ on its own, the rest on.
      transform: createTransformHandler(options.log ?? SILENT_LOG, { errors: { store, now: Date.now } }),
      // Error documents carry each record's real reason (README, "Bad input flows aside").
      failureReason: transformationFailure,
      processorBuffering: LOCAL_DEFAULTS.processorBuffering,
      bufferingHints: LOCAL_DEFAULTS.bufferingHints,
    };
    // Set once built; the Firehose may deliver what a previous run spooled before then.
    let pipeline: LocalPipeline | undefined;
    const firehose = await LocalFirehose.open({
      spoolDir: paths.spool,
      streams: [...totesysDeliveryStreams(streamOptions), ...marketDeliveryStreams(streamOptions)],
      maxBacklogBytesPerStream: bounds.firehoseStreamBytes,
      onDeliveryError: (stream, error) =>
        options.log?.warn('delivery failed; retrying', { stage: 'firehose', stream, error }),
      ...(options.deliveryOrder ? { deliveryOrder: options.deliveryOrder } : {}),
      // A round is complete once its last watermark lands: the loader need not wait for its next tick.
      onDelivered: () => {
        if (pipeline) pipeline.#objectLanded();
      },
      // Loud: records the reader confirmed may be gone (status lists the quarantine files too).
      ...(options.log
        ? {
            onSpoolDamage: (stream: string, damage: QuarantinedBytes) =>
              options.log?.error(describeSpoolDamage(damage), { stage: 'firehose', stream }),
          }
        : {}),
    });
    const stateStore = new FileStateStore(paths.state);
    const recovery = new LakeObjectRecovery({
      store,
      root: store.root,
      requestReread: (tables) => requestResnapshot(stateStore, tables),
      ...(options.log ? { log: options.log } : {}),
    });
    let engine: DuckDbQueryEngine | undefined;
    while (engine === undefined) {
      try {
        engine = await DuckDbQueryEngine.open({
          lakeDir: paths.lake,
          bucket: LOCAL_LAKE_BUCKET,
          memory: duckDbMemory(bounds, paths.duckdbTemp),
        });
      } catch (error) {
        // An unreadable lake object must not keep the pipeline (and so the reader) from starting.
        if (!(await recovery.recover(error))) {
          await firehose.close().catch(() => undefined);
          throw error;
        }
      }
    }
    const warehouse = new PgWarehouse({ url: options.warehouseUrl });
    const roundLog = new ObjectStoreRoundLog(store);
    pipeline = new LocalPipeline(
      options,
      firehose,
      engine,
      warehouse,
      await readLoaderQueries(),
      recovery,
      roundLog,
      new ObjectStoreStateSnapshots(store),
      bounds,
      store,
    );
    pipeline.#lock = lock;
    pipeline.#startReader(paths.state, store);
    pipeline.#loader = pipeline.#loaderLoop();
    pipeline.#compactor = pipeline.#compactionLoop();
    if (options.market) {
      pipeline.#market = runMarketCollection(options.market, {
        putter: firehose,
        signal: pipeline.#abort.signal,
        ...(options.log ? { log: options.log } : {}),
      });
    }
    if (options.forecast) {
      pipeline.#forecast = runForecastOnNewMarketDays({
        engine,
        pool: pipeline.#marketPool,
        settings: options.forecast,
        signal: pipeline.#abort.signal,
        ...(options.log ? { log: options.log } : {}),
      });
    }
    return pipeline;
  }

  /** The first error a stage stopped with, if any. */
  get failure(): PipelineError | undefined {
    return this.#failure;
  }

  /** The last loader error (the loop keeps trying). */
  get lastLoadError(): Error | undefined {
    return this.#lastLoadError;
  }

  /** Lake objects this run moved to quarantine/ (their tables are re-read). */
  get quarantined(): LakeObjectRecovery['quarantined'] {
    return this.#recovery.quarantined;
  }

  /** The loader's query engine (the memory benchmark reads DuckDB's own memory from it). */
  get queryEngine(): DuckDbQueryEngine {
    return this.#engine;
  }

  /** The warehouse adapter (for cut and row counts). */
  get warehouse(): PgWarehouse {
    return this.#warehouse;
  }

  /** The local Firehose's streams' figures (their backlog bytes among them), for status and benchmarks. */
  firehoseMetrics(): ReturnType<LocalFirehose['metrics']> {
    return this.#firehose.metrics();
  }

  /** How many loader runs have finished. */
  get loadRuns(): number {
    return this.#loadRuns;
  }

  /** Asks the loader to run now instead of at its next tick. */
  wakeLoader(): void {
    this.#wakeLoader();
  }

  /** Stops the reader (it acks what was accepted), delivers what the Firehose buffered, closes everything. */
  async stop(): Promise<void> {
    this.#abort.abort();
    this.#wakeLoader();
    await this.#reader;
    await this.#market;
    await this.#forecast;
    await this.#loader;
    await this.#compactor;
    await this.#firehose
      .close()
      .catch((error: unknown) =>
        this.#options.log?.warn('closing the local Firehose failed', { stage: 'firehose', error }),
      );
    await this.#engine.close();
    await this.#warehouse.close();
    await this.#marketPool.end();
    await this.#lock?.release();
  }

  #startReader(stateDir: string, lake: FsObjectStore): void {
    const roundInterval = this.#options.watermarkIntervalMs ?? WATERMARK_ROUND_INTERVAL_MS.local;
    const heartbeatInterval = this.#options.watermarkIntervalMs ?? this.#loaderIntervalMs();
    const stateStore = new FileStateStore(stateDir);
    const unshippable = new UnshippableChanges({ store: lake, stateStore, log: this.#options.log });
    const firehose = new FirehoseChangeStream({
      putter: this.#firehose,
      streamPrefix: DEFAULT_STREAM_PREFIX,
      setAside: unshippable.setAside,
    });
    const budget =
      this.#options.reconnectBudget ??
      parseReconnectBudget(process.env[ENV.reconnectBudget], ENV.reconnectBudget);
    let summary: ReaderSummary | undefined;
    // The reader restarts with backoff whatever stopped it (a database restart, a source that is down when
    // `up` starts); only a reconnect budget the user set can make it give up.
    this.#reader = superviseStage({
      stage: 'reader',
      signal: this.#abort.signal,
      log: this.#options.log,
      budget,
      run: async () => {
        summary = await runReader({
          sourceUrl: this.#options.sourceUrl,
          // A TRUNCATE is answered with a re-read of its table (reader/truncated-tables.ts).
          changeStream: rereadingTruncatedTables(
            unshippable.watching(firehose),
            stateStore,
            this.#options.log,
          ),
          stateStore,
          roundLog: this.#roundLog,
          slot: this.#options.slot ?? process.env[ENV.slotName],
          publication: this.#options.publication ?? process.env[ENV.publicationName],
          signal: this.#abort.signal,
          watermarkIntervalMs: roundInterval,
          heartbeatIntervalMs: heartbeatInterval,
          // The figures `status` shows (a slot-lag query and a state write) need not follow the round cadence.
          metricsIntervalMs: heartbeatInterval,
          maxBufferedBytes: this.#bounds.readerBufferBytes,
          reconnect: { budget, ...this.#options.reconnectDelays },
          log: this.#options.log,
          onProgress: this.#options.onSnapshotProgress,
        });
      },
    }).then(
      () => summary,
      (error: unknown) => {
        this.#failure ??= new PipelineError(`The CDC reader stopped: ${(error as Error).message}`, {
          cause: error,
        });
        this.#options.log?.error('the CDC reader stopped', { stage: 'reader', error });
        return undefined;
      },
    );
  }

  /** Compacts the lake on its schedule; a failed run is reported and tried again at the next one. */
  async #compactionLoop(): Promise<void> {
    const minutes =
      this.#options.compactionEveryMinutes === undefined
        ? COMPACTION_SCHEDULE.local.everyMinutes
        : this.#options.compactionEveryMinutes;
    if (minutes === null) return;
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, minutes * 60_000);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
      if (signal.aborted) break;
      try {
        const outcome = await compactLocalLake({
          dataDir: this.#options.dataDir,
          warehouse: this.#warehouse,
          waitForDeletes: false,
          memoryBounds: this.#bounds,
          ...(this.#options.log ? { log: this.#options.log } : {}),
        });
        this.#options.onCompaction?.(outcome);
      } catch (error) {
        this.#options.log?.error('compaction failed; retrying at the next run', {
          stage: 'compaction',
          error,
        });
      }
    }
  }

  /** Lake tables whose delivery stream holds nothing it accepted and has not yet resolved (lake or errors/). */
  #settledTables(): ReadonlySet<LakeTableName> {
    const settled = new Set<LakeTableName>();
    for (const stream of this.#firehose.metrics()) {
      const table = lakeTableOfStream(stream.streamName);
      if (table !== undefined && stream.backlogBytes === 0) settled.add(table);
    }
    return settled;
  }

  /**
   * A partition the cut waited for in the previous run and still waits for, although its stream had resolved
   * everything it accepted before this run listed the lake, lost the object that held its watermark: the
   * previous run read the round, and the reader records a round only once Firehose accepted its watermarks,
   * so the watermark had been accepted then and, delivered since, would have been found. On a day that is
   * over no later watermark comes, so the cut would wait for good; instead the partition is noted and its
   * table re-read (lake/lake-object-recovery.ts). A wrong guess costs a re-read, never a row: the cut passes
   * the round only below the read (loader/consistent-cut.ts).
   */
  async #noteLostWatermarks(
    waiting: readonly WaitingPartition[],
    settled: ReadonlySet<LakeTableName>,
  ): Promise<void> {
    const idOf = (p: WaitingPartition) => `${p.table}|${p.dt}|${p.roundLsn}`;
    const before = this.#waitingBefore;
    this.#waitingBefore = new Set(waiting.map(idOf));
    const lost = waiting.filter((p) => before.has(idOf(p)) && settled.has(p.table));
    if (lost.length > 0) await this.#recovery.recoverLostWatermarks(lost);
  }

  #loaderIntervalMs(): number {
    return this.#options.loaderIntervalMs ?? LOADER_INTERVAL_MS.local;
  }

  async #loaderLoop(): Promise<void> {
    const interval = this.#loaderIntervalMs();
    const floor = this.#options.loaderWakeFloorMs ?? LOCAL_LOADER_WAKE_FLOOR_MS;
    while (!this.#abort.signal.aborted) {
      const began = Date.now();
      this.#landedSinceRun = false;
      // Sampled before the run lists the lake (see #noteLostWatermarks); only a partition that waited last run
      // can be found lost in this one.
      const settled = this.#waitingBefore.size > 0 ? this.#settledTables() : new Set<LakeTableName>();
      try {
        const outcome = await runLoad({
          engine: this.#engine,
          warehouse: this.#warehouse,
          queries: this.#queries,
          roundLog: this.#roundLog,
          snapshots: this.#snapshots,
          batchRows: this.#bounds.loaderBatchRows,
          lostPartitions: () => quarantinedPartitions(this.#lake),
          windowRangeRows: windowRangeRows(this.#bounds),
        });
        this.#lastLoadError = undefined;
        const recovered = this.#loadFailures.succeeded();
        if (recovered.tell) {
          this.#options.log?.info(
            `loading again after ${recovered.runs} failed runs over ${Math.round(recovered.failingForMs / 1000)} s`,
            { stage: 'loader' },
          );
        }
        // A partition short of what its round promised lost an object: its table is re-read.
        if (outcome.status === 'loaded' && outcome.missingRecords.length > 0)
          await this.#recovery.recoverMissing(outcome.missingRecords);
        await this.#noteLostWatermarks(outcome.waiting, settled);
        this.#options.onLoad?.(outcome);
        if (outcome.status === 'loaded') {
          this.#options.log?.debug('loaded', {
            stage: 'loader',
            lsn: outcome.toCut.lsn,
            counts: { ...outcome.rowsWritten, inferredMembers: outcome.inferredMembers.length },
          });
        }
      } catch (error) {
        // An unreadable lake object is moved aside and the load tried again at once.
        if (await this.#recovery.recover(error).catch(() => false)) continue;
        // A cut moved by another loader is not a failure; anything else is reported and retried next tick.
        if (!(error instanceof CutMovedError)) {
          this.#lastLoadError = error as Error;
          // Told at once, then once a minute while the same failure repeats (a warehouse outage), not every tick.
          const notice = this.#loadFailures.failed(error);
          if (notice.tell) {
            this.#options.log?.error(
              notice.first
                ? 'load failed; retrying at the next tick'
                : `load still failing: ${notice.runs} runs failed over ${Math.round(notice.failingForMs / 1000)} s; retrying at every tick, told once a minute`,
              { stage: 'loader', error },
            );
          }
        }
      }
      // Observations take no part in the cut: merged by key after the star load, whatever its outcome, when a
      // market object came or went since the last merge; a failed merge is logged and retried (the gate).
      await this.#marketMerge.mergeIfLakeChanged(this.#options.log);
      this.#loadRuns++;
      await this.#pauseBeforeNextRun(began, interval, floor);
    }
  }

  /**
   * Waits until `interval` after the last run ended, or until a lake object landed (during the run or since)
   * and `floor` has passed since it began, or until {@link wakeLoader} or stop.
   */
  async #pauseBeforeNextRun(began: number, interval: number, floor: number): Promise<void> {
    await new Promise<void>((resolve) => {
      let soon: NodeJS.Timeout | undefined;
      const longest = setTimeout(done, interval);
      function done() {
        clearTimeout(longest);
        clearTimeout(soon);
        resolve();
      }
      const landed = () => {
        soon ??= setTimeout(done, Math.max(0, began + floor - Date.now()));
      };
      this.#wakeLoader = done;
      this.#objectLandedWake = landed;
      if (this.#landedSinceRun) landed();
    });
    this.#objectLandedWake = () => undefined;
  }

  /** The local Firehose wrote a lake object: the loader runs soon (see {@link #pauseBeforeNextRun}). */
  #objectLanded(): void {
    this.#landedSinceRun = true;
    this.#objectLandedWake();
  }
}
