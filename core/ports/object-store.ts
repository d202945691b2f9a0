/**
 * @module
 * ObjectStore: the lake's bucket (S3 on AWS, a directory laid out as `<lake dir>/<bucket>/<key>` offline).
 */

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
 *   delimiter `/`): the partitions of a table without listing their objects.
 * - Keys use `/` as separator and never start with `/` or contain `..`.
 */
export interface ObjectStore {
  put(key: string, body: Uint8Array): Promise<void>;
  /** The object's bytes, or `undefined` when there is no such key. */
  get(key: string): Promise<Uint8Array | undefined>;
  list(prefix: string): Promise<ObjectInfo[]>;
  /** The "folders" directly below `prefix` (which should end with `/`), each ending with `/`. */
  listPrefixes(prefix: string): Promise<string[]>;
  delete(key: string): Promise<void>;
}
