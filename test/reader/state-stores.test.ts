import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { FileStateStore } from '../../reader/state/file-state-store.ts';
import { MemoryStateStore } from '../../testing/memory-state-store.ts';
import { describeStateStoreContract } from '../support/state-store-contract.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describeStateStoreContract('FileStateStore', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'totesys-state-'));
  dirs.push(dir);
  return { store: new FileStateStore(dir), reopen: () => new FileStateStore(dir) };
});

describeStateStoreContract('MemoryStateStore', async () => {
  const store = new MemoryStateStore();
  return { store, reopen: () => store };
});
