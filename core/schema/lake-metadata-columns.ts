/**
 * @module
 * Columns every lake table carries besides its business columns, and its `dt` partition.
 */
import type { LakeColumn } from './lake-table.ts';

/**
 * Metadata columns, appended after the business columns of every lake table.
 * `(key, _lsn, _seq)` identifies a change: Firehose delivers at least once, so the loader dedupes on it.
 */
export const METADATA_COLUMNS: readonly LakeColumn[] = [
  {
    name: '_op',
    type: 'string',
    comment: 'c insert, u update, d delete, r snapshot read, t truncate, w watermark',
  },
  {
    name: '_lsn',
    type: 'bigint',
    comment: 'commit LSN of the source transaction (watermark: LSN fully accepted)',
  },
  { name: '_seq', type: 'int', comment: 'ordinal of the change inside its transaction or snapshot' },
  { name: '_xid', type: 'bigint', comment: 'source transaction id; null for snapshot reads and watermarks' },
  { name: '_commit_ts', type: 'timestamp', comment: 'commit time (UTC, milliseconds); watermark: emit time' },
  {
    name: '_unchanged',
    type: 'string',
    comment: 'comma-separated columns PostgreSQL did not send (unchanged TOAST); keep their previous value',
  },
];

/** The partition column: the UTC commit day of the change, from the transformation's partition key. */
export const PARTITION_COLUMN: LakeColumn = {
  name: 'dt',
  type: 'date',
  comment: 'UTC commit date (YYYY-MM-DD), partition key from the transformation Lambda',
};

/**
 * Athena partition projection on `dt`: every day from the first possible commit to now, so no crawler and
 * no `ALTER TABLE ADD PARTITION` are ever needed.
 */
export const DT_PROJECTION = {
  type: 'date',
  format: 'yyyy-MM-dd',
  range: '2020-01-01,NOW',
  interval: '1',
  intervalUnit: 'DAYS',
} as const;
