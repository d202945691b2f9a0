/**
 * @module
 * The LeaseStore port over a local directory (`<dir>/<name>.json`), so `up` and a `compact` run from another
 * terminal never compact at once. The compare-and-set S3 does with conditional writes is done with the two
 * atomic filesystem operations that fail instead of replacing: `link` of a fully written temporary file (fails
 * when the lease file exists) to create, and `rename` of an expired lease file to a unique name (only one of
 * several takers finds it) to take it over.
 */
import { randomUUID } from 'node:crypto';
import { link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  checkLeaseName,
  type HeldLease,
  type LeaseDocument,
  type LeaseStore,
  leaseBinds,
} from '../../core/ports/lease-store.ts';

/** {@link LeaseStore} of lease files under a directory. */
export class FileLeaseStore implements LeaseStore {
  readonly #dir: string;
  readonly #now: () => Date;

  constructor(dir: string, now: () => Date = () => new Date()) {
    this.#dir = dir;
    this.#now = now;
  }

  async acquire(name: string, ttlMs: number): Promise<HeldLease | undefined> {
    checkLeaseName(name);
    const path = join(this.#dir, `${name}.json`);
    await mkdir(dirname(path), { recursive: true });
    const holder = randomUUID();
    const document: LeaseDocument = { holder, expiresAt: this.#expiry(ttlMs) };
    const temp = await writeTemp(path, document);
    try {
      if (await linked(temp, path)) return this.#held(name, path, document);
      const current = await readLease(path);
      if (current !== undefined && leaseBinds(current, this.#now())) return undefined;
      // Expired (or vanished): take it over by moving it aside; of several takers only one finds it.
      const aside = `${path}.${holder}.expired`;
      try {
        await rename(path, aside);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      const moved = await readLease(aside);
      await unlink(aside).catch(() => undefined);
      if (moved !== undefined && leaseBinds(moved, this.#now())) {
        // A taker that came first already replaced it with a live lease: put that back, and lose.
        await writeTemp(path, moved).then(async (back) => {
          await linked(back, path);
          await unlink(back).catch(() => undefined);
        });
        return undefined;
      }
      return (await linked(temp, path)) ? this.#held(name, path, document) : undefined;
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  #held(name: string, path: string, document: LeaseDocument): HeldLease {
    let expiresAt = new Date(document.expiresAt);
    const owns = async () => {
      const current = await readLease(path);
      return current?.holder === document.holder && leaseBinds(current, this.#now()) ? current : undefined;
    };
    return {
      name,
      holder: document.holder,
      get expiresAt() {
        return expiresAt;
      },
      renew: async (ttlMs: number) => {
        if (!(await owns())) return false;
        const next: LeaseDocument = { holder: document.holder, expiresAt: this.#expiry(ttlMs) };
        await rename(await writeTemp(path, next), path);
        expiresAt = new Date(next.expiresAt);
        return true;
      },
      release: async () => {
        if (await owns()) await unlink(path).catch(() => undefined);
      },
    };
  }

  #expiry(ttlMs: number): string {
    return new Date(this.#now().getTime() + ttlMs).toISOString();
  }
}

async function writeTemp(path: string, document: LeaseDocument): Promise<string> {
  const temp = `${path}.${randomUUID()}.tmp`;
  const file = await open(temp, 'wx');
  try {
    await file.writeFile(JSON.stringify(document));
    await file.sync();
  } finally {
    await file.close();
  }
  return temp;
}

/** Links `temp` as `path`; false when `path` exists. */
async function linked(temp: string, path: string): Promise<boolean> {
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function readLease(path: string): Promise<LeaseDocument | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LeaseDocument;
  } catch (error) {
    // Missing (released, or moved by a taker) or half-visible: treat as no lease to honour.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || error instanceof SyntaxError) return undefined;
    throw error;
  }
}
