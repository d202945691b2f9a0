/**
 * @module
 * An in-memory StateStore for tests: values are copied through JSON so callers cannot mutate stored state.
 */
import type { StateStore } from '../core/ports/state-store.ts';

/** {@link StateStore} in a Map; survives as long as the object does (across reader restarts in one test). */
export class MemoryStateStore implements StateStore {
  readonly #values = new Map<string, string>();

  async get<T>(key: string): Promise<T | undefined> {
    const text = this.#values.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  async put<T>(key: string, value: T): Promise<void> {
    this.#values.set(key, JSON.stringify(value));
  }

  async delete(key: string): Promise<void> {
    this.#values.delete(key);
  }
}
