/**
 * Output to a pipe whose reader went away (`npm start | tee log` then Ctrl-C, `query … | head`): the CLI's
 * stdout is a real FIFO read by a real reader (`sed`, standing in for `head`) that exits after the line it waits
 * for and closes the pipe.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.ts';

const BIN = fileURLToPath(new URL('../../bin/totesys-stream.js', import.meta.url));

interface PipedRun {
  readonly cli: ChildProcess;
  /** Resolves once the reader saw its line and exited, closing the read end of the pipe. */
  readonly readerGone: Promise<void>;
  readonly finished: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
}

/**
 * Runs the CLI with its stdout through a FIFO (a pipe, as the shell's `|` makes) into a reader that quits at
 * the first line matching `until` (a sed address).
 */
async function runIntoHead(dir: string, args: readonly string[], until = '1'): Promise<PipedRun> {
  const fifo = join(dir, `out-${Math.random().toString(36).slice(2)}`);
  execFileSync('mkfifo', [fifo]);
  const head = spawn('sh', ['-c', 'exec sed -n "$1q" < "$0" > /dev/null', fifo, until], { stdio: 'ignore' });
  const readerGone = exited(head).then(() => undefined);
  const writeEnd = await open(fifo, 'w');
  const cli = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, TOTESYS_SOURCE_URL: '', TOTESYS_WAREHOUSE_URL: '' },
    stdio: ['ignore', writeEnd.fd, 'pipe'],
  });
  await writeEnd.close();
  let stderr = '';
  cli.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const killer = setTimeout(() => cli.kill('SIGKILL'), 240_000);
  const finished = exited(cli).then((result) => {
    clearTimeout(killer);
    return { ...result, stderr };
  });
  return { cli, readerGone, finished };
}

describe('output to a closed pipe', () => {
  let root: string;
  const leftovers: number[] = [];
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'totesys-cli-pipe-'));
    await chmod(root, 0o755);
  });
  afterAll(async () => {
    // A postmaster the CLI failed to stop would outlive the test: stop it here (it is this test's own).
    for (const pid of leftovers) {
      try {
        process.kill(pid, 'SIGQUIT');
      } catch {}
    }
    await rm(root, { recursive: true, force: true });
  });

  it('up | head, then Ctrl-C: stops cleanly, embedded PostgreSQL included, without an EPIPE', async () => {
    const dataDir = join(root, 'up');
    const pidFile = join(dataDir, 'pg', 'postmaster.pid');
    const run = await runIntoHead(
      root,
      ['--data-dir', dataDir, 'up', '--scale', '0.01', '--no-simulate', '--status-interval', '0.2'],
      '/is up/',
    );
    // The reader leaves once the pipeline runs (Ctrl-C during seeding is another story: nothing is loaded).
    await run.readerGone;
    const postmaster = Number(
      (await waitFor('the embedded cluster', () => readFile(pidFile, 'utf8').catch(() => ''))).split('\n')[0],
    );
    leftovers.push(postmaster);
    // Status lines keep going to the closed pipe; the stop message is written to it too.
    run.cli.kill('SIGINT');
    const result = await run.finished;

    expect(result.stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(result).toMatchObject({ code: 0, signal: null });
    await expect(stat(pidFile)).rejects.toThrow(/ENOENT/);
    // The pid file goes first, the process a moment later (pg_ctl stop waits only for the file).
    await waitFor('the postmaster to exit', () => {
      try {
        process.kill(postmaster, 0);
        return false;
      } catch (error) {
        return (error as NodeJS.ErrnoException).code === 'ESRCH';
      }
    });
  });

  it('query | head: ends quietly with code 0 when the reader stops early', async () => {
    await mkdir(join(root, 'query'));
    const run = await runIntoHead(root, [
      '--data-dir',
      join(root, 'query'),
      'query',
      '--format',
      'csv',
      "SELECT i, repeat('x', 100) AS padding FROM range(200000) t(i)",
    ]);
    const result = await run.finished;

    expect(result.stderr).toBe('');
    expect(result).toMatchObject({ code: 0, signal: null });
  });
});
