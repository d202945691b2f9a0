import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { csvRecord } from '../../core/csv-record.ts';
import type { ListPrefixesOptions } from '../../core/ports/object-store.ts';
import type { QueryResult } from '../../core/ports/query-engine.ts';
import { LAKE_TABLE_NAMES, LAKE_TABLES, lakeColumns } from '../../core/schema/lake-tables.ts';
import { MARKET_LAKE_TABLES } from '../../core/schema/market-lake-tables.ts';
import { DuckDbQueryEngine } from '../../lake/duckdb-query-engine.ts';
import { FsObjectStore } from '../../lake/fs-object-store.ts';
import { type LakeRow, parseJsonRow } from '../../lake/lake-value.ts';
import { ObjectStoreStateSnapshots } from '../../lake/object-store-state-snapshots.ts';
import { writeLakeParquet } from '../../lake/parquet-writer.ts';
import { writeStateSnapshots } from '../../lake/state-snapshots.ts';
import { describeQueryEngineContract } from './query-engine-contract.ts';

const BUCKET = 'totesys-lake';
const payment = LAKE_TABLES.fact_payment;

const PAYMENT: LakeRow = {
  payment_id: 7,
  created_date: '2022-11-03',
  created_time: '14:20:52.000',
  last_updated_date: '2022-11-07',
  last_updated: '07:55:11.885',
  transaction_id: 1,
  counterparty_id: 15,
  payment_amount: 500n,
  currency_id: 2,
  payment_type_id: 3,
  paid: false,
  payment_date: '2022-11-07',
  _op: 'c',
  _lsn: 9223372036854775807n,
  _seq: 0,
  _xid: 1n,
  _commit_ts: BigInt(Date.UTC(2022, 10, 7, 7, 55, 11, 0)),
  _unchanged: null,
};

let lakeDir: string;
let engine: DuckDbQueryEngine;

async function writeLakeFile(table: keyof typeof LAKE_TABLES, dt: string, name: string, rows: LakeRow[]) {
  const dir = join(lakeDir, BUCKET, table, `dt=${dt}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, name), writeLakeParquet(LAKE_TABLES[table], rows));
}

beforeEach(async () => {
  lakeDir = await mkdtemp(join(tmpdir(), 'duckdb-engine-'));
  engine = await DuckDbQueryEngine.open({ lakeDir, bucket: BUCKET });
});

afterEach(async () => {
  await engine.close();
  await rm(lakeDir, { recursive: true, force: true });
});

describeQueryEngineContract('DuckDbQueryEngine', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'duckdb-contract-'));
  return {
    engine: await DuckDbQueryEngine.open({ lakeDir: dir, bucket: BUCKET }),
    lake: new FsObjectStore(dir, BUCKET),
    declaresFileFloor: true,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
});

describe('DuckDbQueryEngine', () => {
  it('exposes every lake table as a typed empty view before any file lands', async () => {
    for (const name of LAKE_TABLE_NAMES) {
      const result = await engine.query(`SELECT * FROM ${name}`);
      expect(result.rows).toEqual([]);
      expect(result.columns).toEqual([...lakeColumns(LAKE_TABLES[name]).map((c) => c.name), 'dt']);
    }
    const types = await engine.query(
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'fact_payment'",
    );
    expect(Object.fromEntries(types.rows.map(([n, t]) => [n, t]))).toMatchObject({
      payment_amount: 'DECIMAL(10,2)',
      _commit_ts: 'TIMESTAMP',
      _lsn: 'BIGINT',
      dt: 'DATE',
    });
  });

  it('sees files that land after it opened, with dt from the path and values as exact text', async () => {
    await writeLakeFile('fact_payment', '2022-11-07', 'a.parquet', [PAYMENT]);
    const result = await engine.query('SELECT * FROM fact_payment');
    expect(result.rows).toHaveLength(1);
    const row = Object.fromEntries(result.columns.map((c, i) => [c, result.rows[0]?.[i]]));
    expect(row).toEqual({
      payment_id: '7',
      created_date: '2022-11-03',
      created_time: '14:20:52.000',
      last_updated_date: '2022-11-07',
      last_updated: '07:55:11.885',
      transaction_id: '1',
      counterparty_id: '15',
      payment_amount: '5.00',
      currency_id: '2',
      payment_type_id: '3',
      paid: 'false',
      payment_date: '2022-11-07',
      _op: 'c',
      _lsn: '9223372036854775807',
      _seq: '0',
      _xid: '1',
      _commit_ts: '2022-11-07 07:55:11.000',
      _unchanged: null,
      dt: '2022-11-07',
    });

    await writeLakeFile('fact_payment', '2022-11-08', 'b.parquet', [{ ...PAYMENT, payment_id: 8 }]);
    const again = await engine.query('SELECT count(*) AS n, max(dt) AS newest FROM fact_payment');
    expect(again.rows).toEqual([['2', '2022-11-08']]);
  });

  it('runs concurrent queries on its connections, each with its own parameters', async () => {
    await writeLakeFile(
      'fact_payment',
      '2022-11-07',
      'a.parquet',
      [1, 2, 3, 4, 5].map((id) => ({ ...PAYMENT, payment_id: id })),
    );
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((id) =>
        engine.query('SELECT payment_id FROM fact_payment WHERE payment_id = ?', [id]),
      ),
    );
    expect(results.map((r) => r.rows)).toEqual([[['1']], [['2']], [['3']], [['4']], [['5']]]);
  });

  it('declares a file floor that leaves out files below it but never a row at or above it, nor a change above an as-of snapshot', async () => {
    // Prepare: three payment files, entirely below, straddling and above a floor of 200.
    const row = (lsn: bigint, op = 'c') => ({ ...PAYMENT, payment_id: Number(lsn), _lsn: lsn, _op: op });
    await writeLakeFile('fact_payment', '2022-11-07', 'below.parquet', [row(100n), row(150n, 'w')]);
    await writeLakeFile('fact_payment', '2022-11-07', 'straddles.parquet', [row(190n), row(210n)]);
    await writeLakeFile('fact_payment', '2022-11-08', 'above.parquet', [row(300n)]);
    const floor = engine.capabilities.fileFloor;
    expect(floor).toBeDefined();

    // Act
    floor?.set({ belowLsn: 200n, dtFrom: '2022-11-07', asOf: new Map() });
    const floored = await engine.query('SELECT payment_id FROM fact_payment WHERE _lsn >= 200 ORDER BY 1');
    const views = engine.catalog.viewFileCounts().get('fact_payment');
    // Read as of the cut from a snapshot at 180: changes above 180 stay, the file below it does not.
    const fromSnapshot = { snapshot: undefined, aboveLsn: 180n, dtFrom: '2022-11-07' };
    floor?.set({ belowLsn: 200n, dtFrom: '2022-11-08', asOf: new Map([['fact_payment', fromSnapshot]]) });
    const afterSnapshot = await engine.query('SELECT payment_id FROM fact_payment ORDER BY 1');
    // Without a snapshot: the whole history's changes.
    const wholeHistory = { snapshot: undefined, aboveLsn: -1n, dtFrom: '1970-01-01' };
    floor?.set({ belowLsn: 200n, dtFrom: '2022-11-07', asOf: new Map([['fact_payment', wholeHistory]]) });
    const kept = await engine.query('SELECT payment_id FROM fact_payment ORDER BY 1');

    // Assess
    expect(floored.rows).toEqual([['210'], ['300']]);
    expect(views).toBe(2);
    expect(afterSnapshot.rows.map((r) => r[0])).toEqual(['190', '210', '300']);
    expect(kept.rows.map((r) => r[0])).toEqual(['100', '150', '190', '210', '300']);
  });

  it("reads an as-of table's snapshot the floor names, not one compaction published during the run", async () => {
    // Prepare: a snapshot at 100, the floor naming it, then a newer snapshot published (a compaction run).
    const store = new FsObjectStore(lakeDir, BUCKET);
    const snapshots = new ObjectStoreStateSnapshots(store);
    const row = (lsn: bigint) => ({ ...PAYMENT, _lsn: lsn });
    await writeLakeFile('fact_payment', '2022-11-07', 'first.parquet', [row(100n)]);
    await writeStateSnapshots({ store }, { cutLsn: 100n, cutCommitTs: null, targetObjectBytes: 1 << 20 });
    const named = await snapshots.current('fact_payment');
    engine.capabilities.fileFloor?.set({
      belowLsn: 101n,
      dtFrom: '2022-11-07',
      asOf: new Map([['fact_payment', { snapshot: named, aboveLsn: 100n, dtFrom: '2022-11-06' }]]),
    });
    await writeLakeFile('fact_payment', '2022-11-07', 'second.parquet', [row(200n)]);
    await writeStateSnapshots({ store }, { cutLsn: 200n, cutCommitTs: null, targetObjectBytes: 1 << 20 });

    // Act
    const read = await engine.query('SELECT DISTINCT snapshot_lsn FROM fact_payment_snapshot');

    // Assess
    expect(named?.lsn).toBe('100');
    expect((await snapshots.current('fact_payment'))?.lsn).toBe('200');
    expect(read.rows).toEqual([[named?.folder]]);
  });

  it('reads the snapshot the floor names again after a query without a floor read the current one', async () => {
    // Prepare: snapshots at 100 and 200; the floor names the one at 100.
    const store = new FsObjectStore(lakeDir, BUCKET);
    const snapshots = new ObjectStoreStateSnapshots(store);
    const row = (lsn: bigint) => ({ ...PAYMENT, _lsn: lsn });
    await writeLakeFile('fact_payment', '2022-11-07', 'first.parquet', [row(100n)]);
    await writeStateSnapshots({ store }, { cutLsn: 100n, cutCommitTs: null, targetObjectBytes: 1 << 20 });
    const older = await snapshots.current('fact_payment');
    await writeLakeFile('fact_payment', '2022-11-07', 'second.parquet', [row(200n)]);
    await writeStateSnapshots({ store }, { cutLsn: 200n, cutCommitTs: null, targetObjectBytes: 1 << 20 });
    const newer = await snapshots.current('fact_payment');
    const floorNaming = (snapshot: typeof older) => ({
      belowLsn: 101n,
      dtFrom: '2022-11-07',
      asOf: new Map([['fact_payment' as const, { snapshot, aboveLsn: 100n, dtFrom: '2022-11-06' }]]),
    });
    const snapshotRead = async () =>
      (await engine.query('SELECT DISTINCT snapshot_lsn FROM fact_payment_snapshot')).rows;

    // Act: the older snapshot, the current one, then the older one again.
    engine.capabilities.fileFloor?.set(floorNaming(older));
    const first = await snapshotRead();
    engine.capabilities.fileFloor?.set(null);
    const between = await snapshotRead();
    engine.capabilities.fileFloor?.set(floorNaming(older));
    const again = await snapshotRead();

    // Assess
    expect(first).toEqual([[older?.folder]]);
    expect(between).toEqual([[newer?.folder]]);
    expect(again).toEqual([[older?.folder]]);
  });

  it("lists no partition before a floor's first day read, however many days the lake holds", async () => {
    // Prepare: a payment file in each of five days; an engine over a store that records the folders it lists.
    const row = (day: number) => ({ ...PAYMENT, payment_id: day, _lsn: BigInt(100 * day) });
    for (let day = 3; day <= 7; day++)
      await writeLakeFile('fact_payment', `2022-11-0${day}`, 'a.parquet', [row(day)]);
    const listed: string[] = [];
    class FolderRecorder extends FsObjectStore {
      override async listPrefixes(prefix: string, options?: ListPrefixesOptions): Promise<string[]> {
        const found = await super.listPrefixes(prefix, options);
        listed.push(...found);
        return found;
      }
    }
    const recorded = await DuckDbQueryEngine.open({
      lakeDir,
      bucket: BUCKET,
      store: new FolderRecorder(lakeDir, BUCKET),
    });
    try {
      listed.length = 0; // opening lists every table without a floor (ad-hoc views read the whole glob)

      // Act: two runs, the second's floor a day later.
      recorded.capabilities.fileFloor?.set({ belowLsn: 0n, dtFrom: '2022-11-05', asOf: new Map() });
      const first = await recorded.query('SELECT payment_id FROM fact_payment ORDER BY 1');
      recorded.capabilities.fileFloor?.set({ belowLsn: 0n, dtFrom: '2022-11-06', asOf: new Map() });
      const second = await recorded.query('SELECT payment_id FROM fact_payment ORDER BY 1');

      // Assess
      expect(first.rows.map((r) => r[0])).toEqual(['5', '6', '7']);
      expect(second.rows.map((r) => r[0])).toEqual(['6', '7']);
      const payments = listed.filter((folder) => folder.startsWith('fact_payment/'));
      expect(payments).toEqual([
        'fact_payment/dt=2022-11-05/',
        'fact_payment/dt=2022-11-06/',
        'fact_payment/dt=2022-11-07/',
        'fact_payment/dt=2022-11-06/',
        'fact_payment/dt=2022-11-07/',
      ]);
    } finally {
      await recorded.close();
    }
  });

  it('caches Parquet footers on every connection that reads the lake, not only the first (SET GLOBAL)', async () => {
    // Act: the engine's two connections held at once, each by a read of its own setting.
    const sql = "SELECT CAST(current_setting('parquet_metadata_cache') AS VARCHAR) AS cached";
    const reads = [engine.queryBatches(sql, [], 10), engine.queryBatches(sql, [], 10)].map((batches) =>
      batches[Symbol.asyncIterator](),
    );
    const firsts = await Promise.all(reads.map((read) => read.next()));
    await Promise.all(reads.map((read) => read.return?.(undefined)));

    // Assess
    expect(firsts.map((first) => (first.value as QueryResult | undefined)?.rows)).toEqual([
      [['true']],
      [['true']],
    ]);
  });

  it("shows a market table's first file at the next query of a run, then lists it no more during the run", async () => {
    // Prepare: an fx_rate row; an engine over a store that records the market prefixes it lists.
    const fx = MARKET_LAKE_TABLES.fx_rate;
    const fxRow = parseJsonRow(lakeColumns(fx), {
      rate_date: '2026-11-30',
      base_currency: 'GBP',
      quote_currency: 'USD',
      rate: '1.2695',
      source: 'frankfurter',
      fetched_at: '2026-11-30 16:05:00.123',
    });
    const listed: string[] = [];
    class MarketRecorder extends FsObjectStore {
      override async listPrefixes(prefix: string, options?: ListPrefixesOptions): Promise<string[]> {
        if (prefix.startsWith('fx_rate/')) listed.push(prefix);
        return super.listPrefixes(prefix, options);
      }
    }
    const recorded = await DuckDbQueryEngine.open({
      lakeDir,
      bucket: BUCKET,
      store: new MarketRecorder(lakeDir, BUCKET),
    });
    try {
      // Act: a run's floor and a first query (fx_rate empty), then fx_rate's first file lands mid-run.
      recorded.capabilities.fileFloor?.set({ belowLsn: 0n, dtFrom: '2022-11-07', asOf: new Map() });
      const before = await recorded.query('SELECT count(*) FROM fx_rate');
      const dir = join(lakeDir, BUCKET, 'fx_rate', 'dt=2026-11-30');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'a.parquet'), writeLakeParquet(fx, [fxRow]));
      const rates = await recorded.query('SELECT quote_currency FROM fx_rate_latest');
      listed.length = 0;
      for (let i = 0; i < 5; i++) await recorded.query('SELECT count(*) FROM fact_payment');
      const again = await recorded.query('SELECT quote_currency FROM fx_rate_latest');

      // Assess: the view over its glob needs no listing for the rest of the run.
      expect(before.rows).toEqual([['0']]);
      expect(rates.rows).toEqual([['USD']]);
      expect(again.rows).toEqual([['USD']]);
      expect(listed).toEqual([]);
    } finally {
      await recorded.close();
    }
  });

  it('locates a table under the lake bucket', () => {
    expect(engine.catalog.locate('dim_staff')).toEqual({
      table: 'dim_staff',
      location: join(lakeDir, BUCKET, 'dim_staff'),
      partitionColumn: 'dt',
    });
    expect(payment.name).toBe('fact_payment');
  });
});

describe('DuckDbQueryEngine memory', () => {
  it('holds at most its memory limit, with its threads, and spills a larger sort to its temp directory', async () => {
    // Arrange
    const tempDirectory = join(lakeDir, 'spill');
    const bounded = await DuckDbQueryEngine.open({
      lakeDir,
      bucket: BUCKET,
      memory: { limitBytes: 48 * 1024 * 1024, threads: 1, tempDirectory },
    });
    try {
      // Act: a sort of about 100 MB of rows, twice the limit.
      const settings = await bounded.query(
        "SELECT current_setting('memory_limit'), current_setting('threads'), current_setting('temp_directory')",
      );
      const sorted = await bounded.query(
        `SELECT count(*), min(k), max(k) FROM (
           SELECT k FROM (SELECT md5(i::VARCHAR) || md5((i + 1)::VARCHAR) AS k FROM range(1000000) AS t(i))
           ORDER BY k LIMIT 999999 OFFSET 1)`,
      );

      // Assess
      expect(settings.rows[0]?.[0]).toBe('48.0 MiB');
      expect(settings.rows[0]?.slice(1)).toEqual(['1', tempDirectory]);
      expect(sorted.rows[0]?.[0]).toBe('999999');
    } finally {
      await bounded.close();
    }
  });

  it('spills inside its lake directory by default, never in the working directory', async () => {
    const settings = await engine.query("SELECT current_setting('temp_directory')");
    expect(settings.rows[0]?.[0]).toBe(join(lakeDir, '.duckdb-tmp'));
  });
});

describe('DuckDbQueryEngine batches', () => {
  it('renders lines in SQL as the rows would be, and from the rows for a type it does not print as text', async () => {
    const rendered = `SELECT TIMESTAMP '2022-11-03 14:20:52.1869' AS at, TIMESTAMP '2022-11-03 14:20:52' AS whole,
        CAST(1.5 AS DECIMAL(10,2)) AS d, DATE '2022-11-03' AS day, true AS yes, 'a"b' AS "quoted""name"`;
    const listed = `SELECT [1, 2] AS list, 'x"y' AS t, NULL AS nothing`;
    const lines = async (sql: string) => {
      const out: string[] = [];
      for await (const batch of engine.queryLines(sql, [], 10)) out.push(...batch.lines);
      return out;
    };

    expect(await lines(rendered)).toEqual([
      '"2022-11-03 14:20:52.186","2022-11-03 14:20:52.000","1.50","2022-11-03","true","a""b"',
    ]);
    expect((await engine.query(rendered)).rows).toEqual([
      ['2022-11-03 14:20:52.186', '2022-11-03 14:20:52.000', '1.50', '2022-11-03', 'true', 'a"b'],
    ]);
    expect(await lines(listed)).toEqual([csvRecord((await engine.query(listed)).rows[0] ?? [])]);
  });

  it('hands out the rows query returns, in order and as the same text, a batch of at most batchRows at a time', async () => {
    const sql = `SELECT i, CAST(i AS DECIMAL(10,2)) / 4 AS quarter,
        TIMESTAMP '2022-11-03 14:20:52.186' + i * INTERVAL 1 SECOND AS at, CAST(? AS VARCHAR) AS tag
      FROM range(2500) AS t(i) ORDER BY i DESC`;
    const whole = await engine.query(sql, ['x']);
    const batches: QueryResult[] = [];
    for await (const batch of engine.queryBatches(sql, ['x'], 1000)) batches.push(batch);

    expect(batches.map((b) => b.rows.length)).toEqual([1000, 1000, 500]);
    expect(batches.every((b) => b.columns.join() === whole.columns.join())).toBe(true);
    expect(batches.flatMap((b) => b.rows)).toEqual(whole.rows);
    expect(whole.rows[0]).toEqual(['2499', '624.75', '2022-11-03 15:02:31.186', 'x']);
  });

  it('hands out one empty batch with the columns for an empty result, and frees its connection when left early', async () => {
    const empty: QueryResult[] = [];
    for await (const batch of engine.queryBatches('SELECT 1 AS one WHERE false', [], 10)) empty.push(batch);
    expect(empty).toEqual([{ columns: ['one'], rows: [], kinds: ['integer'] }]);

    // Leaving three reads early must give each connection back (the engine has two).
    for (let i = 0; i < 3; i++)
      for await (const batch of engine.queryBatches('SELECT * FROM range(100000)', [], 10)) {
        expect(batch.rows).toHaveLength(10);
        break;
      }
    expect((await engine.query('SELECT 2 AS two')).rows).toEqual([['2']]);
  });
});
