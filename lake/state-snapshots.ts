/**
 * @module
 * State snapshots (core/schema/lake-snapshots.ts): for each lake table, every key's newest version at or
 * below the warehouse's cut, deleted keys left out, written by compaction so that the `_latest` views and the
 * loader's dimension joins read one snapshot plus the changes after it instead of the whole history.
 *
 * A new snapshot is the previous one with the changes in (previous LSN, cut] applied in commit order: only
 * the partitions from the previous snapshot's `changesFrom` on, and in them only objects with rows above its
 * LSN, are read. An unchanged TOASTed column (`_unchanged`) takes the previous version's value. Objects are
 * written before the manifest that names them, and the folders of all but the current and the previous
 * snapshot are deleted (the previous one stays for readers that read the old manifest). Memory holds the
 * table's current state (one row per live key) and the changes since the last snapshot.
 */
import { PARTITION_KEY, snapshotPrefix } from '../core/lake-layout.ts';
import type { Log } from '../core/ports/log.ts';
import type { ObjectStore } from '../core/ports/object-store.ts';
import type { StateSnapshotManifest } from '../core/ports/state-snapshots.ts';
import { snapshotColumns, snapshotFolder } from '../core/schema/lake-snapshots.ts';
import {
  LAKE_TABLE_NAMES,
  LAKE_TABLES,
  type LakeTable,
  type LakeTableName,
  lakeColumns,
} from '../core/schema/lake-tables.ts';
import { openLakeParquet } from './lake-parquet-reader.ts';
import { dateToEpochDays } from './lake-value.ts';
import { ObjectStoreStateSnapshots } from './object-store-state-snapshots.ts';
import { LakeParquetStream, type ParquetCell } from './parquet-writer.ts';

/** The first day any partition may have (no snapshot yet: the whole history is read). */
const EVERY_DAY = '1970-01-01';
const DAY_MS = 86_400_000;

/** What snapshots need. */
export interface StateSnapshotDeps {
  readonly store: ObjectStore;
  readonly log?: Log;
  readonly now?: () => number;
}

/** The cut to take snapshots at. */
export interface StateSnapshotOptions {
  readonly cutLsn: bigint;
  /** Commit time of the cut (ISO-8601, from the warehouse), for the next snapshot's `changesFrom`. */
  readonly cutCommitTs: string | null;
  /** Objects are cut at this size. */
  readonly targetObjectBytes: number;
  readonly tables?: readonly LakeTableName[];
}

/** Brings every table's snapshot to the cut; returns the tables whose snapshot moved. */
export async function writeStateSnapshots(
  deps: StateSnapshotDeps,
  options: StateSnapshotOptions,
): Promise<LakeTableName[]> {
  const snapshots = new ObjectStoreStateSnapshots(deps.store);
  const moved: LakeTableName[] = [];
  for (const name of options.tables ?? LAKE_TABLE_NAMES) {
    const previous = await snapshots.current(name);
    if (previous !== undefined && BigInt(previous.lsn) >= options.cutLsn) continue;
    const manifest = await nextSnapshot(deps, LAKE_TABLES[name], previous, options);
    await snapshots.publish(manifest);
    await removeOldSnapshots(deps.store, name, [manifest.folder, previous?.folder]);
    moved.push(name);
  }
  if (moved.length > 0) {
    deps.log?.info('state snapshots taken', {
      stage: 'compaction',
      tables: moved,
      lsn: String(options.cutLsn),
    });
  }
  return moved;
}

/** A row of a snapshot: the snapshot's cells (lake columns, then `dt` as epoch days). */
type SnapshotRow = ParquetCell[];

async function nextSnapshot(
  deps: StateSnapshotDeps,
  table: LakeTable,
  previous: StateSnapshotManifest | undefined,
  options: StateSnapshotOptions,
): Promise<StateSnapshotManifest> {
  const columns = snapshotColumns(table);
  const at = (name: string) => columns.findIndex((c) => c.name === name);
  const [keyAt, opAt, lsnAt, seqAt, unchangedAt] = [
    at(table.keyColumn),
    at('_op'),
    at('_lsn'),
    at('_seq'),
    at('_unchanged'),
  ];
  const fromLsn = previous === undefined ? -1n : BigInt(previous.lsn);
  const state = new Map<string, SnapshotRow>();
  for (const key of previous?.objects ?? []) {
    const bytes = await deps.store.get(key);
    if (bytes === undefined)
      throw new Error(`State snapshot object ${key} named by its manifest is missing.`);
    const opened = await openLakeParquet(table, key, bytes, columns);
    for await (const group of opened.rowGroups()) {
      for (let row = 0; row < (group[0]?.length ?? 0); row++) {
        const cells = group.map((column) => column[row] ?? null);
        state.set(String(cells[keyAt]), cells);
      }
    }
  }
  const changes = await changesAfter(
    deps.store,
    table,
    previous?.changesFrom ?? EVERY_DAY,
    fromLsn,
    options.cutLsn,
  );
  if (previous !== undefined && changes.length === 0) {
    // Nothing changed since: the same objects hold the state at the cut too.
    return {
      ...previous,
      lsn: String(options.cutLsn),
      changesFrom: changesFrom(options.cutCommitTs, previous),
    };
  }
  changes.sort((a, b) =>
    compareVersions(a[lsnAt] ?? null, a[seqAt] ?? null, b[lsnAt] ?? null, b[seqAt] ?? null),
  );
  for (const change of changes) {
    const key = String(change[keyAt]);
    if (change[opAt] === 'd') {
      state.delete(key);
      continue;
    }
    const prior = state.get(key);
    const unchanged = change[unchangedAt];
    if (prior !== undefined && typeof unchanged === 'string' && unchanged !== '') {
      for (const name of unchanged.split(',')) {
        const index = at(name);
        if (index >= 0) change[index] = prior[index] ?? null;
      }
      change[unchangedAt] = null;
    }
    state.set(key, change);
  }
  const folder = snapshotFolder(options.cutLsn);
  const objects = await writeSnapshotObjects(
    deps.store,
    table,
    folder,
    state,
    keyAt,
    options.targetObjectBytes,
  );
  return {
    table: table.name,
    lsn: String(options.cutLsn),
    folder,
    changesFrom: changesFrom(options.cutCommitTs, previous),
    objects,
    createdAt: new Date((deps.now ?? Date.now)()).toISOString(),
  };
}

/** Every change (not watermark) with an LSN in (`fromLsn`, `toLsn`], from the partitions from `fromDay` on. */
async function changesAfter(
  store: ObjectStore,
  table: LakeTable,
  fromDay: string,
  fromLsn: bigint,
  toLsn: bigint,
): Promise<SnapshotRow[]> {
  const columns = lakeColumns(table);
  const opAt = columns.findIndex((c) => c.name === '_op');
  const lsnAt = columns.findIndex((c) => c.name === '_lsn');
  const changes: SnapshotRow[] = [];
  const partitions = await store.listPrefixes(`${table.name}/${PARTITION_KEY}=`, {
    startAfter: `${table.name}/${PARTITION_KEY}=${fromDay}`,
  });
  for (const partition of partitions) {
    const day = partition.slice(partition.indexOf('=') + 1, -1);
    const days = dateToEpochDays(day);
    for (const object of await store.list(partition)) {
      if (!object.key.endsWith('.parquet')) continue;
      const bytes = await store.get(object.key);
      if (bytes === undefined) continue; // compacted away since the listing: its rows are in the output
      const opened = await openLakeParquet(table, object.key, bytes);
      if (opened.maxLsn === null || opened.maxLsn <= fromLsn) continue;
      for await (const group of opened.rowGroups()) {
        for (let row = 0; row < (group[0]?.length ?? 0); row++) {
          const op = group[opAt]![row];
          const lsn = group[lsnAt]![row];
          if (op === 'w' || op === 't' || typeof lsn !== 'bigint' || lsn <= fromLsn || lsn > toLsn) continue;
          changes.push([...group.map((column) => column[row] ?? null), days]);
        }
      }
    }
  }
  return changes;
}

async function writeSnapshotObjects(
  store: ObjectStore,
  table: LakeTable,
  folder: string,
  state: ReadonlyMap<string, SnapshotRow>,
  keyAt: number,
  targetBytes: number,
): Promise<string[]> {
  const columns = snapshotColumns(table);
  const rows = [...state.values()].sort((a, b) => Number(a[keyAt]) - Number(b[keyAt]));
  const keys: string[] = [];
  let stream = new LakeParquetStream(table, columns);
  const flush = async () => {
    const key = `${snapshotPrefix(table.name)}${folder}/part-${String(keys.length).padStart(4, '0')}.parquet`;
    await store.put(key, stream.finish());
    keys.push(key);
    stream = new LakeParquetStream(table, columns);
  };
  for (let start = 0; start < rows.length; start += 10_000) {
    const slice = rows.slice(start, start + 10_000);
    stream.append(columns.map((_, index) => slice.map((row) => row[index] ?? null)));
    if (stream.bytes >= targetBytes) await flush();
  }
  // An empty table still gets one (empty) object, so the snapshot's folder exists for the catalog.
  if (stream.rows > 0 || keys.length === 0) await flush();
  return keys;
}

async function removeOldSnapshots(
  store: ObjectStore,
  table: LakeTableName,
  keep: readonly (string | undefined)[],
): Promise<void> {
  const prefix = snapshotPrefix(table);
  for (const folder of await store.listPrefixes(prefix)) {
    const name = folder.slice(prefix.length, -1);
    if (keep.includes(name)) continue;
    for (const object of await store.list(folder)) await store.delete(object.key);
  }
}

/** The day the next changes can start on: the cut's commit day less one (commit times near midnight). */
function changesFrom(cutCommitTs: string | null, previous: StateSnapshotManifest | undefined): string {
  if (cutCommitTs === null) return previous?.changesFrom ?? EVERY_DAY;
  const time = Date.parse(cutCommitTs.includes('T') ? cutCommitTs : `${cutCommitTs.replace(' ', 'T')}Z`);
  if (Number.isNaN(time)) return previous?.changesFrom ?? EVERY_DAY;
  return new Date(time - DAY_MS).toISOString().slice(0, 10);
}

function compareVersions(lsnA: ParquetCell, seqA: ParquetCell, lsnB: ParquetCell, seqB: ParquetCell): number {
  const [a, b] = [BigInt(lsnA as bigint), BigInt(lsnB as bigint)];
  if (a !== b) return a < b ? -1 : 1;
  return Number(seqA) - Number(seqB);
}
