/**
 * @module
 * What FsObjectStore's folder listing reads: with `startAfter` it reads no folder before it, so a floored
 * caller (the DuckDB catalog, state snapshots) lists in time independent of the lake's age.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { FsObjectStore } from '../../lake/fs-object-store.ts';

// The store's readdir calls, seen through the module it imports (node:fs/promises).
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return { ...actual, readdir: vi.fn(actual.readdir) };
});

let dir: string | undefined;

afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('reads no folder before startAfter: one readdir of the table, one per folder after it', async () => {
  // Prepare: thirty days of one table.
  dir = await mkdtemp(join(tmpdir(), 'fs-object-store-listing-'));
  const store = new FsObjectStore(dir, 'lake');
  const days = Array.from({ length: 30 }, (_, i) => `2026-01-${String(i + 1).padStart(2, '0')}`);
  for (const day of days) await store.put(`fact_payment/dt=${day}/a.parquet`, Uint8Array.of(1));
  const reads = vi.mocked(readdir);
  reads.mockClear();

  // Act
  const listed = await store.listPrefixes('fact_payment/dt=', { startAfter: 'fact_payment/dt=2026-01-29' });

  // Assess
  expect(listed).toEqual(['fact_payment/dt=2026-01-29/', 'fact_payment/dt=2026-01-30/']);
  const folders = reads.mock.calls.map(([path]) => String(path).slice(store.root.length));
  expect(folders).toEqual(['/fact_payment', '/fact_payment/dt=2026-01-29', '/fact_payment/dt=2026-01-30']);
});
