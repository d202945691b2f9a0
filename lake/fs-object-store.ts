/**
 * @module
 * ObjectStore over a local directory laid out like the bucket: object `k` of bucket `b` is the file
 * `<lakeDir>/<b>/<k>`, so DuckDB, hyparquet or `ls` read the lake exactly as Athena reads S3.
 *
 * A put writes a temporary file beside the target, fsyncs it, renames it over the target and fsyncs the
 * directory: rename is atomic on POSIX filesystems, so a reader sees the old object or the new one, never part
 * of one, and a put that resolved survives a crash. Temporary files are hidden (`.tmp-` prefix, no `.parquet`
 * suffix) so globbing readers skip them, and `list` ignores them; a crash can leave one behind, harmless.
 */
import { randomUUID } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ListPrefixesOptions, ObjectInfo, ObjectStore } from '../core/ports/object-store.ts';

/** The name prefix of in-flight temporary files; no key segment may start with it. */
const TEMP_PREFIX = '.tmp-';

/**
 * Stats in flight at once while listing: enough to keep libuv's pool (4 threads by default) busy, few enough
 * that a listing of thousands of objects does not queue ahead of every other file operation of the process.
 */
const STAT_CONCURRENCY = 8;

/** A key the store refuses: the ObjectStore contract's key rules, plus what a filesystem cannot hold. */
export class ObjectKeyError extends Error {
  override readonly name = 'ObjectKeyError';
}

/** An ObjectStore over `<lakeDir>/<bucket>/`. */
export class FsObjectStore implements ObjectStore {
  /** The directory that plays the bucket. */
  readonly root: string;

  constructor(lakeDir: string, bucket: string) {
    if (bucket === '' || bucket.includes('/') || bucket === '.' || bucket === '..') {
      throw new ObjectKeyError(
        `Bucket name "${bucket}" cannot be a directory name; use a plain S3 bucket name.`,
      );
    }
    this.root = join(lakeDir, bucket);
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    const path = this.#pathOf(key);
    const directory = dirname(path);
    const firstCreated = await mkdir(directory, { recursive: true });
    const temp = join(directory, `${TEMP_PREFIX}${randomUUID()}`);
    const file = await open(temp, 'wx');
    try {
      await file.writeFile(body);
      await file.sync();
    } catch (error) {
      await file.close();
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    await file.close();
    await rename(temp, path);
    await syncDirectory(directory);
    // Directories mkdir just made are entries of their parents: sync those too, or a crash could lose them.
    if (firstCreated !== undefined) {
      for (let created = directory; created.length >= firstCreated.length; created = dirname(created)) {
        await syncDirectory(dirname(created));
      }
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.#pathOf(key)));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const keys = await this.listKeys(prefix);
    // One stat per object, a bounded number at a time: one after another, a partition of a few hundred
    // objects cost as many sequential round trips to libuv's pool on every listing.
    const infos = await mapBounded(keys, STAT_CONCURRENCY, async (key) => {
      const info = await stat(join(this.root, ...key.split('/'))).catch((error: unknown) => {
        if (isMissing(error)) return undefined; // deleted while listing
        throw error;
      });
      return info && { key, size: info.size, modifiedAt: Math.floor(info.mtimeMs) };
    });
    return infos.filter((info): info is ObjectInfo => info !== undefined);
  }

  /**
   * The keys `list(prefix)` would return, sorted, without their sizes and times: no file is stat'ed, so a caller
   * that needs only the keys (the DuckDB catalog, the market lake's digest) pays one readdir per directory.
   */
  async listKeys(prefix: string): Promise<string[]> {
    // Only the directory named by the prefix's complete segments can hold matches.
    const base = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    const found: string[] = [];
    await this.#walk(base, prefix, found);
    return found.sort();
  }

  async listPrefixes(prefix: string, options: ListPrefixesOptions = {}): Promise<string[]> {
    const { startAfter } = options;
    const base = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    const partial = prefix.slice(base.length);
    let entries: Dirent[];
    try {
      entries = await readdir(join(this.root, ...base.split('/').filter(Boolean)), { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
    // A directory holds an object only if some file lies below it; empty ones (left by deletes) are skipped.
    const found: string[] = [];
    for (const entry of entries) {
      if (!entry.isDirectory() || !entry.name.startsWith(partial) || entry.name.startsWith(TEMP_PREFIX))
        continue;
      const folder = `${base}${entry.name}/`;
      // A folder before the listing's start costs no readdir: a floored caller's listing stays independent of
      // the lake's age (README, "What a loader run reads").
      if (startAfter !== undefined && folder <= startAfter) continue;
      if (await this.#holdsFile(folder)) found.push(folder);
    }
    return found.sort();
  }

  /**
   * True when some file lies below `keyPrefix` (a directory). Stops at the first and stats nothing: a listing
   * (`list`) would stat every file, which made each `listPrefixes` cost a stat per object of the whole table,
   * so the loader's and compaction's runs grew with the lake's age (README, "What a loader run reads").
   */
  async #holdsFile(keyPrefix: string): Promise<boolean> {
    let entries: Dirent[];
    try {
      entries = await readdir(join(this.root, ...keyPrefix.split('/').filter(Boolean)), {
        withFileTypes: true,
      });
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
    const visible = entries.filter((entry) => !entry.name.startsWith(TEMP_PREFIX));
    if (visible.some((entry) => entry.isFile())) return true;
    for (const entry of visible)
      if (entry.isDirectory() && (await this.#holdsFile(`${keyPrefix}${entry.name}/`))) return true;
    return false;
  }

  /** The file that holds object `key` (readers such as DuckDB open lake files by path). */
  localPath(key: string): string {
    return this.#pathOf(key);
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.#pathOf(key));
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }

  async #walk(keyPrefix: string, wanted: string, found: string[]): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await readdir(join(this.root, ...keyPrefix.split('/').filter(Boolean)), {
        withFileTypes: true,
      });
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    for (const entry of entries) {
      if (entry.name.startsWith(TEMP_PREFIX)) continue;
      const key = `${keyPrefix}${entry.name}`;
      if (entry.isDirectory()) {
        // Descend only where keys below could still start with the prefix.
        const directoryKey = `${key}/`;
        if (directoryKey.startsWith(wanted) || wanted.startsWith(directoryKey)) {
          await this.#walk(directoryKey, wanted, found);
        }
      } else if (entry.isFile() && key.startsWith(wanted)) {
        found.push(key);
      }
    }
  }

  #pathOf(key: string): string {
    const segments = key.split('/');
    const bad = segments.find((s) => s === '' || s === '.' || s === '..' || s.startsWith(TEMP_PREFIX));
    if (key.includes('\0') || bad !== undefined) {
      throw new ObjectKeyError(
        `Object key "${key}" is not allowed: keys are non-empty "/"-separated segments, without "." or "..", ` +
          `no leading, trailing or doubled "/", and no segment starting "${TEMP_PREFIX}".`,
      );
    }
    return join(this.root, ...segments);
  }
}

/** `items` mapped by `map`, at most `limit` calls in flight, results in the items' order. */
async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  map: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const at = next++;
      results[at] = await map(items[at] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isMissing(error: unknown): boolean {
  return (
    error instanceof Error &&
    'code' in error &&
    ((error as NodeJS.ErrnoException).code === 'ENOENT' ||
      (error as NodeJS.ErrnoException).code === 'ENOTDIR')
  );
}
