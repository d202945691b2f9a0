/**
 * @module
 * An in-memory StateStore for tests: values are copied through JSON so callers cannot mutate stored state.
 */
import { checkStateName, type StateKey, type StateStore } from '../core/ports/state-store.ts';

/** {@link StateStore} in a Map; survives as long as the object does (across reader restarts in one test). */
export class MemoryStateStore implements StateStore {
  readonly #values = new Map<string, string>();

  async get<T>(key: StateKey<T>): Promise<T | undefined> {
    const text = this.#values.get(checkStateName(key.name));
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  async put<T>(key: StateKey<T>, value: T): Promise<void> {
    this.#values.set(checkStateName(key.name), JSON.stringify(value));
  }

  async delete(key: StateKey<unknown>): Promise<void> {
    this.#values.delete(checkStateName(key.name));
  }

  async list(prefix: string): Promise<string[]> {
    const under = `${checkStateName(prefix)}/`;
    return [...this.#values.keys()].filter((name) => name.startsWith(under)).sort();
  }
}
