import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../local/embedded-postgres.ts';

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function until(
  condition: () => Promise<boolean>,
  what: () => string,
  deadlineMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what()}`);
  }
}

/** Alive means running: a killed postmaster that is still an unreaped zombie counts as dead. */
async function alive(pid: number): Promise<boolean> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return /^Name:\s+postgres$/m.test(status) && !/^State:\s+Z/m.test(status);
}

describe('embedded PostgreSQL lifecycle', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'totesys-cluster-'));
    await chmod(root, 0o755);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('keeps committed data across a clean stop and start, and a second start attaches', async () => {
    const dataDir = join(root, 'clean');
    const first = await startEmbeddedPostgres({ dataDir });
    await query(first.sourceUrl, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before stop')");
    const attached = await startEmbeddedPostgres({ dataDir });
    await first.stop();

    const second = await startEmbeddedPostgres({ dataDir });
    try {
      expect(first.startedHere).toBe(true);
      expect(attached.startedHere).toBe(false);
      expect(attached.port).toBe(first.port);
      expect(second.startedHere).toBe(true);
      expect(await query(second.sourceUrl, 'SELECT v FROM kept')).toEqual([{ v: 'before stop' }]);
      expect(await query(second.sourceUrl, 'SHOW wal_level')).toEqual([{ wal_level: 'logical' }]);
    } finally {
      await second.stop();
    }
    await expect(stat(join(dataDir, 'postmaster.pid'))).rejects.toThrow(/ENOENT/);
  });

  it('recovers after the server was SIGKILLed and left its postmaster.pid behind', async () => {
    const dataDir = join(root, 'crash');
    const first = await startEmbeddedPostgres({ dataDir });
    await query(first.sourceUrl, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before crash')");
    const pid = Number.parseInt(
      (await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0] ?? '',
      10,
    );

    process.kill(pid, 'SIGKILL');
    await until(
      async () => !(await alive(pid)),
      () => 'the killed postmaster to exit',
    );
    expect((await stat(join(dataDir, 'postmaster.pid'))).isFile()).toBe(true);
    // The killed postmaster's children notice its death and exit; until then the shared memory is in use.
    let recovered: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
    let lastError: unknown;
    await until(
      async () => {
        try {
          recovered = await startEmbeddedPostgres({ dataDir });
          return true;
        } catch (error) {
          lastError = error;
          return false;
        }
      },
      () => `a restart after the crash (last error: ${String(lastError)})`,
    );

    try {
      expect(recovered?.startedHere).toBe(true);
      expect(await query(recovered?.sourceUrl ?? '', 'SELECT v FROM kept')).toEqual([{ v: 'before crash' }]);
    } finally {
      await recovered?.stop();
    }
  });
});
