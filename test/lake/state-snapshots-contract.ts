/**
 * @module
 * The StateSnapshots contract (core/ports/state-snapshots.ts) as a test suite run over every ObjectStore the
 * snapshots live in: compaction's writer (lake/state-snapshots.ts) publishes, the port's reader
 * (lake/object-store-state-snapshots.ts) reads, and DuckDB's independent reader (hyparquet here) reads the
 * objects back. One test per clause: complete or absent, kept for readers, monotonic.
 */
import { parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import type { ObjectStore } from '../../core/ports/object-store.ts';
import type { StateSnapshotManifest } from '../../core/ports/state-snapshots.ts';
import { snapshotFolder } from '../../core/schema/lake-snapshots.ts';
import { LAKE_TABLE_NAMES, LAKE_TABLES } from '../../core/schema/lake-tables.ts';
import type { LakeRow } from '../../lake/lake-value.ts';
import { ObjectStoreStateSnapshots } from '../../lake/object-store-state-snapshots.ts';
import { writeLakeParquet } from '../../lake/parquet-writer.ts';
import { writeStateSnapshots } from '../../lake/state-snapshots.ts';
import { CrashingObjectStore } from '../support/crashing-object-store.ts';
import { paymentVersion as payment } from '../support/lake-payments.ts';

const PARTITION = 'fact_payment/dt=2026-11-30/';
const CUT_TS = '2026-11-30 23:59:59.999';

/** Changes at LSNs 10 to 40: key 1 updated at 20, key 2 deleted at 30, keys 3 and 4 created at 20 and 40. */
async function landChanges(store: ObjectStore): Promise<void> {
  const objects: LakeRow[][] = [
    [payment(1, 10n, 'c'), payment(2, 10n, 'c')],
    [payment(1, 20n, 'u'), payment(3, 20n, 'c')],
    [payment(2, 30n, 'd'), payment(4, 40n, 'c')],
  ];
  for (const [n, rows] of objects.entries())
    await store.put(`${PARTITION}totesys-${n}.parquet`, writeLakeParquet(LAKE_TABLES.fact_payment, rows));
}

/** Takes fact_payment's snapshot at `cutLsn` through `store`. */
function snapshotAt(store: ObjectStore, cutLsn: bigint) {
  return writeStateSnapshots(
    { store, now: () => Date.UTC(2026, 11, 1, 19) },
    { cutLsn, cutCommitTs: CUT_TS, targetObjectBytes: 1 << 20, tables: ['fact_payment'] },
  );
}

/** The versions a snapshot holds, `<payment_id>@<_lsn>` sorted, read back by an independent reader. */
async function versionsIn(store: ObjectStore, manifest: StateSnapshotManifest): Promise<string[]> {
  const versions: string[] = [];
  for (const key of manifest.objects) {
    const bytes = await store.get(key);
    expect(bytes, `snapshot object ${key} is readable`).toBeDefined();
    const file = bytes!.buffer.slice(bytes!.byteOffset, bytes!.byteOffset + bytes!.byteLength) as ArrayBuffer;
    for (const row of await parquetReadObjects({ file, columns: ['payment_id', '_lsn'] }))
      versions.push(`${row.payment_id}@${row._lsn}`);
  }
  return versions.sort();
}

/** Runs the contract over stores from `fresh`, which returns an empty store each call. */
export function describeStateSnapshotsContract(name: string, fresh: () => Promise<ObjectStore>): void {
  describe(`StateSnapshots over ${name} (StateSnapshots contract)`, () => {
    it('complete or absent: a table has no snapshot until one is published', async () => {
      const snapshots = new ObjectStoreStateSnapshots(await fresh());
      for (const table of LAKE_TABLE_NAMES) expect(await snapshots.current(table)).toBeUndefined();
    });

    it("complete: the manifest names objects holding every key's newest version at or below its LSN, deletes left out", async () => {
      const store = await fresh();
      await landChanges(store);

      await snapshotAt(store, 20n);
      const at20 = await new ObjectStoreStateSnapshots(store).current('fact_payment');
      await snapshotAt(store, 40n);
      const at40 = await new ObjectStoreStateSnapshots(store).current('fact_payment');

      expect(at20).toMatchObject({ table: 'fact_payment', lsn: '20', folder: snapshotFolder(20n) });
      expect(at20?.changesFrom).toBe('2026-11-29');
      expect(await versionsIn(store, at20!)).toEqual(['1@20', '2@10', '3@20']);
      expect(at40).toMatchObject({ table: 'fact_payment', lsn: '40', folder: snapshotFolder(40n) });
      expect(await versionsIn(store, at40!)).toEqual(['1@20', '3@20', '4@40']);
    });

    it("bounded: a snapshot after the first lists no partition before the previous one's changesFrom day", async () => {
      // Prepare: the changes, a much older partition, and a store that records the partitions it lists.
      const inner = await fresh();
      await landChanges(inner);
      await inner.put(
        'fact_payment/dt=2026-10-01/totesys-old.parquet',
        writeLakeParquet(LAKE_TABLES.fact_payment, [payment(9, 5n, 'c')]),
      );
      const listed: string[] = [];
      const store: ObjectStore = {
        put: (key, body) => inner.put(key, body),
        get: (key) => inner.get(key),
        list: (prefix) => inner.list(prefix),
        listKeys: (prefix) => inner.listKeys(prefix),
        listPrefixes: async (prefix, options) => {
          const found = await inner.listPrefixes(prefix, options);
          if (prefix.startsWith('fact_payment/')) listed.push(...found);
          return found;
        },
        delete: (key) => inner.delete(key),
      };
      await snapshotAt(store, 20n); // changesFrom 2026-11-29: a first snapshot reads every day
      listed.length = 0;

      // Act
      await snapshotAt(store, 40n);

      // Assess
      expect(listed).toEqual([PARTITION]);
      const at40 = await new ObjectStoreStateSnapshots(inner).current('fact_payment');
      expect(await versionsIn(inner, at40!)).toEqual(['1@20', '3@20', '4@40', '9@5']);
    });

    it('complete or absent: a snapshot that crashes at any write leaves the old one or the whole new one', async () => {
      const outcomes = new Set<string>();
      for (let allowed = 0; allowed <= 3; allowed++) {
        const store = await fresh();
        await landChanges(store);
        await snapshotAt(store, 20n);

        await snapshotAt(new CrashingObjectStore(store, allowed), 40n).catch(() => undefined);

        const manifest = await new ObjectStoreStateSnapshots(store).current('fact_payment');
        const versions = await versionsIn(store, manifest!);
        if (manifest?.lsn === '20') expect(versions).toEqual(['1@20', '2@10', '3@20']);
        else expect(versions).toEqual(['1@20', '3@20', '4@40']);
        outcomes.add(manifest!.lsn);
      }
      // Both outcomes happened, so the crash points reached inside the publication.
      expect([...outcomes].sort()).toEqual(['20', '40']);
    });

    it('kept for readers: the objects of the snapshot a manifest replaced stay readable until the next one', async () => {
      const store = await fresh();
      await landChanges(store);
      const snapshots = new ObjectStoreStateSnapshots(store);
      await snapshotAt(store, 20n);
      const old = (await snapshots.current('fact_payment'))!;

      await snapshotAt(store, 40n);
      const replaced = (await snapshots.current('fact_payment'))!;

      expect(await versionsIn(store, old)).toEqual(['1@20', '2@10', '3@20']);
      await store.put(
        `${PARTITION}totesys-3.parquet`,
        writeLakeParquet(LAKE_TABLES.fact_payment, [payment(5, 50n, 'c')]),
      );
      await snapshotAt(store, 50n);
      expect(await versionsIn(store, replaced)).toEqual(['1@20', '3@20', '4@40']);
      expect(await versionsIn(store, (await snapshots.current('fact_payment'))!)).toEqual([
        '1@20',
        '3@20',
        '4@40',
        '5@50',
      ]);
    });

    it("monotonic: a table's snapshot LSN never goes down, even when asked for an older cut", async () => {
      const store = await fresh();
      await landChanges(store);
      await snapshotAt(store, 40n);

      expect(await snapshotAt(store, 20n)).toEqual([]);

      const manifest = await new ObjectStoreStateSnapshots(store).current('fact_payment');
      expect(manifest?.lsn).toBe('40');
      expect(await versionsIn(store, manifest!)).toEqual(['1@20', '3@20', '4@40']);
    });
  });
}
