/**
 * @module
 * The change event: the JSON record the reader puts to a table's delivery stream (one delivery stream per source table).
 *
 * Values are lossless, text-faithful encodings of what PostgreSQL stores: integers as JSON numbers, numeric as
 * decimal strings (`"2.43"`), timestamps exactly as PostgreSQL prints them (`"2022-11-03 14:20:52.186"`), text
 * dates and enum labels as strings, booleans as JSON booleans, NULL as `null`. Floats never appear.
 */
import type { SourceTableName } from './schema/source-tables.ts';

/** One column value as it travels in a change event. */
export type SourceValue = string | number | boolean | null;

/** A row image: column name to value. */
export type RowImage = Readonly<Record<string, SourceValue>>;

/**
 * The kind of change: `c` insert, `u` update, `d` delete, `r` snapshot read, `t` truncate, `w` watermark.
 */
export type ChangeOp = 'c' | 'u' | 'd' | 'r' | 't' | 'w';

/** Fields every change event carries. */
interface ChangeEventBase {
  /** The source table the event belongs to (for a watermark, the stream it was put to). */
  readonly table: SourceTableName;
  /** Commit LSN of the transaction (for `r`, the slot's consistent point), as a decimal 64-bit string. */
  readonly lsn: string;
  /** Ordinal of the change inside its transaction, or of the row inside its table's snapshot; from 0. */
  readonly seq: number;
  /** Source transaction id, or null for snapshot reads and watermarks. */
  readonly xid: number | null;
  /** Commit time in UTC with milliseconds (`2026-11-22T14:54:17.123Z`); for a watermark, when it was emitted. */
  readonly commit_ts: string;
}

/** An inserted (`c`) or snapshot-read (`r`) row: the full row image. */
export interface RowInsertEvent extends ChangeEventBase {
  readonly op: 'c' | 'r';
  readonly key: RowImage;
  readonly row: RowImage;
}

/**
 * An updated row. Columns listed in `unchanged` were TOASTed and not changed: PostgreSQL did not send them,
 * so they are absent from `row` and downstream keeps the previous value. They are never sent as null.
 */
export interface RowUpdateEvent extends ChangeEventBase {
  readonly op: 'u';
  readonly key: RowImage;
  readonly row: RowImage;
  readonly unchanged?: readonly string[];
}

/** A deleted row: only its primary key is known. */
export interface RowDeleteEvent extends ChangeEventBase {
  readonly op: 'd';
  readonly key: RowImage;
  readonly row: null;
}

/** The whole table was truncated in this transaction. */
export interface TruncateEvent extends ChangeEventBase {
  readonly op: 't';
  readonly key: RowImage;
  readonly row: null;
}

/**
 * A watermark: every change with a commit LSN at or below `lsn` has already been accepted by every stream.
 * When one reaches a lake partition, that partition has delivered everything of its stream before it (the
 * partitions of one stream are delivered in no order, so a watermark proves only its own).
 */
export interface WatermarkEvent extends ChangeEventBase {
  readonly op: 'w';
  readonly key: RowImage;
  readonly row: null;
  /** The lake partition (UTC day `YYYY-MM-DD`) the watermark goes to; absent: the day it was emitted. */
  readonly dt?: string;
}

/** A change event, discriminated on `op`. */
export type ChangeEvent = RowInsertEvent | RowUpdateEvent | RowDeleteEvent | TruncateEvent | WatermarkEvent;

/** The change events that carry a row image. */
export type RowEvent = RowInsertEvent | RowUpdateEvent;

/**
 * The dedupe key of a change: `(table, key, lsn, seq)`. Firehose delivers at least once, so two events with
 * the same dedupe key are the same change.
 */
export function dedupeKey(event: ChangeEvent): string {
  return `${event.table}|${JSON.stringify(event.key)}|${event.lsn}|${event.seq}`;
}

/** The UTC calendar day of the commit (`YYYY-MM-DD`). */
export function commitDate(event: Pick<ChangeEvent, 'commit_ts'>): string {
  return event.commit_ts.slice(0, 10);
}

/** The lake's `dt` partition of an event: its commit day, or for a watermark the partition it names. */
export function lakePartitionOf(event: ChangeEvent): string {
  return event.op === 'w' && event.dt !== undefined ? event.dt : commitDate(event);
}
