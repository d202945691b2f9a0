import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileLeaseStore } from '../../reader/state/file-lease-store.ts';
import { describeLeaseStoreContract } from './lease-store-contract.ts';

// One directory per clock, shared by every store opened on it (as one data dir is by `up` and `compact`).
const dirs = new WeakMap<() => Date, string>();

describeLeaseStoreContract('lease files in a directory', (clock) => {
  let dir = dirs.get(clock);
  if (!dir) {
    dir = mkdtempSync(join(tmpdir(), 'leases-'));
    dirs.set(clock, dir);
  }
  return new FileLeaseStore(dir, clock);
});
