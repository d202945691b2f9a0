/**
 * @module
 * Checks that a JSON value from a Firehose record is a change event (core/change-event.ts) before it is
 * mapped: the reader is trusted, but a record in a delivery stream can come from anyone with `PutRecord`.
 */
import type { ChangeEvent, ChangeOp, RowImage } from '../core/change-event.ts';
import { isSourceTableName } from '../core/schema/source-tables.ts';
import { RecordRejectedError } from './record-rejected-error.ts';

const OPS: ReadonlySet<string> = new Set<ChangeOp>(['c', 'u', 'd', 'r', 't', 'w']);
const DECIMAL_LSN = /^\d{1,20}$/;
/** Commit times are UTC with milliseconds, as `Date.prototype.toISOString` writes them. */
const COMMIT_TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;
/** The lake partition a watermark names. */
const PARTITION_DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Narrows a parsed JSON value to a change event.
 *
 * @throws {RecordRejectedError} naming the missing or malformed field (and the table and LSN once known).
 */
export function parseChangeEvent(value: unknown): ChangeEvent {
  if (!isObject(value)) throw new RecordRejectedError('A change event must be a JSON object.');
  const { table, op, lsn, seq, xid, commit_ts: commitTs, key, row, unchanged, dt } = value;
  if (typeof table !== 'string') throw missing('table');
  if (!isSourceTableName(table)) {
    throw new RecordRejectedError(
      'Unknown source table; the event names none of the 11 tables in core/schema/source-tables.ts.',
    );
  }
  if (typeof op !== 'string') throw missing('op', whereOf(table, lsn));
  if (!OPS.has(op)) {
    throw new RecordRejectedError('Field op must be one of c, u, d, r, t, w.', whereOf(table, lsn));
  }
  if (typeof lsn !== 'string' || !DECIMAL_LSN.test(lsn)) {
    throw missing('lsn (a decimal string)', whereOf(table, lsn));
  }
  const where = { table, lsn };
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
    throw missing('seq (a non-negative integer)', where);
  }
  if (
    xid !== undefined &&
    xid !== null &&
    (typeof xid !== 'number' || !Number.isSafeInteger(xid) || xid < 0)
  ) {
    throw new RecordRejectedError('Field xid must be a non-negative integer or null.', where);
  }
  // Events of one transaction share their commit time: test each distinct text once.
  if (commitTs !== lastCommitTs) {
    if (typeof commitTs !== 'string' || !COMMIT_TS.test(commitTs)) {
      throw missing('commit_ts (UTC ISO-8601 with milliseconds)', where);
    }
    lastCommitTs = commitTs;
  }
  const commit_ts = commitTs as string;
  const xidOrNull = typeof xid === 'number' ? xid : null;
  // Object literals rather than spreads of a shared base: this is on the Lambda's per-event path.
  switch (op as ChangeOp) {
    case 'c':
    case 'r': {
      const keyImage = image(key, 'key', where);
      const rowImage = image(row, 'row', where);
      return {
        table,
        lsn,
        seq,
        xid: xidOrNull,
        commit_ts,
        op: op as 'c' | 'r',
        key: keyImage,
        row: rowImage,
      };
    }
    case 'u': {
      if (unchanged !== undefined && !isStringArray(unchanged)) {
        throw new RecordRejectedError('Field unchanged must be an array of column names.', where);
      }
      const keyImage = image(key, 'key', where);
      const rowImage = image(row, 'row', where);
      return unchanged === undefined
        ? { table, lsn, seq, xid: xidOrNull, commit_ts, op: 'u', key: keyImage, row: rowImage }
        : { table, lsn, seq, xid: xidOrNull, commit_ts, op: 'u', key: keyImage, row: rowImage, unchanged };
    }
    case 'd':
      return {
        table,
        lsn,
        seq,
        xid: xidOrNull,
        commit_ts,
        op: 'd',
        key: image(key, 'key', where),
        row: null,
      };
    case 't': {
      const keyImage = isObject(key) ? image(key, 'key', where) : {};
      return { table, lsn, seq, xid: xidOrNull, commit_ts, op: 't', key: keyImage, row: null };
    }
    case 'w': {
      const keyImage = isObject(key) ? image(key, 'key', where) : {};
      if (dt === undefined)
        return { table, lsn, seq, xid: xidOrNull, commit_ts, op: 'w', key: keyImage, row: null };
      if (typeof dt !== 'string' || !PARTITION_DAY.test(dt)) {
        throw new RecordRejectedError('Field dt of a watermark must be a UTC day YYYY-MM-DD.', where);
      }
      return { table, lsn, seq, xid: xidOrNull, commit_ts, op: 'w', key: keyImage, row: null, dt };
    }
  }
}

/** The last commit_ts that passed its check; starts as a valid one, so no unchecked value can match it. */
let lastCommitTs: unknown = '1970-01-01T00:00:00.000Z';

/** Where a refused event comes from; built only for a refusal, since parsing runs for every event. */
function whereOf(table: string, lsn: unknown): { table: string; lsn?: string } {
  return { table, ...(typeof lsn === 'string' && DECIMAL_LSN.test(lsn) ? { lsn } : {}) };
}

function missing(field: string, where: { table?: string; lsn?: string } = {}): RecordRejectedError {
  return new RecordRejectedError(`The change event lacks field ${field}.`, where);
}

function image(value: unknown, field: 'key' | 'row', where: { table: string; lsn?: string }): RowImage {
  if (!isObject(value)) throw missing(`${field} (an object)`, where);
  for (const column in value) {
    const cell = value[column];
    if (cell !== null && typeof cell !== 'string' && typeof cell !== 'number' && typeof cell !== 'boolean') {
      throw new RecordRejectedError(
        `Column ${column} of ${field} must be a string, number, boolean or null, not an object or array.`,
        { ...where, column },
      );
    }
  }
  return value as RowImage;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
