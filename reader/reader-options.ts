/**
 * @module
 * What a reader run takes, what it reports, and how it gives up (reader/reader-loop.ts runs it).
 */
import type pg from 'pg';
import type { Lsn } from '../core/lsn.ts';
import type { ChangeStream } from '../core/ports/change-stream.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { Log } from '../core/ports/log.ts';
import type { MetricsPublisher } from '../core/ports/metrics.ts';
import type { RoundLog } from '../core/ports/round-log.ts';
import type { StateStore } from '../core/ports/state-store.ts';
import type { SnapshotProgress, SnapshotSummary } from './initial-snapshot.ts';
import type { StopReason } from './reader-stop.ts';
import type { ReconnectPolicy } from './reconnect-backoff.ts';

/** Options of {@link runReader}. Only the connection, stream and state store are required. */
export interface ReaderOptions {
  /** A postgres:// URL of the source, or a full client config (TLS, credentials from a secret). */
  readonly sourceUrl?: string;
  readonly source?: pg.ClientConfig;
  readonly changeStream: ChangeStream;
  readonly stateStore: StateStore;
  /**
   * Where watermark rounds are recorded for the loader (see reader/watermark-rounds.ts). Without one, every
   * round also puts a watermark into every stream, for consumers that read no round log.
   */
  readonly roundLog?: RoundLog;
  /** @default 'totesys_stream' */
  readonly slot?: string;
  /** @default 'totesys_stream' */
  readonly publication?: string;
  /** Stop streaming this many ms after the start (the Lambda's remaining time minus a margin). */
  readonly budgetMs?: number;
  readonly signal?: AbortSignal;
  /** Stop once everything up to this LSN is durable; `current` = the source's WAL position after the snapshot. */
  readonly stopAtLsn?: Lsn | 'current';
  /**
   * Least time between two watermark rounds (a round happens only when a change was put since the last one;
   * otherwise only the quiet mark moves). On AWS the loader's interval: a round more often proves nothing
   * the loader would read; locally shorter, as the loader wakes when objects land
   * (WATERMARK_ROUND_INTERVAL_MS, core/operations.ts). @default 5000
   */
  readonly watermarkIntervalMs?: number;
  /** How often the reader's metrics and position are published. @default the watermark interval */
  readonly metricsIntervalMs?: number;
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
  readonly reconnect?: ReconnectPolicy;
  readonly onProgress?: (progress: SnapshotProgress) => void;
  /** Where the reader says what it does and what went wrong. @default nowhere */
  readonly log?: Log;
  /** Where its figures go (CloudWatch on Lambda). @default nowhere: `status` reads them from the state store */
  readonly metrics?: MetricsPublisher;
  /** Where the reader reads time: its cadences, backoff, budget and timestamps. @default the wall clock */
  readonly clock?: Clock;
}

/** What a run did. */
export interface ReaderSummary {
  readonly stoppedBy: StopReason;
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
