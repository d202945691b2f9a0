import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../lake/fs-object-store.ts';
import { quarantineNotes, quarantineObject, unreadableObjectIn } from '../../lake/unreadable-objects.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'quarantine-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('unreadable lake objects', () => {
  it('are found in the cause chain of a failed read, as corrupt or missing, and only inside the lake', () => {
    const root = '/lake/b';
    const corrupt = new Error('view failed', {
      cause: new Error(
        "Invalid Input Error: No magic bytes found at end of file '/lake/b/dim_design/dt=2026-01-01/x.parquet'",
      ),
    });
    expect(unreadableObjectIn(corrupt, root)).toMatchObject({
      key: 'dim_design/dt=2026-01-01/x.parquet',
      table: 'dim_design',
      kind: 'corrupt',
    });
    const missing = new Error(
      'IO Error: No files found that match the pattern "/lake/b/department/dt=2026-01-01/y.parquet"',
    );
    expect(unreadableObjectIn(missing, root)).toMatchObject({ table: 'department', kind: 'missing' });
    // A glob names no single object; a file outside the lake or outside a lake table is not the lake's.
    expect(
      unreadableObjectIn(
        new Error('No files found that match the pattern "/lake/b/department/*/*.parquet"'),
        root,
      ),
    ).toBeUndefined();
    expect(
      unreadableObjectIn(new Error("end of file '/elsewhere/dim_design/x.parquet'"), root),
    ).toBeUndefined();
    expect(unreadableObjectIn(new Error("end of file '/lake/b/errors/x.parquet'"), root)).toBeUndefined();
    expect(unreadableObjectIn(new Error('connection refused'), root)).toBeUndefined();
  });

  it('are found in what Athena says, by their s3:// name in the bucket', () => {
    const root = 's3://lake-bucket';
    const corrupt = new Error(
      'HIVE_CANNOT_OPEN_SPLIT: Error opening Hive split s3://lake-bucket/fact_payment/dt=2026-01-01/p-1.parquet (offset=0, length=40): not a Parquet file',
    );
    expect(unreadableObjectIn(new Error('query failed', { cause: corrupt }), root)).toMatchObject({
      key: 'fact_payment/dt=2026-01-01/p-1.parquet',
      table: 'fact_payment',
      kind: 'corrupt',
    });
    const gone = new Error(
      'HIVE_CANNOT_OPEN_SPLIT: Error opening Hive split s3://lake-bucket/dim_staff/dt=2026-01-01/s.parquet (offset=0, length=9): NoSuchKey',
    );
    expect(unreadableObjectIn(gone, root)).toMatchObject({ table: 'dim_staff', kind: 'missing' });
    expect(
      unreadableObjectIn(new Error('HIVE_BAD_DATA: s3://other-bucket/dim_staff/dt=x/s.parquet'), root),
    ).toBeUndefined();
  });

  it('are moved whole to quarantine/ with a note, and the notes list them', async () => {
    const store = new FsObjectStore(dir, 'b');
    const key = 'dim_design/dt=2026-01-01/x.parquet';
    await store.put(key, Buffer.from('garbage'));

    await quarantineObject(store, { key, table: 'dim_design', kind: 'corrupt', reason: 'No magic bytes' });

    expect(await store.get(key)).toBeUndefined();
    expect(Buffer.from((await store.get(`quarantine/${key}`))!).toString()).toBe('garbage');
    expect(await quarantineNotes(store)).toEqual([
      expect.objectContaining({ key, table: 'dim_design', kind: 'corrupt', reason: 'No magic bytes' }),
    ]);
  });
});
