/**
 * @module
 * What FsObjectStore's listings read: with `startAfter` the folder listing reads no folder before it, so a
 * floored caller (the DuckDB catalog, state snapshots) lists in time independent of the lake's age; a key
 * listing stats no file; an object listing stats its files a bounded number at a time.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { FsObjectStore } from '../../lake/fs-object-store.ts';

/** The stats in flight now and the most seen at once. */
const stats = { open: 0, most: 0 };

// The store's readdir and stat calls, seen through the module it imports (node:fs/promises).
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const watchedStat = async (...args: Parameters<typeof actual.stat>) => {
    stats.open++;
    stats.most = Math.max(stats.most, stats.open);
    try {
      return await actual.stat(...args);
    } finally {
      stats.open--;
    }
  };
  return { ...actual, readdir: vi.fn(actual.readdir), stat: vi.fn(watchedStat) };
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

it('lists the keys list() returns, in its order, without a stat', async () => {
  // Prepare: two partitions of a table, a temporary file and another table beside them.
  dir = await mkdtemp(join(tmpdir(), 'fs-object-store-listing-'));
  const store = new FsObjectStore(dir, 'lake');
  for (const key of ['t/dt=2026-01-02/b.parquet', 't/dt=2026-01-01/a.parquet', 't/dt=2026-01-01/c', 'u/x'])
    await store.put(key, Uint8Array.of(1));
  const objects = await store.list('t/');
  vi.mocked(stat).mockClear();

  // Act
  const keys = await store.listKeys('t/');

  // Assess
  expect(keys).toEqual(objects.map((object) => object.key));
  expect(keys).toEqual(['t/dt=2026-01-01/a.parquet', 't/dt=2026-01-01/c', 't/dt=2026-01-02/b.parquet']);
  expect(vi.mocked(stat)).not.toHaveBeenCalled();
});

it("stats a listing's files several at a time, never more than eight", async () => {
  // Prepare: forty objects in one partition.
  dir = await mkdtemp(join(tmpdir(), 'fs-object-store-listing-'));
  const store = new FsObjectStore(dir, 'lake');
  for (let i = 0; i < 40; i++)
    await store.put(`t/dt=2026-01-01/${String(i).padStart(2, '0')}.parquet`, Uint8Array.of(i));
  stats.most = 0;

  // Act
  const objects = await store.list('t/dt=2026-01-01/');

  // Assess: every object with its size, in key order; the stats overlapped, within the bound.
  expect(objects.map((object) => object.key)).toEqual(
    Array.from({ length: 40 }, (_, i) => `t/dt=2026-01-01/${String(i).padStart(2, '0')}.parquet`),
  );
  expect(objects.every((object) => object.size === 1)).toBe(true);
  expect(stats.most).toBeGreaterThan(1);
  expect(stats.most).toBeLessThanOrEqual(8);
});
