/**
 * The data dir as a person meets it: a second `up` on it, a file given as `--data-dir`, a mistyped one.
 */
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from './run-cli.ts';

describe('the data dir on the command line', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'totesys-cli-dir-'));
    await chmod(root, 0o755);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('a second up on a data dir in use says who holds it (pid, command, since when) and leaves the first running', async () => {
    const dataDir = join(root, 'shared');
    const first = startCli([
      '--data-dir',
      dataDir,
      'up',
      '--scale',
      '0.01',
      '--no-simulate',
      '--status-interval',
      '0.2',
    ]);
    await first.waitFor(/warehouse/);

    const second = await runCli(['--data-dir', dataDir, 'up', '--no-simulate']);
    // The first keeps printing status lines: the second did not disturb it.
    const afterSecond = first.output().stdout.length;
    await first.waitFor(new RegExp(`[\\s\\S]{${afterSecond + 1}}`));
    first.child.kill('SIGINT');
    const stopped = await first.finished;

    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      new RegExp(
        `The data dir ${dataDir} is in use by process ${first.child.pid} \\(\`totesys-stream up\`, since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\)\\. Stop that one first`,
      ),
    );
    expect(second.stdout).not.toContain('Seeded');
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain('Stopped (embedded PostgreSQL stopped).');
    await expect(stat(join(dataDir, 'pipeline.lock'))).rejects.toThrow(/ENOENT/);
  });

  it('refuses a --data-dir that is a file before creating anything', async () => {
    const file = join(root, 'notes.txt');
    await writeFile(file, 'not a directory\n');

    for (const command of ['status', 'up']) {
      const result = await runCli(['--data-dir', file, command]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`--data-dir ${file} is a file, not a directory.`);
    }
    expect(await readFile(file, 'utf8')).toBe('not a directory\n');
  });

  it('status and query on a data dir that does not exist say so and create nothing (no initdb)', async () => {
    const missing = join(root, 'mistyped');

    const status = await runCli(['--data-dir', missing, 'status']);
    const query = await runCli(['--data-dir', missing, 'query', 'SELECT 1']);

    for (const result of [status, query]) {
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`The data dir ${missing} does not exist`);
      expect(result.stderr).toContain('`totesys-stream up` creates it');
    }
    await expect(stat(missing)).rejects.toThrow(/ENOENT/);
  });
});
