import { utimes, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LakeTableName } from '../../core/schema/lake-tables.ts';
import { FsObjectStore } from '../../lake/fs-object-store.ts';
import { writeStateSnapshots } from '../../lake/state-snapshots.ts';
import { runLoad } from '../../loader/run-load.ts';
import { PgWarehouse } from '../../warehouse/pg-warehouse.ts';
import { migrateWarehouse } from '../../warehouse/warehouse-migration.ts';
import { createTestDatabase, withClient } from '../support/test-databases.ts';
import { BUCKET, type LakeChange, ROWS, watermarks, writeLake } from './lake-fixtures.ts';
import { type LoaderHarness, openLoaderHarness, warehouseRows } from './loader-harness.ts';

const T0 = '2022-11-03T14:20:52.186Z';
const T1 = '2022-11-03T15:00:00.000Z';

const SNAPSHOT: LakeChange[] = [
  { table: 'dim_currency', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.currency(1, 'GBP', 'Pound Sterling') },
  { table: 'dim_location', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.location(1, 'Leeds') },
  { table: 'dim_design', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.design(1) },
  { table: 'department', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.department(1, 'Sales', null) },
  { table: 'dim_staff', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.staff(1, 1) },
  { table: 'dim_counterparty', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.counterparty(1, 1) },
  { table: 'fact_sales_order', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.salesOrder(1) },
];

/** Tables whose change files stay readable below the cut (read as of the cut over their whole history). */
const WHOLE_HISTORY: readonly LakeTableName[] = [
  'dim_staff',
  'department',
  'dim_counterparty',
  'dim_location',
];

let harness: LoaderHarness;

beforeEach(async () => {
  harness = await openLoaderHarness();
});

afterEach(async () => {
  await harness.close();
});

describe('loader over a long-running lake', () => {
  it('does not read the files it consumed: only files at or above the cut, and whole-history change files', async () => {
    const snapshotFiles = await writeLake(harness.lakeDir, [...SNAPSHOT, ...watermarks(150n, T0)]);
    expect(await harness.load()).toMatchObject({ status: 'loaded', toCut: { lsn: '150' } });

    // Many small files holding only watermarks, as an idle local Firehose writes them, loaded as they come.
    const consumed: string[] = [];
    for (let lsn = 160n; lsn <= 450n; lsn += 10n) {
      consumed.push(...(await writeLake(harness.lakeDir, watermarks(lsn, T1))));
      if (lsn % 50n === 0n) expect(await harness.load()).toMatchObject({ status: 'loaded' });
    }
    expect(await harness.warehouse.currentCut()).toMatchObject({ lsn: '450' });

    // Everything below the cut of 450 is consumed. Make those files unreadable: a run that opened one fails.
    const lastRound = new Set(consumed.slice(-11));
    const unreadable = [
      ...consumed.filter((path) => !lastRound.has(path)),
      ...snapshotFiles.filter((path) => !WHOLE_HISTORY.some((t) => path.includes(`/${t}/`))),
    ];
    for (const path of unreadable) {
      await writeFile(path, 'not parquet');
      await utimes(path, new Date(), new Date());
    }

    await writeLake(harness.lakeDir, [
      {
        table: 'department',
        op: 'u',
        lsn: 500n,
        commitTs: T1,
        row: ROWS.department(1, 'Sales EMEA', 'Leeds'),
      },
      {
        table: 'fact_sales_order',
        op: 'u',
        lsn: 510n,
        commitTs: T1,
        row: ROWS.salesOrder(1, { units_sold: 7 }),
      },
      ...watermarks(550n, T1),
    ]);
    expect(await harness.load()).toMatchObject({ status: 'loaded', toCut: { lsn: '550' } });

    // Per table: the new file (rows above the previous cut); whole-history tables add their snapshot file.
    // Thirty rounds of watermark files are not among them.
    const counts = Object.fromEntries(harness.engine.catalog.viewFileCounts());
    for (const table of Object.keys(counts) as LakeTableName[]) {
      expect(counts[table], table).toBe(WHOLE_HISTORY.includes(table) ? 2 : 1);
    }
    expect(
      await warehouseRows(harness.database.url, 'SELECT staff_id, department_name FROM dim_staff'),
    ).toEqual([{ staff_id: 1, department_name: 'Sales EMEA' }]);
    expect(
      await warehouseRows(
        harness.database.url,
        'SELECT sales_order_id, units_sold FROM fact_sales_order ORDER BY units_sold DESC',
      ),
    ).toEqual([
      { sales_order_id: 1, units_sold: 101 },
      { sales_order_id: 1, units_sold: 7 },
    ]);
  });

  it('reads the joined tables from their state snapshot: no change file at or below it is opened', async () => {
    const snapshotFiles = await writeLake(harness.lakeDir, [...SNAPSHOT, ...watermarks(150n, T0)]);
    expect(await harness.load()).toMatchObject({ status: 'loaded', toCut: { lsn: '150' } });
    const consumed = await writeLake(harness.lakeDir, watermarks(200n, T1));
    expect(await harness.load()).toMatchObject({ status: 'loaded', toCut: { lsn: '200' } });
    // Compaction's snapshots at the warehouse's cut (as compactLake takes them).
    const store = new FsObjectStore(harness.lakeDir, BUCKET);
    await writeStateSnapshots({ store }, { cutLsn: 200n, cutCommitTs: T1, targetObjectBytes: 1 << 20 });

    // The snapshot holds every version at or below 200: a run that opened a lake file below it fails.
    for (const path of [...snapshotFiles, ...consumed]) {
      await writeFile(path, 'not parquet');
      await utimes(path, new Date(), new Date());
    }
    await writeLake(harness.lakeDir, [
      {
        table: 'department',
        op: 'u',
        lsn: 500n,
        commitTs: T1,
        row: ROWS.department(1, 'Sales EMEA', 'Leeds'),
      },
      ...watermarks(550n, T1),
    ]);
    expect(await harness.load()).toMatchObject({ status: 'loaded', toCut: { lsn: '550' } });

    // Per table: the new file only, whole-history tables included (their past is in the snapshot).
    const counts = Object.fromEntries(harness.engine.catalog.viewFileCounts());
    for (const table of Object.keys(counts) as LakeTableName[]) expect(counts[table], table).toBe(1);
    expect(
      await warehouseRows(harness.database.url, 'SELECT staff_id, department_name FROM dim_staff'),
    ).toEqual([{ staff_id: 1, department_name: 'Sales EMEA' }]);
  });

  it('reads forgotten files again for a warehouse that starts over (its cut is below what the engine saw)', async () => {
    // The snapshot lands in an old partition, later watermarks days after it: the old partition is listed
    // once, then its consumed files are forgotten.
    const old = '2022-11-01T10:00:00.000Z';
    const later = '2022-11-05T10:00:00.000Z';
    await writeLake(harness.lakeDir, [
      ...SNAPSHOT.map((c) => ({ ...c, commitTs: old })),
      ...watermarks(150n, old),
    ]);
    expect(await harness.load()).toMatchObject({ status: 'loaded', toCut: { lsn: '150' } });
    // A change days later moves the partition floor past the snapshot's partition.
    await writeLake(harness.lakeDir, [
      { table: 'dim_design', op: 'u', lsn: 250n, commitTs: later, row: ROWS.design(1) },
      ...watermarks(300n, later),
    ]);
    expect(await harness.load()).toMatchObject({ status: 'loaded', toCut: { lsn: '300' } });
    await writeLake(harness.lakeDir, watermarks(400n, later));
    expect(await harness.load()).toMatchObject({ status: 'loaded', toCut: { lsn: '400' } });

    const fresh = await createTestDatabase('wh');
    const warehouse = new PgWarehouse({ url: fresh.url });
    try {
      await withClient(fresh.url, (client) => migrateWarehouse(client));
      const outcome = await runLoad({
        engine: harness.engine,
        warehouse,
        queries: harness.queries,
        roundLog: harness.roundLog,
      });
      expect(outcome).toMatchObject({ status: 'loaded', toCut: { lsn: '400' } });
      expect(await warehouseRows(fresh.url, 'SELECT sales_order_id FROM fact_sales_order')).toEqual([
        { sales_order_id: 1 },
      ]);
    } finally {
      await warehouse.close();
      await fresh.drop();
    }
  });
});
