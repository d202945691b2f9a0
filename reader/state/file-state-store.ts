/**
 * @module
 * A StateStore of JSON files under a directory, for local runs. A write goes to a temporary file, is fsynced,
 * renamed over the old file and the directory fsynced, so a crash leaves either the old or the new document.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { StateStore } from '../../core/ports/state-store.ts';

const KEY_PATTERN = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/;

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

  async get<T>(key: string): Promise<T | undefined> {
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

  async put<T>(key: string, value: T): Promise<void> {
    const path = this.#path(key);
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

  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }

  #path(key: string): string {
    if (!KEY_PATTERN.test(key)) {
      throw new FileStateStoreError(
        `State key "${key}" is not allowed: use slash-separated [A-Za-z0-9_-] names.`,
      );
    }
    return join(this.#dir, `${key}.json`);
  }
}
