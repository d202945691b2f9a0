/**
 * @module
 * What one refresh of the DuckDB catalog under a loader run's floor costs in DuckDB statements and how it lists:
 * the new files of every table inspected in one query, the views that changed replaced in one batch, and the
 * tables listed at once rather than one after another.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ListPrefixesOptions } from '../../core/ports/object-store.ts';
import { LAKE_TABLES, type LakeTableName } from '../../core/schema/lake-tables.ts';
import { DuckDbCatalog } from '../../lake/duckdb-catalog.ts';
import { FsObjectStore } from '../../lake/fs-object-store.ts';
import type { LakeRow } from '../../lake/lake-value.ts';
import { writeLakeParquet } from '../../lake/parquet-writer.ts';

const BUCKET = 'totesys-lake';
const META = { _op: 'c', _seq: 0, _xid: 1n, _commit_ts: 0n, _unchanged: null };
const ROWS: Partial<Record<LakeTableName, LakeRow>> = {
  dim_currency: { currency_id: 1, currency_code: 'GBP', currency_name: 'Pound', ...META },
  dim_design: { design_id: 1, design_name: 'd', file_location: '/', file_name: 'd.json', ...META },
  dim_payment_type: { payment_type_id: 1, payment_type_name: 'SALES_RECEIPT', ...META },
};

let lakeDir: string;
let instance: DuckDBInstance;

beforeEach(async () => {
  lakeDir = await mkdtemp(join(tmpdir(), 'duckdb-catalog-refresh-'));
  instance = await DuckDBInstance.create(':memory:');
});

afterEach(async () => {
  instance.closeSync();
  await rm(lakeDir, { recursive: true, force: true });
});

async function writeFiles(lsn: bigint): Promise<void> {
  for (const [table, row] of Object.entries(ROWS)) {
    const dir = join(lakeDir, BUCKET, table, 'dt=2022-11-07');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, `${lsn}.parquet`),
      writeLakeParquet(LAKE_TABLES[table as LakeTableName], [{ ...row, _lsn: lsn }]),
    );
  }
}

/** The catalog's connection, each call into DuckDB counted (`runAndReadAll` goes through `run`). */
async function countedConnection(): Promise<{ connection: DuckDBConnection; calls: string[] }> {
  const connection = await instance.connect();
  const calls: string[] = [];
  const run = connection.run.bind(connection);
  connection.run = (sql, ...rest) => {
    calls.push(sql.slice(0, 40));
    return run(sql, ...rest);
  };
  return { connection, calls };
}

it("inspects every table's new files in one query and replaces the changed views in one batch", async () => {
  // Prepare: a catalog refreshed once under a floor, then new files in three tables.
  const { connection, calls } = await countedConnection();
  const catalog = new DuckDbCatalog(connection, { lakeDir, bucket: BUCKET });
  catalog.setFloor({ belowLsn: 0n, dtFrom: '2022-11-07', asOf: new Map() });
  await catalog.ensureTables();
  await writeFiles(100n);
  calls.length = 0;

  // Act: the next run's floor.
  catalog.setFloor({ belowLsn: 50n, dtFrom: '2022-11-07', asOf: new Map() });
  await catalog.ensureTables();
  const reader = await connection.runAndReadAll(
    'SELECT (SELECT count(*) FROM dim_currency) + (SELECT count(*) FROM dim_design) + (SELECT count(*) FROM dim_payment_type)',
  );

  // Assess: two calls into DuckDB for three tables' files and views (then the count), and the views read them
  // (from their Parquet: a file is held in DuckDB from the second run that reads it, lake/lake-file-rows.ts).
  expect(calls).toHaveLength(3);
  expect(calls[0]).toMatch(/^SELECT filename/);
  expect(calls[1]).toMatch(/^CREATE OR REPLACE VIEW/);
  expect(reader.getRowsJson()).toEqual([['3']]);
  expect(catalog.viewFileCounts().get('dim_design')).toBe(1);
});

it('lists the tables of a floored refresh at once, not one after another', async () => {
  // Prepare: a store that counts the folder listings in flight.
  await writeFiles(100n);
  const listings = { open: 0, most: 0 };
  class CountingStore extends FsObjectStore {
    override async listPrefixes(prefix: string, options?: ListPrefixesOptions): Promise<string[]> {
      listings.open++;
      listings.most = Math.max(listings.most, listings.open);
      try {
        return await super.listPrefixes(prefix, options);
      } finally {
        listings.open--;
      }
    }
  }
  const catalog = new DuckDbCatalog(await instance.connect(), {
    lakeDir,
    bucket: BUCKET,
    store: new CountingStore(lakeDir, BUCKET),
  });

  // Act
  catalog.setFloor({ belowLsn: 50n, dtFrom: '2022-11-07', asOf: new Map() });
  await catalog.ensureTables();

  // Assess
  expect(listings.most).toBeGreaterThan(1);
  expect(catalog.viewFileCounts().get('dim_currency')).toBe(1);
});

it('names the table whose view failed when the batch of views fails', async () => {
  // Prepare: good files in three tables, and a file that is not Parquet in dim_design's newest partition.
  await writeFiles(100n);
  const bad = join(lakeDir, BUCKET, 'dim_design', 'dt=2022-11-06');
  await mkdir(bad, { recursive: true });
  await writeFile(join(bad, 'broken.parquet'), 'not parquet');
  const connection = await instance.connect();
  const catalog = new DuckDbCatalog(connection, { lakeDir, bucket: BUCKET });

  // Act
  const refresh = catalog.ensureTables();

  // Assess
  await expect(refresh).rejects.toThrow(/^Could not create the DuckDB view of lake table dim_design over /);
});
