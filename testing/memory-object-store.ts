/**
 * @module
 * An in-memory ObjectStore honouring the port's contract (whole-object puts, sorted listings), with an
 * optional failure switch to exercise delivery retries. For tests and benchmarks.
 */
import type { ListPrefixesOptions, ObjectInfo, ObjectStore } from '../core/ports/object-store.ts';

/** {@link ObjectStore} in a Map; `modifiedAt` counts puts, so listings order objects by when they were put. */
export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, Uint8Array>();
  readonly #modified = new Map<string, number>();
  #puts = 0;
  /** When true, every put fails (as a broken bucket would). */
  failPuts = false;

  async put(key: string, body: Uint8Array): Promise<void> {
    if (this.failPuts) throw new Error('injected put failure');
    this.objects.set(key, new Uint8Array(body));
    this.#modified.set(key, Date.UTC(2020, 0, 1) + ++this.#puts);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.objects.get(key);
  }

  async listKeys(prefix: string): Promise<string[]> {
    return this.keys(prefix);
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    return this.keys(prefix).map((key) => ({
      key,
      size: this.objects.get(key)!.length,
      modifiedAt: this.#modified.get(key) ?? 0,
    }));
  }

  async listPrefixes(prefix: string, options: ListPrefixesOptions = {}): Promise<string[]> {
    const { startAfter } = options;
    const found = new Set<string>();
    for (const key of this.keys(prefix)) {
      const slash = key.indexOf('/', prefix.length);
      if (slash >= 0) found.add(key.slice(0, slash + 1));
    }
    return [...found].filter((folder) => startAfter === undefined || folder > startAfter).sort();
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
    this.#modified.delete(key);
  }

  /** The keys under `prefix`, sorted. */
  keys(prefix = ''): string[] {
    return [...this.objects.keys()].filter((key) => key.startsWith(prefix)).sort();
  }
}
