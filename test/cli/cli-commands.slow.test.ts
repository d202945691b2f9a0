import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSourceDatabase,
  createTestDatabase,
  type TestDatabase,
  withClient,
} from '../support/test-databases.ts';
import { runCli, startCli } from './run-cli.ts';

const T = '2022-11-03 14:20:49.962';

describe('CLI commands', () => {
  let root: string;
  const databases: TestDatabase[] = [];
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'totesys-cli-'));
    await chmod(root, 0o755);
  });
  afterAll(async () => {
    await Promise.all(databases.map((database) => database.drop()));
    await rm(root, { recursive: true, force: true });
  });

  it('seeds an external source, then status --json shows the rows and the WAL position', async () => {
    const source = await createTestDatabase('clisrc');
    databases.push(source);

    const seeded = await runCli(['--source-url', source.url, 'seed', '--scale', '0.02', '--seed', '5']);
    const status = await runCli(['--source-url', source.url, '--json', 'status']);

    expect(seeded.code).toBe(0);
    expect(seeded.stdout).toMatch(/^Seeded [\d,]+ rows in [\d.]+ s \([\d,]+ rows\/s; scale 0.02, seed 5\)\./);
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout) as {
      source: { lsn: string; url: string; rows: Record<string, number> };
    };
    expect(report.source.lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(report.source.rows).toMatchObject({
      sales_order: 139,
      purchase_order: 59,
      transaction: 198,
      staff: 20,
    });
    expect(report.source.url).not.toContain(new URL(source.url).password);
  });

  it('imports a dump and simulates activity for a fixed duration, printing what it did', async () => {
    const source = await createSourceDatabase('cliimp');
    databases.push(source);
    const dump = join(root, 'small.sql');
    await writeFile(
      dump,
      [
        'SET statement_timeout = 0;',
        'COPY public.currency (currency_id, currency_code, created_at, last_updated) FROM stdin;',
        `1\tGBP\t${T}\t${T}`,
        `2\tUSD\t${T}\t${T}`,
        '\\.',
        '',
      ].join('\n'),
    );

    const imported = await runCli(['--source-url', source.url, 'import', '--dump', dump]);
    const simulated = await runCli([
      '--source-url',
      source.url,
      'simulate',
      '--rate',
      '100',
      '--duration',
      '1',
    ]);

    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain('Imported 2 rows');
    expect(imported.stdout).toContain('Warning: The dump has no data for sales_order; it stays empty.');
    // Only currencies: nothing to build orders from, yet the simulator runs and reports honestly.
    expect(simulated.code).toBe(0);
    expect(simulated.stdout).toMatch(/^Simulated \d+ changes in \d+ transactions over [\d.]+ s/);
    const rows = await withClient(source.url, (client) =>
      client.query('SELECT count(*)::int AS n FROM currency'),
    );
    expect(rows.rows[0]).toEqual({ n: 2 });
  });

  it('runs up until SIGINT: seeds, simulates, answers status from another process, then stops the cluster', async () => {
    const dataDir = join(root, 'up');
    const up = startCli([
      '--data-dir',
      dataDir,
      'up',
      '--scale',
      '0.01',
      '--rate',
      '50',
      '--status-interval',
      '0.2',
    ]);

    await up.waitFor(/simulator \d+ changes/);
    const status = await runCli(['--data-dir', dataDir, '--json', 'status']);
    // The dashboard's URL is the first line, on loopback, and the app answers while up runs.
    const firstLine = up.output().stdout.split('\n')[0] ?? '';
    expect(firstLine).toMatch(/^dashboard: http:\/\/127\.0\.0\.1:\d+$/);
    const url = firstLine.slice('dashboard: '.length);
    const health = await fetch(`${url}/healthz`);
    const page = await fetch(`${url}/`);
    up.child.kill('SIGINT');
    const result = await up.finished;

    expect([200, 503]).toContain(health.status);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>totesys-stream dashboard</title>');
    expect(status.code).toBe(0);
    expect(
      (JSON.parse(status.stdout) as { source: { rows: Record<string, number> } }).source.rows['staff'],
    ).toBe(20);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Seeded an empty source');
    expect(result.stdout).toMatch(/Simulated \d+ changes/);
    expect(result.stdout).toContain('Stopped (embedded PostgreSQL stopped).');
    await expect(stat(join(dataDir, 'pg', 'postmaster.pid'))).rejects.toThrow(/ENOENT/);
  });

  it('stops the cluster when one Ctrl-C arrives twice (terminal group plus a relaying wrapper)', async () => {
    const dataDir = join(root, 'up-twice');
    const up = startCli([
      '--data-dir',
      dataDir,
      'up',
      '--scale',
      '0.01',
      '--no-simulate',
      '--no-http',
      '--status-interval',
      '0.2',
    ]);

    await up.waitFor(/warehouse/);
    up.child.kill('SIGINT');
    // The echo arrives once the first signal was handled (two signals sent together would merge into one).
    await up.waitFor(/Stopping/);
    up.child.kill('SIGINT');
    const result = await up.finished;

    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('dashboard:');
    expect(result.stdout).toContain('Stopped (embedded PostgreSQL stopped).');
    await expect(stat(join(dataDir, 'pg', 'postmaster.pid'))).rejects.toThrow(/ENOENT/);
  });
});
