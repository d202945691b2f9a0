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
import { type MemoryBounds, readMemoryBounds } from '../core/memory-bounds.ts';
import {
  ENV,
  LOADER_INTERVAL_MS,
  LOCAL_LOADER_WAKE_FLOOR_MS,
  WATERMARK_ROUND_INTERVAL_MS,
} from '../core/operations.ts';
import { SYSTEM_CLOCK } from '../core/ports/clock.ts';
import { SILENT_LOG } from '../core/ports/log.ts';
import { DEFAULT_STREAM_PREFIX } from '../core/ports/record-batch-putter.ts';
import { parseReconnectBudget } from '../core/reconnect-budget.ts';
import { describeSpoolDamage, LocalFirehose } from '../firehose/local-firehose.ts';
import type { QuarantinedBytes } from '../firehose/spool.ts';
import { LOCAL_DEFAULTS, marketDeliveryStreams, totesysDeliveryStreams } from '../firehose/stream-config.ts';
import { createHandler as createTransformHandler } from '../functions/transformer/handler.ts';
import { DuckDbQueryEngine, duckDbMemory } from '../lake/duckdb-query-engine.ts';
import { FsObjectStore } from '../lake/fs-object-store.ts';
import { LakeObjectRecovery } from '../lake/lake-object-recovery.ts';
import { ObjectStoreRoundLog } from '../lake/object-store-round-log.ts';
import { ObjectStoreStateSnapshots } from '../lake/object-store-state-snapshots.ts';
import { MarketMergeGate } from '../loader/market-merge.ts';
import { type LoaderQueries, readLoaderQueries } from '../loader/run-load.ts';
import { createClient, createPool } from '../postgres/connections.ts';
import { FirehoseChangeStream } from '../reader/firehose-change-stream.ts';
import { type ReaderSummary, runReader } from '../reader/reader-loop.ts';
import { requestResnapshot } from '../reader/resnapshot-requests.ts';
import { FileStateStore } from '../reader/state/file-state-store.ts';
import { rereadingTruncatedTables } from '../reader/truncated-tables.ts';
import { UnshippableChanges } from '../reader/unshippable-changes.ts';
import { PgMarketWarehouse } from '../warehouse/pg-market-warehouse.ts';
import { PgWarehouse } from '../warehouse/pg-warehouse.ts';
import { migrateWarehouse } from '../warehouse/warehouse-migration.ts';
import { bindRunIdentity } from './data-dir-identity.ts';
import { LOCAL_LAKE_BUCKET, pipelinePaths } from './data-dir-layout.ts';
import { type DataDirLock, lockDataDir } from './data-dir-lock.ts';
import { transformationFailure } from './error-objects.ts';
import { compactLocalLake, compactOnSchedule } from './local-compaction.ts';
import { runForecastOnNewMarketDays } from './local-forecast.ts';
import { LocalLoaderLoop } from './local-loader-loop.ts';
import { runMarketCollection } from './market-collection.ts';
import type { LocalPipelineOptions } from './pipeline-options.ts';
import { superviseStage } from './stage-supervisor.ts';

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
  readonly #recovery: LakeObjectRecovery;
  readonly #roundLog: ObjectStoreRoundLog;
  readonly #marketPool: pg.Pool;
  readonly #loaderLoop: LocalLoaderLoop;
  #reader: Promise<ReaderSummary | undefined> = Promise.resolve(undefined);
  #market: Promise<void> = Promise.resolve();
  #forecast: Promise<void> = Promise.resolve();
  #loader: Promise<void> = Promise.resolve();
  #compactor: Promise<void> = Promise.resolve();
  #failure: PipelineError | undefined;
  #lock: DataDirLock | undefined;

  private constructor(
    options: LocalPipelineOptions,
    parts: {
      readonly firehose: LocalFirehose;
      readonly engine: DuckDbQueryEngine;
      readonly warehouse: PgWarehouse;
      readonly queries: LoaderQueries;
      readonly recovery: LakeObjectRecovery;
      readonly bounds: MemoryBounds;
      readonly lake: FsObjectStore;
    },
  ) {
    const { firehose, engine, warehouse, recovery, bounds, lake } = parts;
    this.#options = options;
    this.#bounds = bounds;
    this.#recovery = recovery;
    this.#firehose = firehose;
    this.#engine = engine;
    this.#warehouse = warehouse;
    this.#roundLog = new ObjectStoreRoundLog(lake);
    this.#marketPool = createPool({ connectionString: options.warehouseUrl, max: 1 });
    this.#loaderLoop = new LocalLoaderLoop({
      engine,
      warehouse,
      queries: parts.queries,
      roundLog: this.#roundLog,
      snapshots: new ObjectStoreStateSnapshots(lake),
      recovery,
      lake,
      marketMerge: new MarketMergeGate({ engine, warehouse: new PgMarketWarehouse(this.#marketPool), lake }),
      bounds,
      backlogs: () => firehose.metrics(),
      intervalMs: this.#loaderIntervalMs(),
      wakeFloorMs: options.loaderWakeFloorMs ?? LOCAL_LOADER_WAKE_FLOOR_MS,
      clock: options.clock ?? SYSTEM_CLOCK,
      signal: this.#abort.signal,
      ...(options.log ? { log: options.log } : {}),
      ...(options.onLoad ? { onLoad: options.onLoad } : {}),
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
        if (pipeline) pipeline.#loaderLoop.objectLanded();
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
    pipeline = new LocalPipeline(options, {
      firehose,
      engine,
      warehouse: new PgWarehouse({ url: options.warehouseUrl }),
      queries: await readLoaderQueries(),
      recovery,
      bounds,
      lake: store,
    });
    pipeline.#lock = lock;
    pipeline.#startReader(paths.state, store);
    pipeline.#loader = pipeline.#loaderLoop.run();
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
    return this.#loaderLoop.lastError;
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
    return this.#loaderLoop.runs;
  }

  /** Asks the loader to run now instead of at its next tick. */
  wakeLoader(): void {
    this.#loaderLoop.wake();
  }

  /** Stops the reader (it acks what was accepted), delivers what the Firehose buffered, closes everything. */
  async stop(): Promise<void> {
    this.#abort.abort();
    this.#loaderLoop.wake();
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
    await compactOnSchedule({
      everyMinutes: minutes,
      clock: this.#options.clock ?? SYSTEM_CLOCK,
      signal: this.#abort.signal,
      ...(this.#options.log ? { log: this.#options.log } : {}),
      compact: async () => {
        const outcome = await compactLocalLake({
          dataDir: this.#options.dataDir,
          warehouse: this.#warehouse,
          waitForDeletes: false,
          memoryBounds: this.#bounds,
          ...(this.#options.log ? { log: this.#options.log } : {}),
        });
        this.#options.onCompaction?.(outcome);
      },
    });
  }

  #loaderIntervalMs(): number {
    return this.#options.loaderIntervalMs ?? LOADER_INTERVAL_MS.local;
  }
}
