/**
 * @module
 * A StateStore of JSON files under a directory, for local runs. A write goes to a temporary file, is fsynced,
 * renamed over the old file and the directory fsynced, so a crash leaves either the old or the new document.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { checkStateName, type StateKey, type StateStore } from '../../core/ports/state-store.ts';

/** A state file could not be read, written or parsed. */
export class FileStateStoreError extends Error {
  override readonly name = 'FileStateStoreError';
}

/** {@link StateStore} keeping `<dir>/<key>.json`. */
export class FileStateStore implements StateStore {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  async get<T>(stateKey: StateKey<T>): Promise<T | undefined> {
    const key = stateKey.name;
    const path = this.#path(key);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new FileStateStoreError(
        `Could not read state "${key}" from ${path}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new FileStateStoreError(
        `State file ${path} is not valid JSON; delete it to start that state afresh.`,
        { cause: error },
      );
    }
  }

  async put<T>(key: StateKey<T>, value: T): Promise<void> {
    const path = this.#path(key.name);
    const dir = dirname(path);
    await mkdir(dir, { recursive: true });
    const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    const file = await open(temp, 'w');
    try {
      await file.writeFile(JSON.stringify(value), 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async delete(key: StateKey<unknown>): Promise<void> {
    await rm(this.#path(key.name), { force: true });
  }

  async list(prefix: string): Promise<string[]> {
    const root = join(this.#dir, checkStateName(prefix));
    let entries: string[];
    try {
      entries = await readdir(root, { recursive: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new FileStateStoreError(`Could not list state under ${root}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    // Temporary files of writes in progress end in `.tmp`; only whole documents are listed.
    return entries
      .filter((entry) => entry.endsWith('.json'))
      .map(
        (entry) =>
          `${prefix}/${relative(root, join(root, entry)).split(sep).join('/').slice(0, -'.json'.length)}`,
      )
      .sort();
  }

  #path(key: string): string {
    return join(this.#dir, `${checkStateName(key)}.json`);
  }
}
