import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import nodeSqlParser from 'node-sql-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueryResult } from '../../core/ports/query-engine.ts';
import { NO_SNAPSHOT } from '../../core/schema/lake-snapshots.ts';
import { LAKE_TABLE_NAMES } from '../../core/schema/lake-tables.ts';
import { DuckDbQueryEngine } from '../../lake/duckdb-query-engine.ts';
import { FsObjectStore } from '../../lake/fs-object-store.ts';
import { ObjectStoreStateSnapshots } from '../../lake/object-store-state-snapshots.ts';
import { writeStateSnapshots } from '../../lake/state-snapshots.ts';
import { EVERY_KEY } from '../../loader/key-ranges.ts';
import {
  bindParameters,
  parseLoaderQuery,
  type QueryParameterName,
  readLoaderQuery,
} from '../../loader/loader-queries.ts';
import { BUCKET, type LakeChange, ROWS, watermarks, writeLake } from '../loader/lake-fixtures.ts';

const QUERIES_DIR = fileURLToPath(new URL('../../queries/', import.meta.url));
const { Parser } = nodeSqlParser;

async function sqlFiles(): Promise<{ name: string; dir: string; text: string }[]> {
  const files: { name: string; dir: string; text: string }[] = [];
  for (const dir of ['loader', 'adhoc']) {
    for (const name of (await readdir(join(QUERIES_DIR, dir))).filter((f) => f.endsWith('.sql')).sort()) {
      files.push({
        name: name.replace(/\.sql$/, ''),
        dir,
        text: await readFile(join(QUERIES_DIR, dir, name), 'utf8'),
      });
    }
  }
  return files;
}

const T0 = '2022-11-03T14:20:52.186Z';
const T1 = '2022-11-04T10:00:00.000Z';

/** A snapshot at LSN 100, watermarks at 150, then a department rename, an address change and an order update. */
const LAKE: LakeChange[] = [
  { table: 'dim_currency', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.currency(1, 'GBP', 'Pound Sterling') },
  { table: 'dim_location', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.location(1, 'Leeds') },
  { table: 'dim_location', op: 'r', lsn: 100n, seq: 1, commitTs: T0, row: ROWS.location(2, 'York') },
  { table: 'dim_design', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.design(1) },
  { table: 'dim_payment_type', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.paymentType(1, 'SALES_RECEIPT') },
  { table: 'department', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.department(1, 'Sales', 'Manchester') },
  { table: 'dim_staff', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.staff(1, 1) },
  { table: 'dim_counterparty', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.counterparty(1, 1) },
  { table: 'dim_transaction', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.transaction(1, 1, null) },
  { table: 'fact_sales_order', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.salesOrder(1) },
  { table: 'fact_purchase_order', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.purchaseOrder(1) },
  { table: 'fact_payment', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.payment(1) },
  ...watermarks(150n, T0),
  {
    table: 'department',
    op: 'u',
    lsn: 200n,
    commitTs: T1,
    row: ROWS.department(1, 'Sales EMEA', 'Manchester'),
  },
  { table: 'dim_location', op: 'u', lsn: 210n, commitTs: T1, row: ROWS.location(1, 'Bradford') },
  {
    table: 'fact_sales_order',
    op: 'u',
    lsn: 220n,
    commitTs: T1,
    row: ROWS.salesOrder(1, {
      units_sold: 5,
      last_updated_date: '2022-11-04',
      last_updated_time: '10:00:00.000',
    }),
  },
  ...watermarks(300n, T1),
];

let lakeDir: string;
let engine: DuckDbQueryEngine;

beforeAll(async () => {
  lakeDir = await mkdtemp(join(tmpdir(), 'queries-'));
  await writeLake(lakeDir, LAKE);
  // The same delivery twice (Firehose is at least once): every query must dedupe it.
  await writeLake(lakeDir, LAKE);
  engine = await DuckDbQueryEngine.open({ lakeDir, bucket: BUCKET });
});

afterAll(async () => {
  await engine.close();
  await rm(lakeDir, { recursive: true, force: true });
});

function objects(result: QueryResult): Record<string, string | null>[] {
  return result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c, row[i] ?? null])));
}

/** Every parameter a loader query may ask for, each table's watermark days from 2022-11-02 to 2022-11-05. */
function allParameters(prevCut: string, cut: string): Partial<Record<QueryParameterName, string>> {
  const values: Partial<Record<QueryParameterName, string>> = {
    dt_from: '2022-11-02',
    prev_cut: prevCut,
    cut,
    // Every key: the fact windows whole (loader/key-ranges.ts).
    key_from: String(EVERY_KEY.from),
    key_to: String(EVERY_KEY.to),
  };
  for (const table of LAKE_TABLE_NAMES) {
    values[`dt_from_${table}`] = '2022-11-02';
    values[`dt_to_${table}`] = '2022-11-05';
    // No state snapshot: the joins read every version.
    values[`snapshot_${table}`] = NO_SNAPSHOT;
    values[`snapshot_lsn_${table}`] = '-1';
    values[`snapshot_from_${table}`] = '1970-01-01';
  }
  return values;
}

async function runLoaderQuery(
  name: string,
  prevCut: string,
  cut: string,
): Promise<Record<string, string | null>[]> {
  const query = await readLoaderQuery(name, QUERIES_DIR);
  return objects(await engine.query(query.sql, bindParameters(query, allParameters(prevCut, cut))));
}

describe('queries/', () => {
  it('every file is one statement that parses as Trino SQL', async () => {
    const parser = new Parser();
    const files = await sqlFiles();
    expect(files.length).toBe(20);
    for (const file of files) {
      const ast = parser.astify(file.text, { database: 'trino' });
      expect(Array.isArray(ast) ? ast.length : 1, `${file.dir}/${file.name}`).toBe(1);
    }
  });

  it('every file runs on DuckDB over real Parquet lake files', async () => {
    for (const file of await sqlFiles()) {
      const query = parseLoaderQuery(file.name, file.text);
      const parameters = bindParameters(query, allParameters('-1', '300'));
      const result = await engine.query(query.sql, parameters);
      expect(result.rows.length, `${file.dir}/${file.name}`).toBeGreaterThan(0);
    }
  });

  it('finds the newest watermark of every partition of every lake table, only over the days asked for', async () => {
    const rows = await runLoaderQuery('watermarks', '-1', '0');
    expect(new Set(rows.map((r) => r['lake_table']))).toEqual(new Set(LAKE_TABLE_NAMES));
    expect(new Set(rows.map((r) => r['watermark_lsn']))).toEqual(new Set(['300']));
    expect(new Set(rows.map((r) => r['dt']))).toEqual(new Set(['2022-11-03', '2022-11-04']));
    const query = await readLoaderQuery('watermarks', QUERIES_DIR);
    const none = allParameters('-1', '0');
    for (const table of LAKE_TABLE_NAMES) {
      none[`dt_from_${table}`] = '1970-01-01';
      none[`dt_to_${table}`] = '1970-01-01';
    }
    expect((await engine.query(query.sql, bindParameters(query, none))).rows).toEqual([]);
  });

  it('counts each partition’s distinct changes per commit LSN inside the window, watermarks left out', async () => {
    const rows = await runLoaderQuery('round_records', '-1', '300');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => BigInt(r['lsn']!) <= 300n && Number(r['records']) > 0)).toBe(true);
    expect(await runLoaderQuery('round_records', '300', '300')).toEqual([]);
  });

  it('a department rename reaches dim_staff and an address change reaches dim_counterparty', async () => {
    expect(await runLoaderQuery('dim_staff', '150', '300')).toEqual([
      {
        staff_id: '1',
        first_name: 'First1',
        last_name: 'Last1',
        department_name: 'Sales EMEA',
        location: 'Manchester',
        email_address: 'staff1@terrifictotes.com',
        _op: 'r',
        _lsn: '100',
        _seq: '0',
        _commit_ts: '2022-11-03 14:20:52.186',
        _unchanged: null,
      },
    ]);
    const counterparties = await runLoaderQuery('dim_counterparty', '150', '300');
    expect(counterparties.map((c) => [c['counterparty_id'], c['counterparty_legal_city']])).toEqual([
      ['1', 'Bradford'],
    ]);
    // As of the earlier cut, the old names.
    const before = await runLoaderQuery('dim_staff', '-1', '150');
    expect(before.map((s) => s['department_name'])).toEqual(['Sales']);
  });

  it('the dimension joins read the state snapshots instead of the history below them', async () => {
    // Prepare: the same lake, snapshots taken at 150, then every object at or below 150 of the joined tables
    // removed: only the snapshots can still hold the staff member, the department and the addresses.
    const snapshotLake = await mkdtemp(join(tmpdir(), 'queries-snapshots-'));
    const snapshotEngine = await (async () => {
      await writeLake(snapshotLake, LAKE);
      const store = new FsObjectStore(snapshotLake, BUCKET);
      await writeStateSnapshots({ store }, { cutLsn: 150n, cutCommitTs: T0, targetObjectBytes: 1 << 20 });
      for (const table of ['dim_staff', 'department', 'dim_counterparty', 'dim_location'] as const) {
        for (const object of await store.list(`${table}/dt=2022-11-03/`)) await store.delete(object.key);
      }
      return DuckDbQueryEngine.open({ lakeDir: snapshotLake, bucket: BUCKET });
    })();
    try {
      const snapshots = new ObjectStoreStateSnapshots(new FsObjectStore(snapshotLake, BUCKET));
      const values = allParameters('150', '300');
      for (const table of ['dim_staff', 'department', 'dim_counterparty', 'dim_location'] as const) {
        const manifest = (await snapshots.current(table))!;
        expect(manifest.changesFrom).toBe('2022-11-02');
        values[`snapshot_${table}`] = manifest.folder;
        values[`snapshot_lsn_${table}`] = manifest.lsn;
        values[`snapshot_from_${table}`] = manifest.changesFrom;
      }
      const run = async (name: string, bound: Partial<Record<QueryParameterName, string>>) => {
        const query = await readLoaderQuery(name, QUERIES_DIR);
        return objects(await snapshotEngine.query(query.sql, bindParameters(query, bound)));
      };

      // Act and assess: the renames reach the members, read from the snapshots.
      const staff = await run('dim_staff', values);
      expect(staff.map((s) => [s['staff_id'], s['department_name'], s['_lsn']])).toEqual([
        ['1', 'Sales EMEA', '100'],
      ]);
      const counterparties = await run('dim_counterparty', values);
      expect(counterparties.map((c) => [c['counterparty_id'], c['counterparty_legal_city']])).toEqual([
        ['1', 'Bradford'],
      ]);
      // Without the snapshots the removed history is missed: the test sees the snapshots are what is read.
      expect(await run('dim_staff', allParameters('150', '300'))).toEqual([]);
    } finally {
      await snapshotEngine.close();
      await rm(snapshotLake, { recursive: true, force: true });
    }
  });

  it('facts: one row per committed version in the window, duplicates collapsed, exact decimals and times', async () => {
    const first = await runLoaderQuery('fact_sales_order', '-1', '150');
    expect(first.map((r) => [r['sales_order_id'], r['_op'], r['unit_price'], r['created_time']])).toEqual([
      ['1', 'r', '2.43', '14:20:52.186'],
    ]);
    const second = await runLoaderQuery('fact_sales_order', '150', '300');
    expect(second.map((r) => [r['_lsn'], r['units_sold'], r['last_updated_date']])).toEqual([
      ['220', '5', '2022-11-04'],
    ]);
    expect(await runLoaderQuery('fact_payment', '150', '300')).toEqual([]);
  });

  it('facts: a key range reads only its keys, and the key span names the window’s lowest and highest key', async () => {
    const query = await readLoaderQuery('fact_sales_order', QUERIES_DIR);
    const range = (from: string, to: string) =>
      engine.query(
        query.sql,
        bindParameters(query, { ...allParameters('-1', '300'), key_from: from, key_to: to }),
      );
    expect((await range('1', '1')).rows.length).toBeGreaterThan(0);
    expect((await range('2', String(EVERY_KEY.to))).rows).toEqual([]);
    expect(await runLoaderQuery('fact_sales_order_keys', '-1', '300')).toEqual([
      { key_min: '1', key_max: '1', versions: expect.any(String) },
    ]);
    expect(await runLoaderQuery('fact_payment_keys', '150', '300')).toEqual([
      { key_min: null, key_max: null, versions: '0' },
    ]);
  });

  it('dimensions: latest version per key in the window only', async () => {
    expect(
      (await runLoaderQuery('dim_location', '-1', '300')).map((l) => [l['location_id'], l['city']]),
    ).toEqual([
      ['1', 'Bradford'],
      ['2', 'York'],
    ]);
    expect(await runLoaderQuery('dim_currency', '150', '300')).toEqual([]);
  });
});
