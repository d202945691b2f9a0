import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-databases.ts';
import { runCli } from './run-cli.ts';

describe('snapshot progress', () => {
  let source: TestDatabase;
  let warehouse: TestDatabase;
  let dataDir: string;
  beforeAll(async () => {
    source = await createTestDatabase('progsrc');
    warehouse = await createTestDatabase('progwh');
    dataDir = await mkdtemp(join(tmpdir(), 'totesys-progress-'));
  });
  afterAll(async () => {
    await source.drop();
    await warehouse.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('sync --progress shows each table of the initial snapshot with its rows and rows/s', async () => {
    // Prepare: the slot name is cluster-wide, so this test uses its own.
    const env = { TOTESYS_SLOT: source.name, TOTESYS_PUBLICATION: `${source.name}_pub` };
    const urls = ['--source-url', source.url, '--warehouse-url', warehouse.url, '--data-dir', dataDir];
    expect((await runCli([...urls, 'seed', '--scale', '0.02'], env)).code).toBe(0);

    // Act
    const synced = await runCli([...urls, '--progress', 'sync', '--timeout', '120'], env, 150_000);

    // Assess
    expect(synced.code).toBe(0);
    expect(synced.stderr).toMatch(/^snapshot sales_order: 139 rows \([\d,]+ rows\/s\)$/m);
    expect(synced.stderr).toMatch(/^snapshot department: 8 rows \([\d,]+ rows\/s\)$/m);
    expect(synced.stderr).not.toContain(new URL(source.url).password);
  });
});
