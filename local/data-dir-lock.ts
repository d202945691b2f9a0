/**
 * @module
 * One pipeline per data dir: two processes streaming from one slot into one lake and spool would each
 * acknowledge what the other has not made durable. The process running the pipeline (`up`, or `sync` when no
 * `up` runs) holds `<data dir>/pipeline.lock`, a small JSON file saying who holds it: pid, command, since when.
 * A lock whose processes are all gone (a crash, kill -9) is taken over. Under the heap bound two processes
 * hold it (local/heap-bound.ts): the launcher the user started, whose pid the lock names, and the child that
 * runs the pipeline, which dies soon after the launcher; the lock stays held until both are gone.
 */
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { commandPid } from './heap-bound.ts';

/** Who holds a data dir. */
export interface LockHolder {
  readonly pid: number;
  /** The command, as `totesys-stream up` (never its arguments: they may hold a password). */
  readonly command: string;
  /** ISO time the lock was taken. */
  readonly since: string;
  /** The process running the pipeline, when it is not `pid` (a child under the heap bound). */
  readonly runner?: number;
}

/** The data dir is in use by another live process; the message names it and says what to do. */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    super(
      `The data dir ${dataDir} is in use by process ${holder.pid} (\`${holder.command}\`, since ${holder.since}). ` +
        'Stop that one first (Ctrl-C in its terminal), or give this run another --data-dir.',
    );
  }
}

/** A held lock. */
export interface DataDirLock {
  release(): Promise<void>;
}

function lockPath(dataDir: string): string {
  return join(dataDir, 'pipeline.lock');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The live holder of the data dir's lock, or undefined when it is free (no lock, or its process is gone). */
export async function dataDirLockHolder(dataDir: string): Promise<LockHolder | undefined> {
  let text: string;
  try {
    text = await readFile(lockPath(dataDir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let holder: LockHolder;
  try {
    holder = JSON.parse(text) as LockHolder;
  } catch {
    // A lock file torn by a crash while it was written: its writer never ran the pipeline.
    return undefined;
  }
  if (!Number.isInteger(holder.pid) || holder.pid === commandPid()) return undefined;
  const runner = holder.runner;
  const runnerAlive = Number.isInteger(runner) && runner !== process.pid && alive(runner as number);
  return alive(holder.pid) || runnerAlive ? holder : undefined;
}

/**
 * Takes the data dir's lock for `command` (`totesys-stream up`), which must already exist as a directory.
 * @throws DataDirLockedError when a live process holds it.
 */
export async function lockDataDir(dataDir: string, command: string): Promise<DataDirLock> {
  const path = lockPath(dataDir);
  // The pid its user started (the launcher's when the command runs under the heap bound: local/heap-bound.ts).
  const holder: LockHolder = {
    pid: commandPid(),
    command,
    since: new Date().toISOString(),
    ...(commandPid() === process.pid ? {} : { runner: process.pid }),
  };
  // Twice at most: a stale lock (its process is gone) is removed, then taken like a fresh one.
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const file = await open(path, 'wx');
      try {
        await file.writeFile(`${JSON.stringify(holder)}\n`);
      } finally {
        await file.close();
      }
      return {
        async release() {
          const text = await readFile(path, 'utf8').catch(() => '');
          if (text.includes(`"pid":${holder.pid},`)) await unlink(path).catch(() => undefined);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const current = await dataDirLockHolder(dataDir);
      if (current) throw new DataDirLockedError(dataDir, current);
      await unlink(path).catch(() => undefined);
    }
  }
  // Another process took the stale lock between our removal and our create.
  const current = await dataDirLockHolder(dataDir);
  throw new DataDirLockedError(dataDir, current ?? { pid: 0, command: 'unknown', since: 'just now' });
}
