/**
 * @module
 * StateStore: small durable documents the reader keeps between runs (snapshot progress, last durable LSN).
 */

/**
 * A durable key-value store of JSON documents (a file locally, S3 or SSM on AWS).
 *
 * Contract:
 * - **Durability.** Once `put` resolves the value survives a crash; `get` after a restart returns it.
 * - **Atomicity.** A reader sees either the old or the new document, never a mix.
 * - **Read-your-writes** within one process. Last writer wins; callers serialise writes to one key.
 * - Keys are short slash-separated names (`reader/snapshot`), values JSON-serialisable.
 */
export interface StateStore {
  get<T>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
  delete(key: string): Promise<void>;
}
