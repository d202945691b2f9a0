/**
 * @module
 * An ObjectStore that crashes part way: every mutating operation after the first `allowed` ones (puts and
 * deletes, counted together) throws, as a process killed in the middle of a multi-object write leaves the
 * bucket. Reads always go through, so a test can look at what the crash left.
 */
import type { ListPrefixesOptions, ObjectInfo, ObjectStore } from '../../core/ports/object-store.ts';

/** {@link ObjectStore} over `inner` that throws `crash` once `allowed` puts and deletes went through. */
export class CrashingObjectStore implements ObjectStore {
  /** Mutating operations that went through so far. */
  operations = 0;
  readonly #inner: ObjectStore;
  readonly #allowed: number;

  constructor(inner: ObjectStore, allowed: number) {
    this.#inner = inner;
    this.#allowed = allowed;
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    this.#step();
    await this.#inner.put(key, body);
  }

  get(key: string): Promise<Uint8Array | undefined> {
    return this.#inner.get(key);
  }

  list(prefix: string): Promise<ObjectInfo[]> {
    return this.#inner.list(prefix);
  }

  listKeys(prefix: string): Promise<string[]> {
    return this.#inner.listKeys(prefix);
  }

  listPrefixes(prefix: string, options?: ListPrefixesOptions): Promise<string[]> {
    return this.#inner.listPrefixes(prefix, options);
  }

  async delete(key: string): Promise<void> {
    this.#step();
    await this.#inner.delete(key);
  }

  #step(): void {
    if (this.operations >= this.#allowed) throw new Error('crash');
    this.operations++;
  }
}
