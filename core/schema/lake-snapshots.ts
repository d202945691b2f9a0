/**
 * @module
 * The lake's state snapshots and latest-state views, derived from the lake tables. A state snapshot of a lake
 * table holds, for one LSN, the newest version at or below it of every key that was not deleted (written by
 * compaction, `lake/state-snapshots.ts`); the `<lake table>_latest` view reads the current snapshot plus the
 * changes after it. Snapshot files carry the lake table's columns and the version's `dt` as a data column;
 * on Athena they are the Glue table `<lake table>_snapshot`, partitioned by `snapshot_lsn` (the snapshot's
 * folder, its LSN in 20 digits).
 */
import { PARTITION_COLUMN } from './lake-metadata-columns.ts';
import type { LakeColumn, LakeTable, LakeTableName } from './lake-table.ts';
import { lakeColumns } from './lake-tables.ts';

/** The column naming a snapshot (its folder): the LSN it was taken at, 20 digits. */
export const SNAPSHOT_PARTITION_COLUMN: LakeColumn = {
  name: 'snapshot_lsn',
  type: 'string',
  comment: 'the LSN the snapshot holds the state at, 20 digits (the snapshot folder)',
};

/** The columns of a snapshot file: the lake table's, then the version's `dt`. */
export function snapshotColumns(table: LakeTable): readonly LakeColumn[] {
  return [...lakeColumns(table), PARTITION_COLUMN];
}

/** The catalog name of a lake table's snapshots. */
export function snapshotTableName(table: LakeTableName): `${LakeTableName}_snapshot` {
  return `${table}_snapshot`;
}

/**
 * The view with each key's newest version, deleted keys left out (of a market table: each observation key's
 * newest fetch).
 */
export function latestViewName<T extends string>(table: T): `${T}_latest` {
  return `${table}_latest`;
}

/** A snapshot folder name for `lsn` (sorts like the LSN). */
export function snapshotFolder(lsn: bigint): string {
  return String(lsn).padStart(20, '0');
}

/** The `snapshot_lsn` value that names no snapshot (a lake table without one yet). */
export const NO_SNAPSHOT = 'none';
