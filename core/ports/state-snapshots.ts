/**
 * @module
 * StateSnapshots: where the current state snapshot of each lake table is (written by compaction, read by the
 * loader's dimension joins and the `_latest` views). On AWS and locally: a manifest object per table in the
 * lake bucket (`lake/object-store-state-snapshots.ts`).
 */
import type { LakeTableName } from '../schema/lake-tables.ts';

/** A complete state snapshot of one lake table. */
export interface StateSnapshotManifest {
  readonly table: LakeTableName;
  /** Every key's newest version at or below this LSN (decimal) is in it, deleted keys left out. */
  readonly lsn: string;
  /** The snapshot's folder (its LSN in 20 digits), the `snapshot_lsn` the catalog knows it by. */
  readonly folder: string;
  /**
   * The first `dt` that can hold a change above `lsn`: the commit day of the cut it was taken at, less a day
   * for commit times near midnight. Readers of the changes after the snapshot prune on it.
   */
  readonly changesFrom: string;
  /** The snapshot's Parquet objects (keys in the lake bucket). */
  readonly objects: readonly string[];
  readonly createdAt: string;
}

/**
 * The current snapshots.
 *
 * Contract:
 * - **Complete or absent.** A manifest is published only after every object it names is durable, and it is
 *   replaced whole: a reader sees the old snapshot or the new one.
 * - **Kept for readers.** The objects of the snapshot a manifest replaced stay readable at least until the
 *   next snapshot of the table, so a reader that read the old manifest still finds them.
 * - **Monotonic.** A table's snapshot LSN never goes down.
 */
export interface StateSnapshots {
  /** The table's current snapshot, or undefined when it has none yet. */
  current(table: LakeTableName): Promise<StateSnapshotManifest | undefined>;
}
