/**
 * @module
 * One streaming session: a replication connection, the events decoded from it, and the puts and
 * acknowledgements that follow. A session never outlives its connection; the reader loop makes a new one on
 * every reconnect, which resumes from the slot's confirmed position.
 *
 * Events are put as they are decoded (a million-row transaction is never held whole), in buffers of
 * `flushBytes`, with at most `maxBufferedBytes` decoded-but-unaccepted bytes; beyond that the handler waits,
 * the library stops reading the socket, and PostgreSQL holds the rest. A transaction's end LSN is acknowledged
 * only when every put up to its commit resolved (see put-pipeline.ts).
 */

import type pg from 'pg';
import type { ChangeEvent } from '../core/change-event.ts';
import type { Lsn } from '../core/lsn.ts';
import type { ChangeStream } from '../core/ports/change-stream.ts';
import { type Clock, repeatUntilAborted } from '../core/ports/clock.ts';
import type { Log } from '../core/ports/log.ts';
import type { SourceTableName } from '../core/schema/source-tables.ts';
import { ChangeEventBuilder, type SizedEvent } from './change-events.ts';
import { PutPipeline } from './put-pipeline.ts';
import type { ReaderMetrics } from './reader-metrics.ts';
import { type ReplicationMessage, ReplicationSession } from './replication-source.ts';

/** What one session needs. */
export interface StreamSessionOptions {
  readonly connection: pg.ClientConfig;
  readonly slot: string;
  readonly publication: string;
  readonly stream: ChangeStream;
  /** The slot's confirmed position when the session starts. */
  readonly startDurable: Lsn;
  readonly maxBufferedBytes: number;
  readonly flushBytes: number;
  readonly metrics: ReaderMetrics;
  readonly log: Log;
  /** Paces the standby statuses and stamps idle positions. */
  readonly clock: Clock;
  /** Called whenever the durable LSN advances (after the acknowledgement was sent). */
  readonly onDurable: (lsn: Lsn) => void;
  /** Hears each table's columns as the stream describes them (reader/schema-drift.ts). */
  readonly onRelation?: (table: SourceTableName, columns: readonly string[]) => void;
}

/** A running session; {@link StreamSession.run} resolves after {@link StreamSession.finish}. */
export class StreamSession {
  readonly #options: StreamSessionOptions;
  readonly #replication: ReplicationSession;
  readonly #pipeline: PutPipeline;
  readonly #builder: ChangeEventBuilder;
  #buffer: ChangeEvent[] = [];
  #bufferBytes = 0;
  #bufferedCommits: { endLsn: Lsn; commitTimeMs: number }[] = [];
  #stopping = false;
  #current: Promise<void> = Promise.resolve();

  constructor(options: StreamSessionOptions) {
    this.#options = options;
    // The socket's queue takes an eighth of the reader's bound, the puts in flight the rest but a flush.
    const queueBytes = Math.max(64 * 1024, Math.floor(options.maxBufferedBytes / 8));
    this.#replication = new ReplicationSession({ ...options, maxQueuedBytes: queueBytes });
    this.#builder = new ChangeEventBuilder(
      (warning) =>
        warning.kind === 'truncate'
          ? options.log.warn('table truncated at the source', { table: warning.table, lsn: warning.lsn })
          : options.log.warn('change of a table outside the totesys schema ignored', {
              table: warning.table,
            }),
      options.onRelation,
    );
    this.#pipeline = new PutPipeline(
      {
        stream: options.stream,
        maxInFlightBytes: Math.max(options.maxBufferedBytes - options.flushBytes - queueBytes, 1),
        onReport: (report) => options.metrics.addReport(report),
        onDurable: (lsn) => {
          void this.#replication.acknowledge(lsn);
          options.onDurable(lsn);
        },
        onFailure: (error) => this.#replication.fail(error),
      },
      options.startDurable,
    );
  }

  /** The session's durable LSN. */
  get durable(): Lsn {
    return this.#pipeline.durable;
  }

  /** Commit time of the oldest transaction decoded but not durable. */
  oldestPendingCommitMs(): number | undefined {
    // Oldest first: commits behind unresolved puts, then commits still in the buffer, then the open transaction.
    return (
      this.#pipeline.oldestPendingCommitMs() ??
      this.#bufferedCommits[0]?.commitTimeMs ??
      this.#builder.openCommitTimeMs
    );
  }

  /** Streams until {@link finish} is called or the connection fails (then rejects). */
  async run(statusIntervalMs: number): Promise<void> {
    // A standby status at least this often, so wal_sender_timeout never drops a connection that is merely busy.
    const ended = new AbortController();
    const statuses = repeatUntilAborted(
      this.#options.clock,
      statusIntervalMs,
      ended.signal,
      () => void this.#replication.acknowledge(this.#pipeline.durable, true),
      () => undefined,
    );
    try {
      await this.#replication.run({
        onMessage: (message) => {
          const pending = this.#handle(message);
          if (pending) this.#current = pending;
          return pending;
        },
        onKeepalive: (walEnd, shouldRespond, drained) => this.#keepalive(walEnd, shouldRespond, drained),
      });
    } finally {
      ended.abort();
      await statuses;
      // Let puts already started settle, so nothing still runs against a stream the caller may close.
      await this.#pipeline.drain().catch(() => undefined);
    }
  }

  /**
   * Stops reading, ships what was decoded, acknowledges what became durable and closes the connection.
   * Returns the durable LSN; `confirm` lets the caller wait until the server shows it before closing.
   */
  async finish(confirm: (durable: Lsn) => Promise<void>): Promise<Lsn> {
    this.#stopping = true;
    await this.#current.catch(() => undefined);
    if (!this.#replication.failed) {
      try {
        await this.#flush();
        await this.#pipeline.drain();
        await this.#replication.acknowledge(this.#pipeline.durable, true);
        await confirm(this.#pipeline.durable);
      } catch (error) {
        this.#replication.fail(error);
      }
    }
    await this.#replication.stop();
    return this.#pipeline.durable;
  }

  /**
   * Handles one message. Synchronous unless a flush has to wait for room (most messages only append to the
   * buffer), so the common path costs no promise.
   */
  #handle(message: ReplicationMessage): Promise<void> | undefined {
    if (this.#stopping) return undefined;
    const commitTimeMs = this.#builder.openCommitTimeMs ?? this.#options.clock.now();
    const events = this.#builder.accept(message);
    for (let i = 0; i < events.length; i++) {
      const { bytes } = events[i]!;
      if (this.#buffer.length > 0 && this.#bufferBytes + bytes > this.#options.flushBytes) {
        return this.#handleAfterFlush(message, events, i, commitTimeMs);
      }
      this.#append(events[i]!);
    }
    return this.#afterEvents(message, commitTimeMs);
  }

  async #handleAfterFlush(
    message: ReplicationMessage,
    events: readonly SizedEvent[],
    from: number,
    commitTimeMs: number,
  ): Promise<void> {
    for (let i = from; i < events.length; i++) {
      if (this.#buffer.length > 0 && this.#bufferBytes + events[i]!.bytes > this.#options.flushBytes)
        await this.#flush();
      this.#append(events[i]!);
    }
    await this.#afterEvents(message, commitTimeMs);
  }

  #append({ event, bytes }: SizedEvent): void {
    this.#buffer.push(event);
    this.#bufferBytes += bytes;
    this.#options.metrics.setBuffered(
      this.#bufferBytes + this.#pipeline.inFlightBytes + this.#replication.queuedBytes,
    );
  }

  #afterEvents(message: ReplicationMessage, commitTimeMs: number): Promise<void> | undefined {
    if (message.kind !== 'commit') return undefined;
    this.#options.metrics.transactions += 1;
    if (this.#buffer.length === 0) this.#pipeline.markCommit(message.endLsn, commitTimeMs);
    else this.#bufferedCommits.push({ endLsn: message.endLsn, commitTimeMs });
    // Ship at once when nothing else is queued (low latency when quiet, big puts when busy).
    return this.#replication.backlog <= 1 ? this.#flush() : undefined;
  }

  async #flush(): Promise<void> {
    const events = this.#buffer;
    const bytes = this.#bufferBytes;
    const commits = this.#bufferedCommits;
    this.#buffer = [];
    this.#bufferBytes = 0;
    this.#bufferedCommits = [];
    if (events.length > 0) await this.#pipeline.submit(events, bytes);
    for (const commit of commits) this.#pipeline.markCommit(commit.endLsn, commit.commitTimeMs);
    this.#options.metrics.setBuffered(this.#pipeline.inFlightBytes + this.#replication.queuedBytes);
  }

  #keepalive(walEnd: Lsn, shouldRespond: boolean, drained: boolean): void {
    // Idle: everything received is handled and shipped, no transaction is open. The server has decoded up to
    // walEnd and found nothing for us, so walEnd itself is durable (this is what advances an idle slot).
    const idle =
      drained &&
      !this.#stopping &&
      !this.#builder.inTransaction &&
      this.#buffer.length === 0 &&
      this.#pipeline.idle;
    if (idle && walEnd > this.#pipeline.durable) this.#pipeline.markCommit(walEnd, this.#options.clock.now());
    if (shouldRespond) void this.#replication.acknowledge(this.#pipeline.durable, true);
  }
}
