import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, dataDirLockHolder, lockDataDir } from '../../local/data-dir-lock.ts';

describe('the data dir lock', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'data-dir-lock-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('names the live holder to a second taker, and is free again once released', async () => {
    // Another live process holds it: this test's parent.
    const holder = { pid: process.ppid, command: 'totesys-stream up', since: '2026-12-01T17:00:00.000Z' };
    await writeFile(join(dir, 'pipeline.lock'), JSON.stringify(holder));

    const refused = await lockDataDir(dir, 'totesys-stream sync').catch((error: unknown) => error);

    expect(refused).toBeInstanceOf(DataDirLockedError);
    expect((refused as DataDirLockedError).message).toBe(
      `The data dir ${dir} is in use by process ${process.ppid} (\`totesys-stream up\`, since 2026-12-01T17:00:00.000Z). ` +
        'Stop that one first (Ctrl-C in its terminal), or give this run another --data-dir.',
    );
    await rm(join(dir, 'pipeline.lock'));
    const lock = await lockDataDir(dir, 'totesys-stream sync');
    expect(JSON.parse(await readFile(join(dir, 'pipeline.lock'), 'utf8'))).toMatchObject({
      pid: process.pid,
      command: 'totesys-stream sync',
    });
    await lock.release();
    expect(await dataDirLockHolder(dir)).toBeUndefined();
  });

  it('takes over a lock whose process is gone (kill -9 of up)', async () => {
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    await writeFile(
      join(dir, 'pipeline.lock'),
      JSON.stringify({ pid: gone, command: 'totesys-stream up', since: 'x' }),
    );

    const lock = await lockDataDir(dir, 'totesys-stream up');

    expect(JSON.parse(await readFile(join(dir, 'pipeline.lock'), 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('stays held while the pipeline process runs after its launcher is gone (kill -9 of the launcher)', async () => {
    const launcher = spawnSync(process.execPath, ['-e', '0']).pid;
    // The child under the heap bound outlives its launcher until it sees the launcher's pipe close.
    const runner = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      await writeFile(
        join(dir, 'pipeline.lock'),
        JSON.stringify({ pid: launcher, command: 'totesys-stream up', since: 'x', runner: runner.pid }),
      );

      await expect(lockDataDir(dir, 'totesys-stream up')).rejects.toBeInstanceOf(DataDirLockedError);
    } finally {
      const exited = new Promise((resolve) => runner.once('exit', resolve));
      runner.kill('SIGKILL');
      await exited;
    }
    const lock = await lockDataDir(dir, 'totesys-stream up');
    expect(JSON.parse(await readFile(join(dir, 'pipeline.lock'), 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });
});
