/**
 * @module
 * `up`'s loader: runs a load when the local Firehose lands an object (no sooner than a floor after the previous
 * run began) and at least every interval, hands lost lake objects to their recovery, merges market
 * observations after each run, and keeps trying through failures, told once a minute while one repeats.
 */
import { lakeTableOfStream } from '../core/delivery-stream-spec.ts';
import { FailureStreak } from '../core/failure-streak.ts';
import { type MemoryBounds, windowRangeRows } from '../core/memory-bounds.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { Log } from '../core/ports/log.ts';
import type { RoundLog, WaitingPartition } from '../core/ports/round-log.ts';
import type { StateSnapshots } from '../core/ports/state-snapshots.ts';
import { CutMovedError } from '../core/ports/warehouse.ts';
import type { LakeTableName } from '../core/schema/lake-tables.ts';
import type { DuckDbQueryEngine } from '../lake/duckdb-query-engine.ts';
import type { FsObjectStore } from '../lake/fs-object-store.ts';
import type { LakeObjectRecovery } from '../lake/lake-object-recovery.ts';
import { quarantinedPartitions } from '../lake/unreadable-objects.ts';
import type { MarketMergeGate } from '../loader/market-merge.ts';
import { type LoaderQueries, type LoadOutcome, runLoad } from '../loader/run-load.ts';
import type { PgWarehouse } from '../warehouse/pg-warehouse.ts';

/** A delivery stream's backlog, as the local Firehose's metrics give it. */
export interface StreamBacklog {
  readonly streamName: string;
  readonly backlogBytes: number;
}

/** What the loader loop runs over, and how often. */
export interface LocalLoaderLoopOptions {
  readonly engine: DuckDbQueryEngine;
  readonly warehouse: PgWarehouse;
  readonly queries: LoaderQueries;
  readonly roundLog: RoundLog;
  readonly snapshots: StateSnapshots;
  readonly recovery: LakeObjectRecovery;
  readonly lake: FsObjectStore;
  readonly marketMerge: MarketMergeGate;
  readonly bounds: MemoryBounds;
  /** The delivery streams' backlogs now (the local Firehose's metrics). */
  readonly backlogs: () => readonly StreamBacklog[];
  /** Longest pause between two runs. */
  readonly intervalMs: number;
  /** Least time from a run's start to the next run a landed object asks for. */
  readonly wakeFloorMs: number;
  readonly clock: Pick<Clock, 'now'>;
  readonly signal: AbortSignal;
  readonly log?: Log;
  readonly onLoad?: (outcome: LoadOutcome) => void;
}

/** The loop; {@link LocalLoaderLoop.run} resolves once the signal aborted and the current run finished. */
export class LocalLoaderLoop {
  readonly #options: LocalLoaderLoopOptions;
  readonly #failures: FailureStreak;
  /** The partitions the previous run waited for (#noteLostWatermarks). */
  #waitingBefore: ReadonlySet<string> = new Set();
  #wake: () => void = () => undefined;
  /** A lake object landed since the current run began. */
  #landedSinceRun = false;
  #landedWake: () => void = () => undefined;
  #runs = 0;
  #lastError: Error | undefined;

  constructor(options: LocalLoaderLoopOptions) {
    this.#options = options;
    this.#failures = new FailureStreak(options.clock);
  }

  /** How many runs have finished. */
  get runs(): number {
    return this.#runs;
  }

  /** The last run's error, if it failed (the loop keeps trying). */
  get lastError(): Error | undefined {
    return this.#lastError;
  }

  /** Ends the current pause: the next run starts now. */
  wake(): void {
    this.#wake();
  }

  /** The local Firehose wrote a lake object: the next run comes soon (see {@link #pause}). */
  objectLanded(): void {
    this.#landedSinceRun = true;
    this.#landedWake();
  }

  async run(): Promise<void> {
    const { signal, recovery } = this.#options;
    while (!signal.aborted) {
      const began = Date.now();
      this.#landedSinceRun = false;
      // Sampled before the run lists the lake (see #noteLostWatermarks); only a partition that waited last run
      // can be found lost in this one.
      const settled = this.#waitingBefore.size > 0 ? this.#settledTables() : new Set<LakeTableName>();
      try {
        await this.#load(settled);
      } catch (error) {
        // An unreadable lake object is moved aside and the load tried again at once.
        if (await recovery.recover(error).catch(() => false)) continue;
        // A cut moved by another loader is not a failure; anything else is reported and retried next tick.
        if (!(error instanceof CutMovedError)) this.#failed(error as Error);
      }
      // Observations take no part in the cut: merged by key after the star load, whatever its outcome, when a
      // market object came or went since the last merge; a failed merge is logged and retried (the gate).
      await this.#options.marketMerge.mergeIfLakeChanged(this.#options.log);
      this.#runs++;
      await this.#pause(began);
    }
  }

  async #load(settled: ReadonlySet<LakeTableName>): Promise<void> {
    const options = this.#options;
    const outcome = await runLoad({
      engine: options.engine,
      warehouse: options.warehouse,
      queries: options.queries,
      roundLog: options.roundLog,
      snapshots: options.snapshots,
      batchRows: options.bounds.loaderBatchRows,
      lostPartitions: () => quarantinedPartitions(options.lake),
      windowRangeRows: windowRangeRows(options.bounds),
    });
    this.#lastError = undefined;
    const recovered = this.#failures.succeeded();
    if (recovered.tell) {
      options.log?.info(
        `loading again after ${recovered.runs} failed runs over ${Math.round(recovered.failingForMs / 1000)} s`,
        { stage: 'loader' },
      );
    }
    // A partition short of what its round promised lost an object: its table is re-read.
    if (outcome.status === 'loaded' && outcome.missingRecords.length > 0)
      await options.recovery.recoverMissing(outcome.missingRecords);
    await this.#noteLostWatermarks(outcome.waiting, settled);
    options.onLoad?.(outcome);
    if (outcome.status === 'loaded') {
      options.log?.debug('loaded', {
        stage: 'loader',
        lsn: outcome.toCut.lsn,
        counts: { ...outcome.rowsWritten, inferredMembers: outcome.inferredMembers.length },
      });
    }
  }

  #failed(error: Error): void {
    this.#lastError = error;
    // Told at once, then once a minute while the same failure repeats (a warehouse outage), not every tick.
    const notice = this.#failures.failed(error);
    if (!notice.tell) return;
    this.#options.log?.error(
      notice.first
        ? 'load failed; retrying at the next tick'
        : `load still failing: ${notice.runs} runs failed over ${Math.round(notice.failingForMs / 1000)} s; retrying at every tick, told once a minute`,
      { stage: 'loader', error },
    );
  }

  /** Lake tables whose delivery stream holds nothing it accepted and has not yet resolved (lake or errors/). */
  #settledTables(): ReadonlySet<LakeTableName> {
    const settled = new Set<LakeTableName>();
    for (const stream of this.#options.backlogs()) {
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
    if (lost.length > 0) await this.#options.recovery.recoverLostWatermarks(lost);
  }

  /**
   * Waits until the interval after the last run ended, or until a lake object landed (during the run or since)
   * and the floor has passed since the run began, or until {@link wake}.
   */
  async #pause(began: number): Promise<void> {
    const { intervalMs, wakeFloorMs } = this.#options;
    await new Promise<void>((resolve) => {
      let soon: NodeJS.Timeout | undefined;
      const longest = setTimeout(done, intervalMs);
      function done() {
        clearTimeout(longest);
        clearTimeout(soon);
        resolve();
      }
      const landed = () => {
        soon ??= setTimeout(done, Math.max(0, began + wakeFloorMs - Date.now()));
      };
      this.#wake = done;
      this.#landedWake = landed;
      if (this.#landedSinceRun) landed();
    });
    this.#landedWake = () => undefined;
  }
}
