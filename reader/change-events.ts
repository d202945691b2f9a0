/**
 * @module
 * Builds change events (core/change-event.ts) from decoded replication messages and snapshot rows.
 *
 * Inside a transaction `seq` counts changes from 0, and every event of the transaction carries its commit LSN,
 * so `(table, key, lsn, seq)` is unique per change. An unchanged TOASTed column (`undefined` in the decoded
 * tuple) is left out of `row` and named in `unchanged`: downstream keeps the previous value, never a NULL.
 */
import type { ChangeEvent, RowImage, SourceValue } from '../core/change-event.ts';
import { type Lsn, lsnToDecimal } from '../core/lsn.ts';
import {
  isSourceTableName,
  SOURCE_TABLE_NAMES,
  SOURCE_TABLES,
  type SourceTableName,
} from '../core/schema/source-tables.ts';
import type { DecodedTuple, ReplicationMessage } from './replication-source.ts';

/** A built event with a cheap estimate of its JSON size, for buffer accounting. */
export interface SizedEvent {
  readonly event: ChangeEvent;
  readonly bytes: number;
}

/** Fixed JSON overhead of an event envelope (field names, lsn, commit_ts, punctuation). */
const ENVELOPE_BYTES = 120;

/** The transaction being decoded. */
interface OpenTransaction {
  readonly lsn: string;
  readonly xid: number;
  readonly commitTs: string;
  readonly commitTimeMs: number;
  seq: number;
}

/** Why a message was skipped or what deserves a warning; never carries row values. */
export type EventBuilderWarning =
  | { readonly kind: 'truncate'; readonly table: SourceTableName; readonly lsn: string }
  | { readonly kind: 'unknown-table'; readonly table: string };

/**
 * Turns the messages of one replication session into change events.
 *
 * @example
 * const builder = new ChangeEventBuilder((w) => log(w));
 * for (const message of messages) for (const { event } of builder.accept(message)) buffer.push(event);
 */
export class ChangeEventBuilder {
  #open: OpenTransaction | undefined;
  readonly #warn: (warning: EventBuilderWarning) => void;
  readonly #onRelation: ((table: SourceTableName, columns: readonly string[]) => void) | undefined;

  /** `onRelation` hears each known table's columns as the stream describes them (reader/schema-drift.ts). */
  constructor(
    warn: (warning: EventBuilderWarning) => void,
    onRelation?: (table: SourceTableName, columns: readonly string[]) => void,
  ) {
    this.#warn = warn;
    this.#onRelation = onRelation;
  }

  /** The transaction in progress, if any. */
  get inTransaction(): boolean {
    return this.#open !== undefined;
  }

  /** Commit time (ms) of the transaction in progress. */
  get openCommitTimeMs(): number | undefined {
    return this.#open?.commitTimeMs;
  }

  /** The events one message yields (none for begin, commit and logical messages). */
  accept(message: ReplicationMessage): SizedEvent[] {
    switch (message.kind) {
      case 'begin':
        this.#open = {
          lsn: lsnToDecimal(message.commitLsn),
          xid: message.xid,
          commitTs: new Date(message.commitTimeMs).toISOString(),
          commitTimeMs: message.commitTimeMs,
          seq: 0,
        };
        return [];
      case 'commit':
        this.#open = undefined;
        return [];
      case 'message':
        return [];
      case 'relation': {
        if (message.schema === 'public' && isSourceTableName(message.table))
          this.#onRelation?.(message.table, message.columns);
        return [];
      }
      case 'truncate':
        return message.tables.flatMap(({ table }) => {
          const known = this.#knownTable(table);
          if (!known) return [];
          const tx = this.#transaction();
          this.#warn({ kind: 'truncate', table: known, lsn: tx.lsn });
          const event: ChangeEvent = { ...this.#base(known, tx), op: 't', key: {}, row: null };
          return [{ event, bytes: ENVELOPE_BYTES }];
        });
      default:
        return this.#rowEvents(message);
    }
  }

  #rowEvents(message: ReplicationMessage & { kind: 'insert' | 'update' | 'delete' }): SizedEvent[] {
    const table = this.#knownTable(message.table);
    if (!table) return [];
    const tx = this.#transaction();
    const keyColumn = SOURCE_TABLES[table].primaryKey;
    const { lsn, xid, commitTs } = tx;
    if (message.kind === 'delete') {
      const key = keyOf(message.oldKey, keyColumn);
      const event: ChangeEvent = {
        table,
        op: 'd',
        key,
        row: null,
        lsn,
        seq: tx.seq++,
        xid,
        commit_ts: commitTs,
      };
      return [{ event, bytes: ENVELOPE_BYTES + 32 }];
    }
    const { row, unchanged, bytes } = rowImage(message.row ?? {});
    const key = keyOf(row, keyColumn);
    if (message.kind === 'insert') {
      const event: ChangeEvent = { table, op: 'c', key, row, lsn, seq: tx.seq++, xid, commit_ts: commitTs };
      return [{ event, bytes: ENVELOPE_BYTES + bytes }];
    }
    const events: SizedEvent[] = [];
    const oldKey = message.oldKey ? keyOf(message.oldKey, keyColumn) : undefined;
    if (oldKey && oldKey[keyColumn] !== key[keyColumn]) {
      // A primary-key change: the old key's row is gone, as if deleted.
      const gone: ChangeEvent = {
        table,
        op: 'd',
        key: oldKey,
        row: null,
        lsn,
        seq: tx.seq++,
        xid,
        commit_ts: commitTs,
      };
      events.push({ event: gone, bytes: ENVELOPE_BYTES + 32 });
    }
    const update: ChangeEvent =
      unchanged.length > 0
        ? { table, op: 'u', key, row, unchanged, lsn, seq: tx.seq++, xid, commit_ts: commitTs }
        : { table, op: 'u', key, row, lsn, seq: tx.seq++, xid, commit_ts: commitTs };
    events.push({ event: update, bytes: ENVELOPE_BYTES + bytes });
    return events;
  }

  #base(table: SourceTableName, tx: OpenTransaction) {
    return { table, lsn: tx.lsn, seq: tx.seq++, xid: tx.xid, commit_ts: tx.commitTs };
  }

  #transaction(): OpenTransaction {
    if (!this.#open)
      throw new Error('A row change arrived outside a transaction; the replication stream is corrupt.');
    return this.#open;
  }

  #knownTable(table: string): SourceTableName | undefined {
    if (isSourceTableName(table)) return table;
    this.#warn({ kind: 'unknown-table', table });
    return undefined;
  }
}

function keyOf(tuple: DecodedTuple | RowImage | null, keyColumn: string): RowImage {
  const value = tuple?.[keyColumn];
  return { [keyColumn]: value === undefined ? null : value };
}

const NONE: readonly string[] = [];

/**
 * The row image of a decoded tuple. The decoded tuple is a fresh object per message, so when every column is
 * present it becomes the row itself (no copy on the hot path); unchanged TOASTed columns are left out.
 */
function rowImage(tuple: DecodedTuple): { row: RowImage; unchanged: readonly string[]; bytes: number } {
  let bytes = 0;
  let unchanged: string[] | undefined;
  for (const name in tuple) {
    const value = tuple[name];
    if (value === undefined) {
      unchanged ??= [];
      unchanged.push(name);
    } else bytes += name.length + (typeof value === 'string' ? value.length + 6 : 10);
  }
  if (!unchanged) return { row: tuple as RowImage, unchanged: NONE, bytes };
  const row: Record<string, SourceValue> = {};
  for (const name in tuple) {
    const value = tuple[name];
    if (value !== undefined) row[name] = value;
  }
  return { row, unchanged, bytes };
}

/**
 * The LSN that snapshot rows taken at a slot's consistent point carry.
 *
 * An exported snapshot at consistent point `C` holds exactly the transactions whose commit LSN is below `C`;
 * the slot streams those at `C` and after. So the rows are the source as of `C - 1`: a watermark at
 * `durable - 1` covers them as soon as the slot is at `C`, and every streamed change sorts strictly after them.
 */
export function snapshotRowsLsn(point: Lsn): Lsn {
  return point - 1n;
}

/** Builds the `r` events of copied rows: lsn = the snapshot point, seq = row ordinal within the table. */
export function snapshotEvents(
  table: SourceTableName,
  rows: readonly RowImage[],
  point: Lsn,
  firstSeq: number,
  takenAt: Date,
): ChangeEvent[] {
  const lsn = lsnToDecimal(snapshotRowsLsn(point));
  const commitTs = takenAt.toISOString();
  const keyColumn = SOURCE_TABLES[table].primaryKey;
  return rows.map((row, index) => ({
    table,
    op: 'r',
    key: { [keyColumn]: row[keyColumn] ?? null },
    row,
    lsn,
    seq: firstSeq + index,
    xid: null,
    commit_ts: commitTs,
  }));
}

/**
 * One watermark per source table, each saying: every change with a commit LSN at or below `lsn` was accepted.
 * Pass `durable - 1` for a durable end LSN: the next transaction's commit record can start exactly at it.
 */
export function watermarkEvents(lsnValue: Lsn, now: Date): ChangeEvent[] {
  const lsn = lsnToDecimal(lsnValue);
  const commitTs = now.toISOString();
  return SOURCE_TABLE_NAMES.map((table) => ({
    table,
    op: 'w',
    key: {},
    row: null,
    lsn,
    seq: 0,
    xid: null,
    commit_ts: commitTs,
  }));
}
