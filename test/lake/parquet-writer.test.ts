import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAKE_TABLES, lakeColumns } from '../../core/schema/lake-tables.ts';
import type { LakeRow } from '../../lake/lake-value.ts';
import { LakeParquetError, writeLakeParquet } from '../../lake/parquet-writer.ts';

const payment = LAKE_TABLES.fact_payment;

/** payment 1 of the real data, paid version, as typed lake values. */
const PAID: LakeRow = {
  payment_id: 1,
  created_date: '2022-11-03',
  created_time: '14:20:52.186',
  last_updated_date: '2022-11-07',
  last_updated: '07:55:11.885',
  transaction_id: 1,
  counterparty_id: 15,
  payment_amount: 5692544n,
  currency_id: 2,
  payment_type_id: 3,
  paid: true,
  payment_date: '2022-11-07',
  _op: 'u',
  _lsn: 9223372036854775807n,
  _seq: 3,
  _xid: 4294967296n,
  _commit_ts: BigInt(Date.UTC(2022, 10, 7, 7, 55, 11, 885)),
  _unchanged: null,
};

/** A watermark row: business columns NULL, extreme decimal and timestamp edges in the others. */
const EDGES: LakeRow = {
  payment_id: -2147483648,
  payment_amount: -9999999999n,
  paid: false,
  payment_date: '1900-01-01',
  _op: 'w',
  _lsn: 0n,
  _seq: 0,
  _commit_ts: BigInt(Date.UTC(1900, 0, 1, 0, 0, 0, 1)),
  _unchanged: 'a,b',
};

let dir: string;
let duck: Awaited<ReturnType<DuckDBInstance['connect']>>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lake-parquet-'));
  duck = await (await DuckDBInstance.create(':memory:')).connect();
});

afterAll(async () => {
  duck.closeSync();
  await rm(dir, { recursive: true, force: true });
});

async function writeTo(relative: string, bytes: Uint8Array): Promise<string> {
  const path = join(dir, relative);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, bytes);
  return path;
}

describe('writeLakeParquet', () => {
  it('writes the lake columns in glue order with the declared types, read back by DuckDB', async () => {
    const path = await writeTo('types/a.parquet', writeLakeParquet(payment, [PAID, EDGES]));
    const described = await duck.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${path}')`);
    const types = Object.fromEntries(
      described.getRowObjectsJson().map((row) => [String(row['column_name']), String(row['column_type'])]),
    );
    expect(Object.keys(types)).toEqual(lakeColumns(payment).map((c) => c.name));
    expect(types).toMatchObject({
      payment_id: 'INTEGER',
      created_date: 'DATE',
      created_time: 'VARCHAR',
      payment_amount: 'DECIMAL(10,2)',
      paid: 'BOOLEAN',
      _lsn: 'BIGINT',
      _seq: 'INTEGER',
      _commit_ts: 'TIMESTAMP',
    });
  });

  it('keeps decimals, 64-bit integers, millisecond timestamps, dates and NULLs exact in DuckDB', async () => {
    const path = await writeTo('values/a.parquet', writeLakeParquet(payment, [PAID, EDGES]));
    const reader = await duck.runAndReadAll(`SELECT * FROM read_parquet('${path}') ORDER BY _lsn DESC`);
    const [paid, edges] = reader.getRowObjectsJson();
    expect(paid).toEqual({
      payment_id: 1,
      created_date: '2022-11-03',
      created_time: '14:20:52.186',
      last_updated_date: '2022-11-07',
      last_updated: '07:55:11.885',
      transaction_id: 1,
      counterparty_id: 15,
      payment_amount: '56925.44',
      currency_id: 2,
      payment_type_id: 3,
      paid: true,
      payment_date: '2022-11-07',
      _op: 'u',
      _lsn: '9223372036854775807',
      _seq: 3,
      _xid: '4294967296',
      _commit_ts: '2022-11-07 07:55:11.885',
      _unchanged: null,
    });
    expect(edges).toMatchObject({
      payment_id: -2147483648,
      created_date: null,
      created_time: null,
      transaction_id: null,
      payment_amount: '-99999999.99',
      paid: false,
      payment_date: '1900-01-01',
      _xid: null,
      _commit_ts: '1900-01-01 00:00:00.001',
      _unchanged: 'a,b',
    });
  });

  it('declares the logical types and exact values that hyparquet reads back', async () => {
    const bytes = writeLakeParquet(payment, [PAID, EDGES]);
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const metadata = parquetMetadata(file);
    const element = (name: string) => metadata.schema.find((e) => e.name === name);
    expect(element('payment_amount')).toMatchObject({
      type: 'INT64',
      repetition_type: 'OPTIONAL',
      logical_type: { type: 'DECIMAL', precision: 10, scale: 2 },
    });
    expect(element('_commit_ts')).toMatchObject({
      type: 'INT64',
      logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MILLIS' },
    });
    expect(element('payment_date')).toMatchObject({ type: 'INT32', logical_type: { type: 'DATE' } });
    expect(element('dt')).toBeUndefined();
    expect(metadata.row_groups[0]?.columns[0]?.meta_data?.codec).toBe('SNAPPY');

    const rows = await parquetReadObjects({
      file,
      parsers: { timestampFromMilliseconds: (ms: bigint) => ms, dateFromDays: (days: number) => days },
    });
    expect(rows[0]).toMatchObject({
      payment_amount: 56925.44,
      _lsn: 9223372036854775807n,
      _commit_ts: PAID['_commit_ts'],
      created_date: Date.UTC(2022, 10, 3) / 86_400_000,
      created_time: '14:20:52.186',
      _unchanged: null,
    });
    expect(rows[1]).toMatchObject({ payment_amount: -99999999.99, created_date: null, _xid: null });
  });

  it('writes files DuckDB reads through hive partitioning with dt typed as DATE', async () => {
    await writeTo('hive/fact_payment/dt=2022-11-03/one.parquet', writeLakeParquet(payment, [EDGES]));
    await writeTo('hive/fact_payment/dt=2022-11-07/two.parquet', writeLakeParquet(payment, [PAID, PAID]));
    const glob = join(dir, 'hive/fact_payment/*/*.parquet');
    const reader = await duck.runAndReadAll(
      `SELECT dt, typeof(dt) AS dt_type, count(*) AS n, sum(payment_amount) AS total
         FROM read_parquet('${glob}', hive_partitioning = true) GROUP BY dt ORDER BY dt`,
    );
    expect(reader.getRowObjectsJson()).toEqual([
      { dt: '2022-11-03', dt_type: 'DATE', n: '1', total: '-99999999.99' },
      { dt: '2022-11-07', dt_type: 'DATE', n: '2', total: '113850.88' },
    ]);
  });

  it('writes an empty file with the full schema when there are no rows', async () => {
    const path = await writeTo('empty/a.parquet', writeLakeParquet(LAKE_TABLES.dim_currency, []));
    const reader = await duck.runAndReadAll(`SELECT count(*) AS n FROM read_parquet('${path}')`);
    expect(reader.getRowObjectsJson()).toEqual([{ n: '0' }]);
  });

  it('refuses a value whose JavaScript type does not match its column, naming table, column and row', () => {
    expect(() => writeLakeParquet(payment, [PAID, { ...PAID, payment_amount: 2.43 }])).toThrow(
      /fact_payment, column payment_amount \(decimal\(10,2\)\), row 1/,
    );
    expect(() => writeLakeParquet(payment, [{ payment_id: 2 ** 31 }])).toThrow(LakeParquetError);
    expect(() => writeLakeParquet(payment, [{ payment_date: '2022-02-30' }])).toThrow(/calendar date/);
  });
});
