import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertReachable } from '../../local/database-checks.ts';
import { untilDatabasesAnswer } from '../../local/database-wait.ts';
import { type EmbeddedCluster, startEmbeddedPostgres } from '../../local/embedded-postgres.ts';
import { memoryLog } from '../../testing/memory-operations.ts';

describe('up started while a database is down', () => {
  // Its own cluster: stopping the suite's shared one would fail every other test file.
  let root: string;
  let cluster: EmbeddedCluster;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'totesys-wait-'));
    await chmod(root, 0o755);
    cluster = await startEmbeddedPostgres({ dataDir: join(root, 'pg') });
  });
  afterAll(async () => {
    await cluster.stop().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  });

  it('waits for it with backoff, says so at once and then once a minute, and goes on once it answers', async () => {
    // Prepare: the database stopped; a manual clock that a wait moves on by 20 s, and which starts the
    // database again at the sixth wait (no real sleeping).
    const port = cluster.port;
    const url = cluster.sourceUrl;
    await cluster.stop();
    let now = 0;
    let waits = 0;
    const { entries, log } = memoryLog();

    // Act
    const opened = await untilDatabasesAnswer(
      async () => {
        await assertReachable(url, 'source', 2000);
        return 'open';
      },
      {
        signal: new AbortController().signal,
        log,
        now: () => now,
        random: () => 0.5,
        sleep: async () => {
          now += 20_000;
          waits += 1;
          if (waits === 6) cluster = await startEmbeddedPostgres({ dataDir: join(root, 'pg'), port });
        },
      },
    );

    // Assess: it answered after six waits; told at the first failure and once a minute after.
    expect(opened).toBe('open');
    expect(waits).toBe(6);
    expect(entries.map((entry) => entry.message)).toEqual([
      'a database does not answer; waiting for it',
      expect.stringMatching(/^still waiting for the database after 6\d s \(4 attempts\), budget for ever$/),
    ]);
    expect(String(entries[0]?.error)).toMatch(/Cannot connect to the source database .*connection refused/);
  });

  it('fails at once for what waiting cannot fix: a database that does not exist', async () => {
    const missing = cluster.sourceUrl.replace(/\/[^/?]+(\?|$)/, '/no_such_database$1');
    let waits = 0;

    const waiting = untilDatabasesAnswer(() => assertReachable(missing, 'source'), {
      signal: new AbortController().signal,
      sleep: async () => {
        waits += 1;
      },
    });

    await expect(waiting).rejects.toThrow(/the database does not exist/);
    expect(waits).toBe(0);
  });

  it('fails at once for what waiting cannot fix: a refused login', async () => {
    const refused = new URL(cluster.sourceUrl);
    refused.username = 'no_such_role';
    refused.password = 'not_its_password';
    let waits = 0;
    const gaveUp = new AbortController();

    const waiting = untilDatabasesAnswer(() => assertReachable(refused.toString(), 'source'), {
      signal: gaveUp.signal,
      sleep: async () => {
        // Were it waited for, the test ends after a few waits instead of spinning.
        waits += 1;
        if (waits === 3) gaveUp.abort();
      },
    });

    await expect(waiting).rejects.toThrow(/the login was refused \(check the user name and password\)/);
    expect(waits).toBe(0);
  });
});
