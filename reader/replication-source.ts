/**
 * @module
 * The replication adapter: the only module that imports pg-logical-replication. It hides the library's
 * data-losing defaults behind one session object per connection (and decodes messages read through the SQL
 * interface with the same parser, {@link PgoutputDecoder}):
 *
 * - no automatic and no timer acknowledgement (`auto: false, timeoutSeconds: 0`): only {@link
 *   ReplicationSession.acknowledge} moves the slot, and only with an LSN the caller says is durable;
 * - a new service instance per connection, started at `0/0` so the server resumes from `confirmed_flush_lsn`
 *   (re-subscribing an instance would resume from the last *received* LSN and skip unacknowledged changes);
 * - its own bounded message queue: a slow consumer pauses the socket instead of growing memory;
 * - the library's `acknowledge(lsn)` reports `lsn + 1`, so durable LSN `E` is sent as `E - 1`: the server then
 *   holds exactly `E` and still replays a transaction whose commit record starts at `E`;
 * - values parsed by this connection's own decoders (see source-values.ts), never through the process-wide
 *   `pg.types` parsers that every other `pg` client in the process shares.
 */

import type pg from 'pg';
import { LogicalReplicationService, type Pgoutput, PgoutputPlugin } from 'pg-logical-replication';
import type { SourceValue } from '../core/change-event.ts';
import { formatLsn, type Lsn, parseLsn } from '../core/lsn.ts';
import { readerConnection, valueDecoder } from './source-values.ts';

/** A decoded tuple: `undefined` marks an unchanged TOASTed column PostgreSQL did not send. */
export type DecodedTuple = Readonly<Record<string, SourceValue | undefined>>;

/** What the session hands to its consumer, in WAL order. */
export type ReplicationMessage =
  | { readonly kind: 'begin'; readonly commitLsn: Lsn; readonly commitTimeMs: number; readonly xid: number }
  | {
      readonly kind: 'insert' | 'update' | 'delete';
      readonly schema: string;
      readonly table: string;
      readonly keyColumns: readonly string[];
      /** New row (insert, update); null for delete. */
      readonly row: DecodedTuple | null;
      /** Old key (delete; update when the key changed); null otherwise. */
      readonly oldKey: DecodedTuple | null;
    }
  | { readonly kind: 'truncate'; readonly tables: readonly { schema: string; table: string }[] }
  | { readonly kind: 'message'; readonly prefix: string }
  /** A table's columns as the server describes them: before its first change in a session, and after DDL. */
  | {
      readonly kind: 'relation';
      readonly schema: string;
      readonly table: string;
      readonly columns: readonly string[];
    }
  | { readonly kind: 'commit'; readonly commitLsn: Lsn; readonly endLsn: Lsn };

/** The consumer of one session. */
export interface ReplicationHandlers {
  /** Called once per message, strictly in order; the next one waits until a returned promise settles. */
  onMessage(message: ReplicationMessage): Promise<void> | undefined;
  /**
   * A primary keepalive. `walEnd` is how far the server has decoded; `drained` is true when every message
   * received before the keepalive has been handled by `onMessage`.
   */
  onKeepalive(walEnd: Lsn, shouldRespond: boolean, drained: boolean): void;
}

/** Where and what to stream. */
export interface ReplicationSessionOptions {
  readonly connection: pg.ClientConfig;
  readonly slot: string;
  readonly publication: string;
  /**
   * Bytes of row text queued at which the socket is paused, whatever the message count (a few large rows can
   * be worth many small ones). @default QUEUE_HIGH_WATER_BYTES
   */
  readonly maxQueuedBytes?: number;
}

/** Queued messages at which the socket is paused, and at which it is resumed. */
export const QUEUE_HIGH_WATER = 20_000;
const QUEUE_LOW_WATER = 2_000;
/** The default byte bound of the queue (see {@link ReplicationSessionOptions.maxQueuedBytes}). */
export const QUEUE_HIGH_WATER_BYTES = 4 * 1024 * 1024;

/** About how much a decoded message holds: its row images' text, plus a little for the message itself. */
function queuedBytes(message: Pgoutput.Message): number {
  let bytes = 64;
  for (const image of [
    (message as { new?: unknown }).new,
    (message as { old?: unknown }).old,
    (message as { key?: unknown }).key,
  ]) {
    if (image === null || typeof image !== 'object') continue;
    // Called for every message: for-in allocates no array of the values.
    const values = image as Record<string, unknown>;
    for (const column in values) {
      const value = values[column];
      bytes += typeof value === 'string' ? value.length : 8;
    }
  }
  return bytes;
}

/** The library parser's relation column, as far as this adapter touches it. */
interface ParserRelationColumn {
  typeOid: number;
  parser: (text: string) => unknown;
}

/** The private parser of PgoutputPlugin: patched per instance so no global type parser changes. */
interface PatchableParser {
  readRelationColumn(reader: unknown): ParserRelationColumn;
}

/** A pgoutput plugin that decodes values with the reader's decoders and counts the messages it parsed. */
class LosslessPgoutputPlugin extends PgoutputPlugin {
  parsedCount = 0;

  constructor(options: Pgoutput.Options) {
    super(options);
    // The library captures `pg.types.getTypeParser(oid)` when a Relation message arrives; replacing the
    // parser on this plugin's own relation columns keeps numeric/timestamp text exact for this connection
    // without touching `pg.types`, which other clients in the process use.
    const parser = (this as unknown as { parser: PatchableParser }).parser;
    const readRelationColumn = parser.readRelationColumn.bind(parser);
    parser.readRelationColumn = (reader) => {
      const column = readRelationColumn(reader);
      return { ...column, parser: valueDecoder(column.typeOid) };
    };
  }

  override parse(buffer: Buffer): Pgoutput.Message {
    this.parsedCount += 1;
    return super.parse(buffer);
  }
}

/** The replication connection failed or was closed with an error. */
export class ReplicationError extends Error {
  override readonly name = 'ReplicationError';
  /** The SQLSTATE when PostgreSQL sent one (55006: the slot is active for another process). */
  readonly code: string | undefined;
  constructor(message: string, options: { cause?: unknown; code?: string | undefined }) {
    super(message, { cause: options.cause });
    this.code = options.code;
  }
}

/**
 * One replication connection. Create a new session for every (re)connection.
 *
 * @example
 * const session = new ReplicationSession({ connection, slot, publication });
 * await session.run({ onMessage, onKeepalive }); // resolves when stopped, rejects on a failure
 */
export class ReplicationSession {
  readonly #options: ReplicationSessionOptions;
  readonly #service: LogicalReplicationService;
  readonly #plugin: LosslessPgoutputPlugin;
  #handledCount = 0;
  #queue: Pgoutput.Message[] = [];
  #queueSizes: number[] = [];
  #queueHead = 0;
  #queuedBytes = 0;
  readonly #maxQueuedBytes: number;
  #draining = false;
  #paused = false;
  #failure: unknown;
  #stopped = false;
  #acknowledged: Lsn = 0n;

  constructor(options: ReplicationSessionOptions) {
    this.#options = options;
    this.#maxQueuedBytes = options.maxQueuedBytes ?? QUEUE_HIGH_WATER_BYTES;
    this.#service = new LogicalReplicationService(readerConnection(options.connection), {
      acknowledge: { auto: false, timeoutSeconds: 0 },
      // The library's flow control pauses and resumes the socket around every chunk, which halves throughput;
      // this session queues messages itself and pauses the socket only when its own queue is long.
      flowControl: { enabled: false },
    });
    this.#plugin = new LosslessPgoutputPlugin({
      protoVersion: 1,
      publicationNames: [options.publication],
      messages: true,
    });
  }

  /** True once a handler or the connection failed: nothing may be acknowledged through this session again. */
  get failed(): boolean {
    return this.#failure !== undefined;
  }

  /** Bytes of row text received and not yet handed to the consumer (see {@link queuedBytes}). */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Messages received but not yet handled (inside a handler, the current message counts). */
  get backlog(): number {
    return this.#plugin.parsedCount - this.#handledCount;
  }

  /** True while the socket is paused because the consumer is behind. */
  get paused(): boolean {
    return this.#paused;
  }

  /** The highest LSN this session reported to the server as durable. */
  get acknowledged(): Lsn {
    return this.#acknowledged;
  }

  /** Streams until {@link stop} or a failure. Rejects with a {@link ReplicationError} on failure. */
  async run(handlers: ReplicationHandlers): Promise<void> {
    this.#service.on('data', (_lsn: string, message: Pgoutput.Message) => {
      if (this.#stopped || this.failed) return;
      const bytes = queuedBytes(message);
      this.#queue.push(message);
      this.#queueSizes.push(bytes);
      this.#queuedBytes += bytes;
      if (
        this.#queue.length - this.#queueHead >= QUEUE_HIGH_WATER ||
        this.#queuedBytes >= this.#maxQueuedBytes
      )
        this.#pauseSocket(true);
      if (!this.#draining) void this.#drain(handlers);
    });
    this.#service.on('heartbeat', (walEnd: string, _timestamp: number, shouldRespond: boolean) => {
      if (this.#stopped || this.failed) return;
      handlers.onKeepalive(parseLsn(walEnd), shouldRespond, this.#handledCount === this.#plugin.parsedCount);
    });
    this.#service.on('error', (error: unknown) => this.fail(error));
    try {
      // '0/0': the server starts at the slot's confirmed_flush_lsn, never at a position this process guessed.
      await this.#service.subscribe(this.#plugin, this.#options.slot, '0/0');
    } catch (error) {
      if (!this.#stopped || this.failed) this.fail(error);
    }
    await this.#service.destroy().catch(() => undefined);
    if (this.#failure !== undefined) throw this.#asError(this.#failure);
    if (!this.#stopped) {
      throw new ReplicationError(
        `Replication connection for slot "${this.#options.slot}" ended unexpectedly.`,
        {},
      );
    }
  }

  /**
   * Reports `durable` to the server as the flushed position. Every transaction whose commit ends at or before
   * `durable` must have been accepted downstream. Lower values than already sent are ignored.
   */
  async acknowledge(durable: Lsn, force = false): Promise<void> {
    if (this.failed || this.#stopped || durable <= 0n) return;
    if (durable <= this.#acknowledged && !force) return;
    if (durable > this.#acknowledged) this.#acknowledged = durable;
    // The library sends lsn + 1; the server must receive exactly `durable` (see the module comment).
    await this.#service.acknowledge(formatLsn(this.#acknowledged - 1n));
  }

  /** Hands queued messages to the consumer one at a time, in order, awaiting each. */
  async #drain(handlers: ReplicationHandlers): Promise<void> {
    this.#draining = true;
    while (this.#queueHead < this.#queue.length && !this.#stopped && !this.failed) {
      const message = this.#queue[this.#queueHead]!;
      this.#queuedBytes -= this.#queueSizes[this.#queueHead]!;
      this.#queue[this.#queueHead++] = undefined as unknown as Pgoutput.Message;
      try {
        const decoded = toReplicationMessage(message);
        const pending = decoded ? handlers.onMessage(decoded) : undefined;
        if (pending) await pending;
        this.#handledCount += 1;
      } catch (error) {
        // A change after a failed one must never be acknowledged: the whole session is poisoned and closed.
        this.fail(error);
      }
      if (this.#queueHead === this.#queue.length) {
        this.#queue = [];
        this.#queueSizes = [];
        this.#queueHead = 0;
      }
      if (
        this.#paused &&
        this.#queue.length - this.#queueHead <= QUEUE_LOW_WATER &&
        this.#queuedBytes <= this.#maxQueuedBytes / 4
      )
        this.#pauseSocket(false);
    }
    this.#draining = false;
  }

  /** Stops or resumes reading the replication socket: backpressure that reaches the server. */
  #pauseSocket(pause: boolean): void {
    this.#paused = pause;
    // The library keeps the pg connection private; it pauses the same stream itself in flow-control mode.
    const stream = (this.#service as unknown as { _connection?: { stream?: NodeJS.ReadableStream } })
      ._connection?.stream;
    if (pause) stream?.pause();
    else stream?.resume();
  }

  /** Marks the session failed (no further acknowledgements) and closes the connection. */
  fail(error: unknown): void {
    if (this.#failure === undefined) this.#failure = error ?? new Error('unknown replication failure');
    void this.#service.stop().catch(() => undefined);
  }

  /** Stops streaming; acknowledge what is durable before calling this. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#service.stop().catch(() => undefined);
  }

  #asError(failure: unknown): ReplicationError {
    if (failure instanceof ReplicationError) return failure;
    const code = (failure as { code?: unknown } | null)?.code;
    const text = failure instanceof Error ? failure.message : String(failure);
    return new ReplicationError(
      `Replication from slot "${this.#options.slot}" (publication "${this.#options.publication}") failed: ${text}`,
      { cause: failure, code: typeof code === 'string' ? code : undefined },
    );
  }
}

/**
 * Decodes pgoutput messages read through the SQL interface (`pg_logical_slot_get_binary_changes`: one message
 * per row, without the streaming protocol's XLogData header) into the same {@link ReplicationMessage}s a
 * session hands out, with the same lossless value decoders. Keep one decoder per read: it caches the relation
 * messages each read starts with.
 *
 * @example
 * const decoder = new PgoutputDecoder();
 * for (const row of result.rows) handle(decoder.decode(row.data));
 */
export class PgoutputDecoder {
  readonly #plugin = new LosslessPgoutputPlugin({ protoVersion: 1, publicationNames: [] });

  /** The message in `buffer`, or undefined for type and origin messages (they only feed the cache). */
  decode(buffer: Buffer): ReplicationMessage | undefined {
    return toReplicationMessage(this.#plugin.parse(buffer));
  }
}

function toReplicationMessage(message: Pgoutput.Message): ReplicationMessage | undefined {
  switch (message.tag) {
    case 'begin':
      return {
        kind: 'begin',
        commitLsn: parseLsn(message.commitLsn ?? '0/0'),
        // commitTime is microseconds since the Unix epoch; events carry milliseconds.
        commitTimeMs: Number((message.commitTime as bigint) / 1000n),
        xid: message.xid,
      };
    case 'commit':
      return {
        kind: 'commit',
        commitLsn: parseLsn(message.commitLsn ?? '0/0'),
        endLsn: parseLsn(message.commitEndLsn ?? '0/0'),
      };
    case 'insert':
      return rowMessage('insert', message.relation, message.new, null);
    case 'update':
      return rowMessage('update', message.relation, message.new, message.key ?? message.old);
    case 'delete':
      return rowMessage('delete', message.relation, null, message.key ?? message.old);
    case 'truncate':
      return {
        kind: 'truncate',
        tables: message.relations.map((relation) => ({ schema: relation.schema, table: relation.name })),
      };
    case 'message':
      return { kind: 'message', prefix: message.prefix };
    case 'relation':
      return {
        kind: 'relation',
        schema: message.schema,
        table: message.name,
        columns: message.columns.map((column) => column.name),
      };
    default:
      // type and origin messages only feed the library's own caches.
      return undefined;
  }
}

function rowMessage(
  kind: 'insert' | 'update' | 'delete',
  relation: Pgoutput.MessageRelation,
  row: Record<string, unknown> | null,
  oldKey: Record<string, unknown> | null,
): ReplicationMessage {
  return {
    kind,
    schema: relation.schema,
    table: relation.name,
    keyColumns: relation.keyColumns,
    row: row as DecodedTuple | null,
    oldKey: oldKey as DecodedTuple | null,
  };
}
