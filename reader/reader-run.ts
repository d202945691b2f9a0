/**
 * @module
 * The steps of one reader run (reader/reader-loop.ts strings them together): prepare the source, finish the
 * snapshot, start at the slot's position, keep the periodic tasks going, stream session after session until
 * asked to stop, and close out with a watermark round of what was acknowledged. Every wait and every timestamp goes
 * through the injected clock.
 */

import type pg from 'pg';
import { failureKind } from '../core/failure-kind.ts';
import { FailureStreak } from '../core/failure-streak.ts';
import { type Lsn, lsnToDecimal } from '../core/lsn.ts';
import { DEFAULTS } from '../core/operations.ts';
import { type Clock, repeatUntilAborted, SYSTEM_CLOCK } from '../core/ports/clock.ts';
import { type Log, SILENT_LOG } from '../core/ports/log.ts';
import { type MetricsPublisher, UNPUBLISHED_METRICS } from '../core/ports/metrics.ts';
import { describeReconnectBudget } from '../core/reconnect-budget.ts';
import type { SourceTableName } from '../core/schema/source-tables.ts';
import { stopRequest } from '../core/stop-request.ts';
import { ControlConnection } from './control-connection.ts';
import { DurablePosition } from './durable-position.ts';
import {
  ensureSnapshot,
  SnapshotAbandonedError,
  type SnapshotContext,
  type SnapshotSummary,
} from './initial-snapshot.ts';
import { METRICS_STATE_KEY, ReaderMetrics } from './reader-metrics.ts';
import { ReaderError, type ReaderOptions, type ReaderSummary } from './reader-options.ts';
import { StopRequest } from './reader-stop.ts';
import { ReconnectBackoff } from './reconnect-backoff.ts';
import type { ReplicationError } from './replication-source.ts';
import { RequestedRereads } from './requested-rereads.ts';
import { SchemaDriftRecords } from './schema-drift.ts';
import { prepareSource } from './source-setup.ts';
import { StreamSession } from './stream-session.ts';
import { TableStates } from './table-states.ts';
import { WatermarkRounds } from './watermark-rounds.ts';

/** PostgreSQL's code for an object that does not exist: here, the slot dropped under the reader. */
const UNDEFINED_OBJECT = '42704';

/** One run of the reader: its settings, its position and figures, and the steps it goes through. */
export class ReaderRun {
  readonly #options: ReaderOptions;
  readonly #clock: Clock;
  readonly #started: number;
  readonly #connection: pg.ClientConfig;
  readonly #slot: string;
  readonly #publication: string;
  readonly #log: Log;
  readonly #publisher: MetricsPublisher;
  readonly #metrics = new ReaderMetrics();
  readonly #maxBufferedBytes: number;
  readonly #flushBytes: number;
  readonly #control: ControlConnection;
  readonly #stop = new StopRequest();
  /** Aborted when the run ends: ends the budget's sleep and the periodic tasks. */
  readonly #ended = new AbortController();
  readonly #unwatch: () => void;
  readonly #position: DurablePosition;
  /** The change stream every put goes through: it notes the partitions each round must give a watermark. */
  readonly #rounds: WatermarkRounds;
  #target: Lsn | undefined;
  #session: StreamSession | undefined;
  #snapshot: SnapshotSummary = { createdSlot: false, tables: [] };
  #rereads: RequestedRereads | undefined;
  readonly #drift: SchemaDriftRecords;
  #periodic: Promise<void>[] = [];
  #watermarks = 0;

  constructor(options: ReaderOptions) {
    this.#options = options;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#started = this.#clock.now();
    this.#connection = options.source ?? { connectionString: options.sourceUrl };
    this.#slot = options.slot ?? DEFAULTS.slotName;
    this.#publication = options.publication ?? DEFAULTS.publicationName;
    this.#log = (options.log ?? SILENT_LOG).with({ stage: 'reader' });
    this.#publisher = options.metrics ?? UNPUBLISHED_METRICS;
    this.#drift = new SchemaDriftRecords({
      stateStore: options.stateStore,
      log: this.#log,
      metrics: this.#publisher,
    });
    this.#maxBufferedBytes = options.maxBufferedBytes ?? 32 * 1024 * 1024;
    this.#flushBytes = Math.min(options.flushBytes ?? 1024 * 1024, Math.floor(this.#maxBufferedBytes / 2));
    this.#control = new ControlConnection(this.#connection);
    this.#rounds = new WatermarkRounds({
      stream: options.changeStream,
      stateStore: options.stateStore,
      ...(options.roundLog ? { roundLog: options.roundLog } : {}),
      now: () => new Date(this.#clock.now()),
    });
    this.#position = new DurablePosition(0n, (lsn) => {
      if (this.#target !== undefined && lsn >= this.#target) this.#stop.request('target');
    });
    this.#unwatch = this.#stop.watch({
      signal: options.signal,
      budgetMs: options.budgetMs,
      clock: this.#clock,
      done: this.#ended.signal,
    });
  }

  /** Checks the source and creates the publication (and nothing else) if it is missing. */
  async prepareSource(): Promise<void> {
    // A round owed by a run that stopped with unrecorded changes is read before anything is put.
    await this.#rounds.start();
    await this.#control.use(async (client) => {
      await prepareSource(client, { slot: this.#slot, publication: this.#publication });
      await this.#drift.observeCatalog(client);
    });
  }

  /** Copies the tables not copied yet; false when the run was asked to stop before it finished. */
  async finishSnapshot(): Promise<boolean> {
    const context = await this.#snapshotContext();
    this.#rereads = new RequestedRereads(context, this.#options.stateStore, this.#log);
    try {
      this.#snapshot = await ensureSnapshot(context);
      return true;
    } catch (error) {
      // Out of budget mid-snapshot: finished tables are recorded, the next run resumes with the rest.
      if (!(error instanceof SnapshotAbandonedError)) throw error;
      this.#log.info('stopping during the snapshot; the next run resumes it');
      return false;
    }
  }

  /** Starts from the slot's confirmed position and fixes the target LSN, if the run has one. */
  async startAtSlotPosition(): Promise<void> {
    this.#position.advance(await this.#control.confirmedFlush(this.#slot));
    const stopAt = this.#options.stopAtLsn;
    this.#target = stopAt === 'current' ? await this.#control.currentWalLsn() : (stopAt ?? undefined);
    if (this.#target !== undefined && this.#position.lsn >= this.#target) this.#stop.request('target');
  }

  /** The heartbeat, the watermarks and metrics, and the re-read polls, each on its own cadence. */
  startPeriodicTasks(): void {
    const options = this.#options;
    const repeat = (ms: number, task: () => Promise<void> | void) => {
      // Told at once, then once a minute while the same failure repeats (a database outage), not every tick.
      const failures = new FailureStreak(this.#clock);
      this.#periodic.push(
        repeatUntilAborted(
          this.#clock,
          ms,
          this.#ended.signal,
          async () => {
            await task();
            failures.succeeded();
          },
          (error) => {
            if (failures.failed(error).tell) this.#log.warn('periodic task failed', { error });
          },
        ),
      );
    };
    repeat(options.heartbeatIntervalMs ?? 10_000, () => this.#control.heartbeat());
    const watermarkMs = options.watermarkIntervalMs ?? 5000;
    repeat(watermarkMs, () => this.#putWatermarks());
    repeat(options.metricsIntervalMs ?? watermarkMs, () => this.#publishMetrics());
    repeat(options.resnapshotPollMs ?? 5000, () => this.#pollRereads());
    this.#pollRereads();
  }

  /** Streams session after session, reconnecting with backoff, until a stop is requested. */
  async streamUntilStopped(): Promise<void> {
    const backoff = new ReconnectBackoff(this.#options.reconnect);
    while (this.#stop.reason === undefined) {
      const sessionStart = this.#position.lsn;
      const session = this.#openSession();
      const running = session.run(this.#options.statusIntervalMs ?? 10_000);
      // Released however the session ends: see core/stop-request.ts.
      const stopped = stopRequest(this.#stop.signal);
      const failure = await Promise.race([
        running.then(
          () => new ReaderError('The replication connection closed.'),
          (error: unknown) => error,
        ),
        stopped.requested,
      ]).finally(stopped.release);
      if (failure === undefined) {
        // Stop requested while streaming: ship, acknowledge, and wait until the server shows the position.
        const confirm = (lsn: Lsn) => this.#control.waitForConfirmedFlush(this.#slot, lsn);
        this.#position.advance(await session.finish(confirm));
        await running.catch(() => undefined);
        return;
      }
      this.#position.advance(session.durable);
      await this.#waitBeforeReconnecting(failure, session.durable > sessionStart, backoff);
    }
  }

  /** Stops the periodic tasks and any re-read, then puts the closing watermark and the last figures. */
  async closeOut(): Promise<void> {
    await this.#endPeriodicTasks();
    // The closing watermark goes out only now that the acknowledgement it describes is confirmed.
    await this.#putWatermarks();
    await this.#publishMetrics();
  }

  /** Releases everything the run holds, whether it ended well or not. */
  async release(): Promise<void> {
    this.#ended.abort();
    this.#unwatch();
    await Promise.allSettled(this.#periodic);
    await this.#control.close();
  }

  summary(): ReaderSummary {
    const metrics = this.#metrics;
    return {
      stoppedBy: this.#stop.reason ?? 'signal',
      snapshot: this.#snapshot,
      durableLsn: lsnToDecimal(this.#position.lsn),
      eventsShipped: metrics.eventsShipped,
      bytesShipped: metrics.bytesShipped,
      putRetries: metrics.putRetries,
      transactions: metrics.transactions,
      reconnects: metrics.reconnects,
      watermarks: this.#watermarks,
      peakBufferedBytes: metrics.peakBufferedBytes,
      elapsedMs: this.#clock.now() - this.#started,
    };
  }

  async #snapshotContext(): Promise<SnapshotContext> {
    const options = this.#options;
    const roundLog = options.roundLog;
    return {
      connection: this.#connection,
      slot: this.#slot,
      stream: this.#rounds,
      tables: await TableStates.open(options.stateStore, this.#slot, this.#clock),
      clock: this.#clock,
      batchBytes: this.#flushBytes,
      maxInFlightBytes: Math.max(this.#maxBufferedBytes - this.#flushBytes, 1),
      onProgress: options.onProgress,
      onReport: (report) => this.#metrics.addReport(report),
      // The loader deletes keys absent from a complete read (loader/complete-reads.ts).
      ...(roundLog ? { onCompleteRead: (read) => roundLog.recordCompleteRead(read) } : {}),
      shouldStop: () => this.#stop.reason !== undefined,
      log: this.#log,
    };
  }

  #openSession(): StreamSession {
    this.#session = new StreamSession({
      connection: this.#connection,
      slot: this.#slot,
      publication: this.#publication,
      stream: this.#rounds,
      startDurable: this.#position.lsn,
      maxBufferedBytes: this.#maxBufferedBytes,
      flushBytes: this.#flushBytes,
      metrics: this.#metrics,
      log: this.#log,
      clock: this.#clock,
      onDurable: (lsn) => this.#position.advance(lsn),
      onRelation: (table, columns) => this.#observeRelation(table, columns),
    });
    return this.#session;
  }

  /** Gives up on a lost slot or too many sessions without progress; otherwise backs off on the clock. */
  async #waitBeforeReconnecting(
    error: unknown,
    progressed: boolean,
    backoff: ReconnectBackoff,
  ): Promise<void> {
    if ((error as ReplicationError).code === UNDEFINED_OBJECT) {
      throw new ReaderError(
        `Replication slot "${this.#slot}" disappeared while streaming; restart the reader to snapshot again.`,
        { cause: error },
      );
    }
    // What fails the same on every attempt (a change over the Firehose record limit with nowhere to set it
    // aside, a stream that does not exist) is reported at once, not retried until a budget runs out.
    if (failureKind(error) === 'deterministic') {
      throw new ReaderError(
        `Streaming from slot "${this.#slot}" failed in a way that fails the same on every attempt, so it is ` +
          `not retried: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const decision = backoff.afterSession(progressed, this.#clock.now());
    if (decision.kind === 'give-up') {
      throw new ReaderError(
        `Gave up after ${decision.attempts} failed reconnects to slot "${this.#slot}" in ` +
          `${Math.round(decision.failingForMs / 1000)} s (reconnect budget ${describeReconnectBudget(backoff.budget)}): ` +
          `${(error as Error).message}`,
        { cause: error },
      );
    }
    this.#metrics.reconnects += 1;
    const delayMs = Math.round(decision.delayMs);
    if (decision.tell) {
      this.#log.warn(
        decision.attempts === 1
          ? 'replication interrupted; reconnecting'
          : `still reconnecting after ${Math.round(decision.failingForMs / 1000)} s (${decision.attempts - 1} ` +
              `attempts; budget ${describeReconnectBudget(backoff.budget)})`,
        { slot: this.#slot, delayMs, error },
      );
    }
    await this.#clock.sleep(decision.delayMs, this.#stop.signal);
    this.#position.advance(await this.#control.confirmedFlush(this.#slot).catch(() => this.#position.lsn));
  }

  /** A relation message of the stream, compared with the schema (reader/schema-drift.ts). */
  #observeRelation(table: SourceTableName, columns: readonly string[]): void {
    void this.#drift
      .observe(
        table,
        columns.map((name) => ({ name })),
        'stream',
      )
      .catch((error: unknown) => this.#log.warn('schema drift could not be recorded', { table, error }));
  }

  #pollRereads(): void {
    this.#rereads?.poll();
  }

  async #endPeriodicTasks(): Promise<void> {
    this.#ended.abort();
    await Promise.allSettled(this.#periodic);
    await this.#rereads?.settled();
  }

  async #putWatermarks(): Promise<void> {
    const lsn = this.#rereads?.watermarkLsn(this.#position.lsn) ?? this.#position.lsn - 1n;
    if (lsn <= 0n) return;
    if ((await this.#rounds.closeRound(lsn)) === 'round') this.#watermarks += 1;
  }

  async #publishMetrics(): Promise<void> {
    const metrics = this.#metrics;
    metrics.slotLagBytes = await this.#control.slotLagBytes(this.#slot).catch(() => null);
    const oldest = this.#session?.oldestPendingCommitMs();
    metrics.lagSeconds = oldest === undefined ? 0 : Math.max(0, (this.#clock.now() - oldest) / 1000);
    this.#publisher.publish(metrics.points());
    const now = new Date(this.#clock.now());
    await this.#options.stateStore.put(
      METRICS_STATE_KEY,
      metrics.snapshot(lsnToDecimal(this.#position.lsn), now),
    );
  }
}
