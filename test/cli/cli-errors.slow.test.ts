import { appendFile, chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedCluster, startEmbeddedPostgres } from '../../local/embedded-postgres.ts';
import { runCli } from './run-cli.ts';

async function listen(port = 0): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

function portOf(server: Server): number {
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('server has no port');
  return address.port;
}

describe('CLI errors', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'totesys-cli-errors-'));
    await chmod(root, 0o755);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('names host and port of an unreachable source, hides the password and exits non-zero', async () => {
    const server = await listen();
    const port = portOf(server);
    await new Promise((resolve) => server.close(resolve));

    const result = await runCli(['--source-url', `postgres://u:s3cretpw@127.0.0.1:${port}/x`, 'status']);

    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      `Cannot connect to the source database at 127.0.0.1:${port}: connection refused`,
    );
    expect(result.stderr).toContain('--source-url');
    expect(result.stderr + result.stdout).not.toContain('s3cretpw');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  describe('with a source whose wal_level is replica', () => {
    let cluster: EmbeddedCluster;
    let dataDir: string;
    beforeAll(async () => {
      dataDir = join(root, 'replica-pg');
      const first = await startEmbeddedPostgres({ dataDir });
      await first.stop();
      // A later setting in postgresql.conf wins over the embedded default (logical).
      await appendFile(join(dataDir, 'postgresql.conf'), '\nwal_level = replica\n');
      cluster = await startEmbeddedPostgres({ dataDir });
    });
    afterAll(async () => {
      await cluster.stop();
      await rm(`${dataDir}.password`, { force: true });
    });

    it('says how to enable logical WAL on plain PostgreSQL and on RDS', async () => {
      const result = await runCli(['--source-url', cluster.sourceUrl, 'status']);

      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(`The source at 127.0.0.1:${cluster.port} has wal_level = replica`);
      expect(result.stderr).toContain('ALTER SYSTEM SET wal_level = logical');
      expect(result.stderr).toContain('rds.logical_replication = 1');
      expect(result.stderr).not.toContain(new URL(cluster.sourceUrl).password);
    });
  });

  it('reports a --pg-port that another process holds', async () => {
    const server = await listen();
    const port = portOf(server);
    try {
      const result = await runCli([
        '--data-dir',
        join(root, 'occupied'),
        '--pg-port',
        String(port),
        // A command that creates the embedded cluster (status never does: test/cli/cli-data-dir.slow.test.ts).
        'seed',
      ]);

      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(`Port ${port} on 127.0.0.1 is in use; choose another with --pg-port.`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await rm(join(root, 'occupied', 'pg.password'), { force: true });
    }
  });

  it('rejects an out-of-range option with a one-line message and no database work', async () => {
    const result = await runCli(['--data-dir', join(root, 'unused'), 'seed', '--scale', '-3']);

    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('--scale must be a number above 0');
  });

  it('documents every command with examples in --help', async () => {
    const result = await runCli(['--help']);

    expect(result.code).toBe(0);
    for (const command of ['up', 'seed', 'simulate', 'import', 'status']) {
      expect(result.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
    expect(result.stdout).toContain('Examples:');
  });
});
