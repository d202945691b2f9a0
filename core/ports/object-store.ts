/**
 * @module
 * ObjectStore: the lake's bucket (S3 on AWS, a directory laid out as `<lake dir>/<bucket>/<key>` offline).
 */

/** Where a folder listing starts (S3 ListObjectsV2's `StartAfter`). */
export interface ListPrefixesOptions {
  /**
   * Only the folders sorting after this point are listed, and a store reads none before it: a caller that
   * needs the partitions from day D on passes `<table>/dt=D` (which sorts just before `<table>/dt=D/`) and
   * never lists the older ones. A point inside a folder is not defined (S3 and its emulators differ there).
   */
  readonly startAfter?: string;
}

/** One stored object as a listing reports it. */
export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  /** Last modification time, epoch milliseconds. */
  readonly modifiedAt: number;
}

/**
 * A flat key space of immutable objects.
 *
 * Contract:
 * - **Atomicity.** `put` makes the whole object visible at once; no reader ever sees part of it.
 * - **Durability.** Once `put` resolves, the object survives a crash of the process.
 * - **Idempotency.** Putting the same key again replaces the object whole (last writer wins).
 * - **Listing.** `list(prefix)` returns every object whose key starts with `prefix`, sorted by key; objects
 *   put before the call started are included. `listPrefixes(prefix)` returns, sorted, the distinct
 *   `prefix + segment + '/'` of the keys below `prefix` that have a `/` after it (S3's common prefixes with
 *   delimiter `/`): the partitions of a table without listing their objects. With `{ startAfter }` it returns
 *   only the folders that sort after `startAfter` (S3's `StartAfter`: the listing begins there), and its cost
 *   does not grow with the folders before it: a caller's floor keeps its listing independent of the lake's age.
 * - Keys use `/` as separator and never start with `/` or contain `..`.
 */
export interface ObjectStore {
  put(key: string, body: Uint8Array): Promise<void>;
  /** The object's bytes, or `undefined` when there is no such key. */
  get(key: string): Promise<Uint8Array | undefined>;
  list(prefix: string): Promise<ObjectInfo[]>;
  /**
   * The keys `list(prefix)` would return, in its order, without their sizes and times: where a listing does not
   * carry them (a directory), reading them costs a call per object, and most callers need only the keys.
   */
  listKeys(prefix: string): Promise<string[]>;
  /** The "folders" directly below `prefix` (which should end with `/`), each ending with `/`. */
  listPrefixes(prefix: string, options?: ListPrefixesOptions): Promise<string[]>;
  delete(key: string): Promise<void>;
}
