/**
 * @module
 * StateStore: small durable documents the reader keeps between runs (snapshot progress, metrics, re-read
 * requests), each under a typed key.
 */

/**
 * The name of one state document and, as a type, what it holds: `get` and `put` on a key only take and give
 * that type. Names are short slash-separated `[A-Za-z0-9_-]` segments (`reader/snapshot`).
 */
export interface StateKey<T> {
  readonly name: string;
  /** Never set: carries the document's type. */
  readonly value?: T;
}

/** The key of a document of type `T` named `name`. */
export function stateKey<T>(name: string): StateKey<T> {
  return { name };
}

/**
 * A durable store of JSON documents (files locally, S3 objects on AWS).
 *
 * Contract:
 * - **Durability.** Once `put` resolves the value survives a crash; `get` after a restart returns it.
 * - **Atomicity.** A reader sees either the old or the new document, never a mix.
 * - **Read-your-writes** within one process. Last writer wins on one key, so two processes never
 *   read-modify-write the same document: what several writers add goes in documents of its own (one per
 *   request), listed with `list` and deleted one by one by whoever consumed them.
 * - **Listing.** `list(prefix)` names every document under `prefix/` put before the call started, sorted.
 * - `get` of a missing key is `undefined`; deleting a missing key is not an error.
 */
export interface StateStore {
  get<T>(key: StateKey<T>): Promise<T | undefined>;
  put<T>(key: StateKey<T>, value: T): Promise<void>;
  delete(key: StateKey<unknown>): Promise<void>;
  list(prefix: string): Promise<string[]>;
}

const NAME_PATTERN = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/;

/** Checks a document name or prefix; adapters call it before touching storage, so no name escapes its root. */
export function checkStateName(name: string): string {
  if (!NAME_PATTERN.test(name)) {
    throw new RangeError(
      `State key "${name}" is not a short slash-separated name (letters, digits, _ and -, e.g. reader/snapshot).`,
    );
  }
  return name;
}
