/**
 * @module
 * Lake objects that cannot be read (README, "Bad input flows aside"): a Parquet file that is corrupt (torn,
 * overwritten, not Parquet) or one that was expected and is gone. Either would fail every loader run, and so
 * `up`, `sync` and `reconcile`, for good. The engine names the file it could not read; the object is then
 * moved aside whole to `quarantine/<its key>` (core/lake-layout.ts) with a note saying why, where nothing reads
 * it (views and queries read `<lake table>/`; compaction skips `quarantine/`), and `status` lists it. Whoever
 * quarantines it also has the table re-read from the source, which replaces what the object held; a market
 * table's object has no source table to re-read (its observations come back when a collector fetches that day
 * again).
 */
import { relative, sep } from 'node:path';
import { LAKE_PREFIXES, quarantineKey } from '../core/lake-layout.ts';
import type { ObjectStore } from '../core/ports/object-store.ts';
import { type AnyLakeTableName, LAKE_TABLE_NAMES, type LakeTableName } from '../core/schema/lake-tables.ts';
import { MARKET_LAKE_TABLE_NAMES } from '../core/schema/market-lake-tables.ts';
import { LakeParquetReadError } from './lake-parquet-reader.ts';

/** What is wrong with the object. */
export type UnreadableKind = 'corrupt' | 'missing';

/** An object of a lake table that a read failed on. */
export interface UnreadableObject {
  /** Its key in the lake bucket (`<lake table>/dt=…/<name>.parquet`). */
  readonly key: string;
  readonly table: AnyLakeTableName;
  readonly kind: UnreadableKind;
  /** The engine's own words. */
  readonly reason: string;
}

/** The note kept beside a quarantined object (`<quarantine key>.json`). */
export interface QuarantineNote {
  readonly key: string;
  readonly table: AnyLakeTableName;
  readonly kind: UnreadableKind;
  readonly reason: string;
  /** When it was quarantined (ISO-8601 UTC). */
  readonly at: string;
}

/** The suffix of a quarantine note's key. */
const NOTE_SUFFIX = '.note.json';

/** How deep a cause chain is searched for the file's name. */
const MAX_CAUSES = 8;

/** DuckDB quotes the file it failed on: `… end of file '/lake/x.parquet'`, `… match the pattern "/lake/x.parquet"`. */
const QUOTED_PARQUET = /(['"])([^'"]+\.parquet)\1/;
/** Athena (Trino) names the S3 object unquoted: `HIVE_CANNOT_OPEN_SPLIT: Error opening Hive split s3://b/x.parquet (offset=0, …`. */
const S3_PARQUET = /()(s3a?:\/\/[^\s'"()]+\.parquet)/;
const MISSING =
  /No files found that match the pattern|No such file or directory|Cannot open file|NoSuchKey|does not exist|HIVE_FILE_NOT_FOUND|FileNotFound/i;

/**
 * The lake object a failed read names, when it names one under `root` (the directory that plays the bucket
 * locally, `s3://<bucket>` on AWS), else undefined (the failure is something else: the warehouse, a query,
 * the disk).
 */
export function unreadableObjectIn(error: unknown, root: string): UnreadableObject | undefined {
  let current: unknown = error;
  for (let depth = 0; depth <= MAX_CAUSES && current instanceof Error; depth++) {
    // Our own Parquet reader (compaction, state snapshots) names the object by its key.
    if (current instanceof LakeParquetReadError) {
      return { key: current.key, table: current.table, kind: 'corrupt', reason: current.message };
    }
    const match = QUOTED_PARQUET.exec(current.message) ?? S3_PARQUET.exec(current.message);
    if (match) {
      const key = keyUnder(root, match[2]!);
      const table = key.split('/')[0]!;
      // A glob (a table whose files all vanished) names no one object.
      if (!key.startsWith('..') && !key.includes('*') && isLakeTable(table)) {
        const kind: UnreadableKind = MISSING.test(current.message) ? 'missing' : 'corrupt';
        return { key, table, kind, reason: current.message.split('\n')[0]! };
      }
    }
    current = current.cause;
  }
  return undefined;
}

/** A lake table of either kind (core/schema/lake-tables.ts). */
function isLakeTable(name: string): name is AnyLakeTableName {
  return ([...LAKE_TABLE_NAMES, ...MARKET_LAKE_TABLE_NAMES] as readonly string[]).includes(name);
}

/** The object key of `path` under `root`, or a key starting with `..` when it lies elsewhere. */
function keyUnder(root: string, path: string): string {
  if (!/^s3a?:\/\//.test(root)) return relative(root, path).split(sep).join('/');
  const bucket = `${root.replace(/\/+$/, '').replace(/^s3a:/, 's3:')}/`;
  const url = path.replace(/^s3a:/, 's3:');
  return url.startsWith(bucket) ? url.slice(bucket.length) : `../${url}`;
}

/**
 * Moves a corrupt object to `quarantine/<key>` (copied first, then deleted, so a crash between the two leaves a
 * copy, never nothing) and writes its note; for a missing one only the note. Returns the note.
 */
export async function quarantineObject(
  store: ObjectStore,
  object: UnreadableObject,
  now: Date = new Date(),
): Promise<QuarantineNote> {
  const target = quarantineKey(object.key);
  if (object.kind === 'corrupt') {
    const body = await store.get(object.key);
    if (body !== undefined) {
      await store.put(target, body);
      await store.delete(object.key);
    }
  }
  const note: QuarantineNote = {
    key: object.key,
    table: object.table,
    kind: object.kind,
    reason: object.reason,
    at: now.toISOString(),
  };
  await store.put(`${target}${NOTE_SUFFIX}`, Buffer.from(`${JSON.stringify(note)}\n`, 'utf8'));
  return note;
}

/** Every quarantine note, oldest key first. */
export async function quarantineNotes(store: ObjectStore): Promise<QuarantineNote[]> {
  const notes: QuarantineNote[] = [];
  for (const info of await store.list(LAKE_PREFIXES.quarantine)) {
    if (!info.key.endsWith(NOTE_SUFFIX)) continue;
    const body = await store.get(info.key);
    if (body === undefined) continue;
    try {
      notes.push(JSON.parse(Buffer.from(body).toString('utf8')) as QuarantineNote);
    } catch {
      // A torn note (a crash mid-write on a store without atomic puts) names nothing; the object beside it stays.
    }
  }
  return notes;
}

/** A `dt` partition of a star lake table. */
export interface LakePartition {
  readonly table: LakeTableName;
  readonly dt: string;
}

/**
 * The partitions of the star lake tables an object of which was quarantined (or found missing): what the
 * consistent cut may pass below a re-read of their table (loader/consistent-cut.ts).
 */
export async function quarantinedPartitions(store: ObjectStore): Promise<LakePartition[]> {
  const partitions: LakePartition[] = [];
  for (const note of await quarantineNotes(store)) {
    const dt = /\/dt=(\d{4}-\d{2}-\d{2})\//.exec(note.key)?.[1];
    if (dt !== undefined && isStarLakeTable(note.table)) partitions.push({ table: note.table, dt });
  }
  return partitions;
}

function isStarLakeTable(name: string): name is LakeTableName {
  return (LAKE_TABLE_NAMES as readonly string[]).includes(name);
}
