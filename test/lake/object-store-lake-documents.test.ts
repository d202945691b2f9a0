/**
 * The RoundLog and StateSnapshots contracts over the lake directory (FsObjectStore) and the in-memory store;
 * the S3 runs are in s3-object-store.integration.test.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { FsObjectStore } from '../../lake/fs-object-store.ts';
import { MemoryObjectStore } from '../../testing/memory-object-store.ts';
import { describeRoundLogContract, roundLogOver } from './round-log-contract.ts';
import { describeStateSnapshotsContract } from './state-snapshots-contract.ts';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function lakeDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lake-documents-'));
  dirs.push(dir);
  return dir;
}

describeRoundLogContract('ObjectStoreRoundLog on FsObjectStore', async () => {
  const dir = await lakeDir();
  return roundLogOver(() => new FsObjectStore(dir, 'lake'));
});

describeRoundLogContract('ObjectStoreRoundLog on MemoryObjectStore', async () => {
  const store = new MemoryObjectStore();
  return roundLogOver(() => store);
});

describeStateSnapshotsContract('FsObjectStore', async () => new FsObjectStore(await lakeDir(), 'lake'));
describeStateSnapshotsContract('MemoryObjectStore', async () => new MemoryObjectStore());
