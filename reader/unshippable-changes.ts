/**
 * @module
 * Changes the reader can never ship (one row over the Firehose record limit) go aside instead of stopping
 * change capture: each is written whole to the error location, `errors/<lake table>/reader-failed/…`
 * of the lake bucket, in the error-document format every error object has (core/error-documents.ts, so
 * `errors list` and `errors replay` treat it like the others), counted (`ReaderChangesSetAside`) and logged with its table, key
 * and LSN only, and the stream goes on. Retrying it would fail the same way every time, so it is not retried.
 *
 * How the row reaches the warehouse later (README, "Bad input flows aside"): the key is remembered in the
 * state store, one document per key. Its next change that ships settles it: a delete, an insert or an update
 * carrying the whole row supersede the lost version; an update that leaves unchanged TOASTed columns out
 * (their last shipped value would be the stale one before the lost version) makes the reader re-read the
 * table (a resnapshot request), whose rows carry every column. A row still too large then goes aside again.
 */
import { createHash } from 'node:crypto';
import { type ChangeEvent, commitDate } from '../core/change-event.ts';
import { ERROR_OUTPUT_TYPES, errorObjectKey, readerFailedDocument } from '../core/error-documents.ts';
import { LAKE_PREFIXES } from '../core/lake-layout.ts';
import { formatLsn } from '../core/lsn.ts';
import { METRICS } from '../core/operations.ts';
import type { ChangeStream } from '../core/ports/change-stream.ts';
import { type Log, SILENT_LOG } from '../core/ports/log.ts';
import { type MetricsPublisher, UNPUBLISHED_METRICS } from '../core/ports/metrics.ts';
import type { ObjectStore } from '../core/ports/object-store.ts';
import { type StateStore, stateKey } from '../core/ports/state-store.ts';
import { lakeTableForSource } from '../core/schema/lake-tables.ts';
import type { SourceTableName } from '../core/schema/source-tables.ts';
import type { UnshippableEvent } from './firehose-change-stream.ts';
import { requestResnapshot } from './resnapshot-requests.ts';

/** The error code of a set-aside change in its error document. */
export const UNSHIPPABLE_ERROR_CODE = 'Reader.RecordTooLarge';

/** The folder of the set-aside keys' documents in the state store. */
export const SET_ASIDE_KEYS_PREFIX = 'reader/set-aside';

/** What the state store remembers of one set-aside key until a newer change of it ships. */
export interface SetAsideKey {
  readonly table: SourceTableName;
  /** The key as JSON, as the change event carries it. */
  readonly key: string;
  readonly lsn: string;
  readonly seq: number;
  /** The error object it was written to. */
  readonly object: string;
}

/** Options of {@link UnshippableChanges}. */
export interface UnshippableChangesOptions {
  /** The lake bucket (its `errors/` prefix). */
  readonly store: ObjectStore;
  readonly stateStore: StateStore;
  readonly log?: Log;
  readonly metrics?: MetricsPublisher;
  readonly now?: () => number;
}

/** The reader's dead letters: see the module comment. */
export class UnshippableChanges {
  readonly #store: ObjectStore;
  readonly #state: StateStore;
  readonly #log: Log;
  readonly #metrics: MetricsPublisher;
  readonly #now: () => number;
  #keys: Promise<Map<string, SetAsideKey>> | undefined;
  #count = 0;

  constructor(options: UnshippableChangesOptions) {
    this.#store = options.store;
    this.#state = options.stateStore;
    this.#log = (options.log ?? SILENT_LOG).with({ stage: 'reader' });
    this.#metrics = options.metrics ?? UNPUBLISHED_METRICS;
    this.#now = options.now ?? Date.now;
  }

  /** Changes set aside by this process. */
  get count(): number {
    return this.#count;
  }

  /**
   * Writes each event to its error object and remembers its key; resolves once both are durable (only then
   * may the reader acknowledge the transaction). Writing one again (a re-sent transaction) replaces the same
   * object and document.
   */
  readonly setAside = async (events: readonly UnshippableEvent[]): Promise<void> => {
    const keys = await this.#loadKeys();
    for (const { event, bytes, reason } of events) {
      const lakeTable = lakeTableForSource(event.table).name;
      // Named by its commit day, LSN and seq, so writing it again after a crash replaces the same object.
      const object = errorObjectKey(
        LAKE_PREFIXES.errors,
        lakeTable,
        ERROR_OUTPUT_TYPES.reader,
        Date.parse(`${commitDate(event)}T00:00:00Z`),
        `${event.lsn}-${event.seq}.json`,
      );
      const lsn = formatLsn(BigInt(event.lsn));
      const seenMs = this.#now();
      const document = readerFailedDocument(
        {
          table: event.table,
          key: event.key,
          lsn,
          seq: event.seq,
          bytes,
          errorCode: UNSHIPPABLE_ERROR_CODE,
          errorMessage: reason,
          seenMs,
          data: Buffer.from(`${JSON.stringify(event)}\n`, 'utf8'),
        },
        seenMs,
      );
      await this.#store.put(object, Buffer.from(`${document}\n`, 'utf8'));
      const remembered: SetAsideKey = {
        table: event.table,
        key: JSON.stringify(event.key),
        lsn: event.lsn,
        seq: event.seq,
        object,
      };
      await this.#state.put(documentKey(remembered.table, remembered.key), remembered);
      keys.set(mapKey(remembered.table, remembered.key), remembered);
      this.#count += 1;
      this.#log.warn('a change too large to ship was set aside under errors/; the stream goes on', {
        table: event.table,
        key: remembered.key,
        lsn,
        object,
        reason,
      });
    }
    this.#metrics.publish([
      { name: METRICS.unshippable.changesSetAside, unit: 'Count', value: events.length },
    ]);
  };

  /** Keys still waiting for a newer change that ships. */
  async waiting(): Promise<SetAsideKey[]> {
    return [...(await this.#loadKeys()).values()];
  }

  /** `stream`, telling these changes what shipped after them (see the module comment). */
  watching(stream: ChangeStream): ChangeStream {
    return {
      put: async (events) => {
        const report = await stream.put(events);
        await this.#settle(events);
        return report;
      },
      close: () => stream.close(),
    };
  }

  async #settle(events: readonly ChangeEvent[]): Promise<void> {
    const keys = await this.#loadKeys();
    if (keys.size === 0) return;
    const reread = new Set<SourceTableName>();
    const settled: SetAsideKey[] = [];
    for (const event of events) {
      if (event.op === 'w') continue;
      const candidates =
        event.op === 't'
          ? [...keys.values()].filter((waiting) => waiting.table === event.table)
          : [keys.get(mapKey(event.table, JSON.stringify(event.key)))].filter((found) => found !== undefined);
      for (const waiting of candidates) {
        if (!isAfter(event, waiting)) continue;
        if (event.op === 'u' && (event.unchanged?.length ?? 0) > 0) reread.add(event.table);
        settled.push(waiting);
      }
    }
    if (reread.size > 0) {
      await requestResnapshot(this.#state, [...reread]);
      this.#log.info('a set-aside row changed without its unchanged columns; re-reading its table', {
        tables: [...reread],
      });
    }
    for (const waiting of settled) {
      await this.#state.delete(documentKey(waiting.table, waiting.key));
      keys.delete(mapKey(waiting.table, waiting.key));
    }
  }

  #loadKeys(): Promise<Map<string, SetAsideKey>> {
    this.#keys ??= setAsideKeysWaiting(this.#state).then(
      (waiting) => new Map(waiting.map((key) => [mapKey(key.table, key.key), key])),
    );
    this.#keys.catch(() => {
      this.#keys = undefined;
    });
    return this.#keys;
  }
}

/**
 * The set-aside keys the state store remembers, waiting for a newer change that ships (read by `status` in
 * another process as well as by the reader).
 */
export async function setAsideKeysWaiting(state: StateStore): Promise<SetAsideKey[]> {
  const keys: SetAsideKey[] = [];
  for (const name of await state.list(SET_ASIDE_KEYS_PREFIX)) {
    const waiting = await state.get(stateKey<SetAsideKey>(name));
    if (waiting) keys.push(waiting);
  }
  return keys;
}

/** Whether `event` is a newer change than the set-aside one (the same change sent again is not). */
function isAfter(event: ChangeEvent, waiting: SetAsideKey): boolean {
  const lsn = BigInt(event.lsn);
  const waitingLsn = BigInt(waiting.lsn);
  return lsn > waitingLsn || (lsn === waitingLsn && event.seq > waiting.seq);
}

function mapKey(table: string, key: string): string {
  return `${table}|${key}`;
}

/** One document per key; the key's JSON is hashed into the name (state names allow only `[A-Za-z0-9_-]`). */
function documentKey(table: string, key: string) {
  const digest = createHash('sha256').update(key).digest('hex').slice(0, 32);
  return stateKey<SetAsideKey>(`${SET_ASIDE_KEYS_PREFIX}/${table}-${digest}`);
}
