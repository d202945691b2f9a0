/**
 * @module
 * The reader loop: check and prepare the source, finish the snapshot, then stream until the time budget is
 * nearly spent, the signal aborts or a target LSN is durable; reconnect with backoff in between; keep the slot
 * moving with a heartbeat; put watermarks into every stream; and end with everything shipped and acknowledged.
 * The Lambda handler and the local runtime run this same function.
 */
import type pg from 'pg';
import { failureKind } from '../core/failure-kind.ts';
import { type Lsn, lsnToDecimal, minLsn } from '../core/lsn.ts';
import { DEFAULTS } from '../core/operations.ts';
import type { ChangeStream } from '../core/ports/change-stream.ts';
import { type Log, SILENT_LOG } from '../core/ports/log.ts';
import { type MetricsPublisher, UNPUBLISHED_METRICS } from '../core/ports/metrics.ts';
import type { StateStore } from '../core/ports/state-store.ts';
import {
  DEFAULT_RECONNECT_BUDGET,
  describeReconnectBudget,
  type ReconnectBudget,
  reconnectBudgetMs,
  STILL_TRYING_NOTICE_MS,
} from '../core/reconnect-budget.ts';
import type { SourceTableName } from '../core/schema/source-tables.ts';
import { snapshotRowsLsn, watermarkEvents } from './change-events.ts';
import { ControlConnection } from './control-connection.ts';
import { DurablePosition } from './durable-position.ts';
import {
  ensureSnapshot,
  rereadTables,
  SnapshotAbandonedError,
  type SnapshotContext,
  type SnapshotProgress,
  type SnapshotSummary,
} from './initial-snapshot.ts';
import { METRICS_STATE_KEY, ReaderMetrics } from './reader-metrics.ts';
import type { ReplicationError } from './replication-source.ts';
import { completeResnapshots, pendingResnapshots, requestedTables } from './resnapshot-requests.ts';
import { SchemaDriftRecords } from './schema-drift.ts';
import { prepareSource } from './source-setup.ts';
import { StreamSession } from './stream-session.ts';

/** Options of {@link runReader}. Only the connection, stream and state store are required. */
export interface ReaderOptions {
  /** A postgres:// URL of the source, or a full client config (TLS, credentials from a secret). */
  readonly sourceUrl?: string;
  readonly source?: pg.ClientConfig;
  readonly changeStream: ChangeStream;
  readonly stateStore: StateStore;
  /** @default 'totesys_stream' */
  readonly slot?: string;
  /** @default 'totesys_stream' */
  readonly publication?: string;
  /** Stop streaming this many ms after the start (the Lambda's remaining time minus a margin). */
  readonly budgetMs?: number;
  readonly signal?: AbortSignal;
  /** Stop once everything up to this LSN is durable; `current` = the source's WAL position after the snapshot. */
  readonly stopAtLsn?: Lsn | 'current';
  /** @default 5000 */
  readonly watermarkIntervalMs?: number;
  /** @default 10000 */
  readonly heartbeatIntervalMs?: number;
  /** Standby status period. @default 10000 */
  readonly statusIntervalMs?: number;
  /** How often to look for `--resnapshot` requests. @default 5000 */
  readonly resnapshotPollMs?: number;
  /** Bound of decoded-but-unaccepted bytes. @default 32 MiB */
  readonly maxBufferedBytes?: number;
  /** Bytes of events per put. @default 1 MiB */
  readonly flushBytes?: number;
  readonly reconnect?: {
    readonly baseDelayMs?: number;
    readonly maxDelayMs?: number;
    /** Consecutive failed sessions before giving up. @default no limit */
    readonly maxAttempts?: number;
    /** How long failures without progress may last before giving up. @default for ever (core/reconnect-budget.ts) */
    readonly budget?: ReconnectBudget;
  };
  readonly onProgress?: (progress: SnapshotProgress) => void;
  /** Where the reader says what it does and what went wrong. @default nowhere */
  readonly log?: Log;
  /** Where its figures go (CloudWatch on Lambda). @default nowhere: `status` reads them from the state store */
  readonly metrics?: MetricsPublisher;
}

/** What a run did. */
export interface ReaderSummary {
  readonly stoppedBy: 'budget' | 'signal' | 'target';
  readonly snapshot: SnapshotSummary;
  readonly durableLsn: string;
  readonly eventsShipped: number;
  readonly bytesShipped: number;
  readonly putRetries: number;
  readonly transactions: number;
  readonly reconnects: number;
  readonly watermarks: number;
  readonly peakBufferedBytes: number;
  readonly elapsedMs: number;
}

/** The reader gave up: reconnects exhausted or the slot is gone. */
export class ReaderError extends Error {
  override readonly name = 'ReaderError';
}

/** Streams changes from the source into the change stream; see the module comment. */
export async function runReader(options: ReaderOptions): Promise<ReaderSummary> {
  const started = Date.now();
  const connection: pg.ClientConfig = options.source ?? { connectionString: options.sourceUrl };
  const slot = options.slot ?? DEFAULTS.slotName;
  const publication = options.publication ?? DEFAULTS.publicationName;
  const log = (options.log ?? SILENT_LOG).with({ stage: 'reader' });
  const publisher = options.metrics ?? UNPUBLISHED_METRICS;
  const metrics = new ReaderMetrics();
  const maxBufferedBytes = options.maxBufferedBytes ?? 32 * 1024 * 1024;
  const flushBytes = Math.min(options.flushBytes ?? 1024 * 1024, Math.floor(maxBufferedBytes / 2));
  const control = new ControlConnection(connection);

  let stopReason: ReaderSummary['stoppedBy'] | undefined;
  let wakeStop: () => void = () => undefined;
  const stopRequested = new Promise<void>((resolve) => {
    wakeStop = resolve;
  });
  const requestStop = (reason: ReaderSummary['stoppedBy']) => {
    stopReason ??= reason;
    wakeStop();
  };
  const timers: NodeJS.Timeout[] = [];
  const onAbort = () => requestStop('signal');
  if (options.signal?.aborted) requestStop('signal');
  options.signal?.addEventListener('abort', onAbort);
  if (options.budgetMs !== undefined) timers.push(setTimeout(() => requestStop('budget'), options.budgetMs));

  let target: Lsn | undefined;
  const position = new DurablePosition(0n, (lsn) => {
    if (target !== undefined && lsn >= target) requestStop('target');
  });
  let watermarks = 0;
  /** While a re-read is in progress, watermarks stay below its rows' LSN (they are not all accepted yet). */
  let watermarkCap: Lsn | undefined;
  let session: StreamSession | undefined;
  let snapshot: SnapshotSummary = { createdSlot: false, tables: [] };
  const snapshotContext: SnapshotContext = {
    connection,
    slot,
    stream: options.changeStream,
    stateStore: options.stateStore,
    batchBytes: flushBytes,
    maxInFlightBytes: Math.max(maxBufferedBytes - flushBytes, 1),
    onProgress: options.onProgress,
    onReport: (report) => metrics.addReport(report),
    shouldStop: () => stopReason !== undefined,
    log,
  };

  const putWatermarks = async () => {
    const durable = position.lsn;
    const lsn = watermarkCap === undefined ? durable - 1n : minLsn(durable - 1n, watermarkCap - 1n);
    if (lsn <= 0n) return;
    await options.changeStream.put(watermarkEvents(lsn, new Date()));
    watermarks += 1;
  };
  const publishMetrics = async () => {
    metrics.slotLagBytes = await control.slotLagBytes(slot).catch(() => null);
    const oldest = session?.oldestPendingCommitMs();
    metrics.lagSeconds = oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000);
    publisher.publish(metrics.points());
    await options.stateStore.put(METRICS_STATE_KEY, metrics.snapshot(lsnToDecimal(position.lsn)));
  };

  const summarise = (): ReaderSummary => ({
    stoppedBy: stopReason ?? 'signal',
    snapshot,
    durableLsn: lsnToDecimal(position.lsn),
    eventsShipped: metrics.eventsShipped,
    bytesShipped: metrics.bytesShipped,
    putRetries: metrics.putRetries,
    transactions: metrics.transactions,
    reconnects: metrics.reconnects,
    watermarks,
    peakBufferedBytes: metrics.peakBufferedBytes,
    elapsedMs: Date.now() - started,
  });

  let rereading: Promise<void> | undefined;
  const pollResnapshots = () => {
    if (rereading || stopReason) return;
    rereading = (async () => {
      const requests = await pendingResnapshots(options.stateStore);
      if (requests.length === 0) return;
      const tables = requestedTables(requests);
      log.info('re-reading tables on request', { tables });
      await rereadTables(snapshotContext, tables, undefined, (point) => {
        watermarkCap = snapshotRowsLsn(point);
      });
      await completeResnapshots(options.stateStore, requests);
    })()
      .catch((error: unknown) => log.warn('re-read failed; it stays requested', { error }))
      .finally(() => {
        watermarkCap = undefined;
        rereading = undefined;
      });
  };

  const drift = new SchemaDriftRecords({ stateStore: options.stateStore, log, metrics: publisher });
  const observeRelation = (table: SourceTableName, columns: readonly string[]) => {
    void drift
      .observe(
        table,
        columns.map((name) => ({ name })),
        'stream',
      )
      .catch((error: unknown) => log.warn('schema drift could not be recorded', { table, error }));
  };

  try {
    await control.use(async (client) => {
      await prepareSource(client, { slot, publication });
      await drift.observeCatalog(client);
    });
    try {
      snapshot = await ensureSnapshot(snapshotContext);
    } catch (error) {
      // Out of budget mid-snapshot: finished tables are recorded, the next run resumes with the rest.
      if (!(error instanceof SnapshotAbandonedError)) throw error;
      log.info('stopping during the snapshot; the next run resumes it');
      return summarise();
    }
    position.advance(await control.confirmedFlush(slot));
    target =
      options.stopAtLsn === 'current' ? await control.currentWalLsn() : (options.stopAtLsn ?? undefined);
    if (target !== undefined && position.lsn >= target) requestStop('target');

    const runEvery = (ms: number, task: () => Promise<void> | void) =>
      timers.push(
        setInterval(() => {
          Promise.resolve()
            .then(task)
            .catch((error: unknown) => log.warn('periodic task failed', { error }));
        }, ms),
      );
    runEvery(options.heartbeatIntervalMs ?? 10_000, () => control.heartbeat());
    runEvery(options.watermarkIntervalMs ?? 5000, async () => {
      await putWatermarks();
      await publishMetrics();
    });
    runEvery(options.resnapshotPollMs ?? 5000, pollResnapshots);
    pollResnapshots();

    const reconnect = {
      baseDelayMs: 200,
      maxDelayMs: 10_000,
      maxAttempts: Number.POSITIVE_INFINITY,
      budget: DEFAULT_RECONNECT_BUDGET,
      ...options.reconnect,
    };
    const budgetMs = reconnectBudgetMs(reconnect.budget);
    let failures = 0;
    /** When the current run of failures without progress began, and when it was last reported. */
    let failingSince = 0;
    let reportedAt = 0;
    while (stopReason === undefined) {
      const sessionStart = position.lsn;
      const current = new StreamSession({
        connection,
        slot,
        publication,
        stream: options.changeStream,
        startDurable: position.lsn,
        maxBufferedBytes,
        flushBytes,
        metrics,
        log,
        onDurable: (lsn) => position.advance(lsn),
        onRelation: observeRelation,
      });
      session = current;
      const running = current.run(options.statusIntervalMs ?? 10_000);
      const outcome = await Promise.race([
        running.then(
          () => ({ ok: true as const }),
          (error: unknown) => ({ ok: false as const, error }),
        ),
        stopRequested.then(() => undefined),
      ]);
      if (outcome === undefined) {
        // Stop requested while streaming: ship, acknowledge, and wait until the server shows the position.
        position.advance(await current.finish((lsn) => control.waitForConfirmedFlush(slot, lsn)));
        await running.catch(() => undefined);
        break;
      }
      const error = outcome.ok ? new ReaderError('The replication connection closed.') : outcome.error;
      position.advance(current.durable);
      if ((error as ReplicationError).code === '42704') {
        throw new ReaderError(
          `Replication slot "${slot}" disappeared while streaming; restart the reader to snapshot again.`,
          { cause: error },
        );
      }
      if (failureKind(error) === 'deterministic') {
        throw new ReaderError(
          `Streaming from slot "${slot}" failed in a way that fails the same on every attempt, so it is not ` +
            `retried: ${(error as Error).message}`,
          { cause: error },
        );
      }
      // Consecutive sessions that made no progress count towards giving up (a put that always fails, a slot
      // held by another reader); one that moved the durable position resets the count.
      failures = current.durable > sessionStart ? 1 : failures + 1;
      const now = Date.now();
      if (failures === 1) failingSince = now;
      if (failures > reconnect.maxAttempts || now - failingSince > budgetMs) {
        throw new ReaderError(
          `Gave up after ${failures - 1} failed reconnects to slot "${slot}" in ${Math.round((now - failingSince) / 1000)} s ` +
            `(reconnect budget ${describeReconnectBudget(reconnect.budget)}): ${(error as Error).message}`,
          { cause: error },
        );
      }
      metrics.reconnects += 1;
      const delay =
        Math.random() *
        Math.min(reconnect.maxDelayMs, reconnect.baseDelayMs * 2 ** Math.min(failures - 1, 30));
      // The first failure of a run is told at once; a long outage once a minute, not at every attempt.
      if (failures === 1 || now - reportedAt >= STILL_TRYING_NOTICE_MS) {
        reportedAt = now;
        log.warn(
          failures === 1
            ? 'replication interrupted; reconnecting'
            : `still reconnecting after ${Math.round((now - failingSince) / 1000)} s (${failures - 1} attempts; budget ${describeReconnectBudget(reconnect.budget)})`,
          { slot, delayMs: Math.round(delay), error },
        );
      }
      await Promise.race([new Promise((resolve) => setTimeout(resolve, delay)), stopRequested]);
      position.advance(await control.confirmedFlush(slot).catch(() => position.lsn));
    }
    for (const timer of timers) clearInterval(timer);
    await rereading;
    // The closing watermark goes out only now that the acknowledgement it describes is confirmed.
    await putWatermarks();
    await publishMetrics();
  } finally {
    for (const timer of timers) clearInterval(timer);
    options.signal?.removeEventListener('abort', onAbort);
    await control.close();
  }
  return summarise();
}
