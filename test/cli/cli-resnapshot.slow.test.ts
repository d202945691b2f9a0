import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelinePaths } from '../../local/data-dir-layout.ts';
import { pendingResnapshots, requestedTables } from '../../reader/resnapshot-requests.ts';
import { FileStateStore } from '../../reader/state/file-state-store.ts';
import { runCli } from './run-cli.ts';

describe('totesys-stream resnapshot', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'totesys-resnapshot-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('queues the tables in the reader state store under --data-dir, keeping earlier requests', async () => {
    // Act
    const first = await runCli(['--data-dir', dataDir, 'resnapshot', 'design']);
    const second = await runCli(['--data-dir', dataDir, 'resnapshot', 'staff', 'design']);

    // Assess
    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    const requests = await pendingResnapshots(new FileStateStore(pipelinePaths(dataDir).state));
    expect(requestedTables(requests).sort()).toEqual(['design', 'staff']);
  });

  it('refuses an unknown table with the list of valid ones and a non-zero exit', async () => {
    const result = await runCli(['--data-dir', dataDir, 'resnapshot', 'orders']);

    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Unknown table(s) orders; choose from address');
  });
});
