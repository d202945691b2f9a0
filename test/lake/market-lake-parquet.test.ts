import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lakeColumns } from '../../core/schema/lake-tables.ts';
import { MARKET_LAKE_TABLES } from '../../core/schema/market-lake-tables.ts';
import { recordConverter } from '../../firehose/format-conversion.ts';
import { openLakeParquet } from '../../lake/lake-parquet-reader.ts';
import { formatJsonValue, LakeValueError, parseJsonRow, parseJsonValue } from '../../lake/lake-value.ts';
import { writeLakeParquet, writeLakeParquetColumns } from '../../lake/parquet-writer.ts';

const fx = MARKET_LAKE_TABLES.fx_rate;
const rate = fx.columns.find((c) => c.name === 'rate')!;

let dir: string;
let duck: Awaited<ReturnType<DuckDBInstance['connect']>>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'market-parquet-'));
  duck = await (await DuckDBInstance.create(':memory:')).connect();
});

afterAll(async () => {
  duck.closeSync();
  await rm(dir, { recursive: true, force: true });
});

describe('decimal(18,8) lake values', () => {
  it('reads rates to the hundred-millionth exactly and writes them back as the same text', () => {
    expect(parseJsonValue(rate, '1.2695')).toBe(126_950_000n);
    expect(parseJsonValue(rate, 0.00000001)).toBe(1n);
    expect(parseJsonValue(rate, '9999999999.99999999')).toBe(999_999_999_999_999_999n);
    expect(formatJsonValue(rate, 126_950_000n)).toBe('1.26950000');
    expect(formatJsonValue(rate, -1n)).toBe('-0.00000001');
    expect(parseJsonValue(rate, formatJsonValue(rate, 5n))).toBe(5n);
  });

  it('refuses a ninth fraction digit and an eleventh whole digit, naming the column', () => {
    expect(() => parseJsonValue(rate, '1.000000001')).toThrow(
      /"rate" \(decimal\(18,8\)\): more than 8 fraction/,
    );
    expect(() => parseJsonValue(rate, '10000000000')).toThrow(LakeValueError);
    expect(() => parseJsonValue(rate, '10000000000')).toThrow(/more than 18 digits in all/);
  });
});

describe('market lake tables in Parquet', () => {
  const row = parseJsonRow(lakeColumns(fx), {
    rate_date: '2026-11-30',
    base_currency: 'GBP',
    quote_currency: 'USD',
    rate: '1.2695',
    source: 'frankfurter',
    fetched_at: '2026-11-30 16:05:00.123',
  });

  it('keeps their own columns only (no CDC metadata) with exact decimals, read back by DuckDB', async () => {
    const path = join(dir, 'fx.parquet');
    await writeFile(path, writeLakeParquet(fx, [row, { ...row, quote_currency: 'EUR', rate: 1n }]));
    const reader = await duck.runAndReadAll(
      `SELECT *, typeof(rate) AS rate_type FROM read_parquet('${path}') ORDER BY quote_currency`,
    );
    expect(reader.getRowObjectsJson()).toEqual([
      {
        rate_date: '2026-11-30',
        base_currency: 'GBP',
        quote_currency: 'EUR',
        rate: '0.00000001',
        source: 'frankfurter',
        fetched_at: '2026-11-30 16:05:00.123',
        rate_type: 'DECIMAL(18,8)',
      },
      {
        rate_date: '2026-11-30',
        base_currency: 'GBP',
        quote_currency: 'USD',
        rate: '1.26950000',
        source: 'frankfurter',
        fetched_at: '2026-11-30 16:05:00.123',
        rate_type: 'DECIMAL(18,8)',
      },
    ]);
  });

  it('converts collector records as Firehose would and reads them back with the lake reader', async () => {
    const converter = recordConverter(MARKET_LAKE_TABLES.economic_observation);
    const columns = converter.emptyColumns();
    const record = (value: string | null) =>
      new TextEncoder().encode(
        `${JSON.stringify({ observation_date: '2026-11-27', series_id: 'DGS10', value, source: 'fred', fetched_at: '2026-11-30 12:00:00.000' })}\n`,
      );
    expect(converter.convertInto(record('4.17'), columns)).toEqual({ ok: true, rows: 1 });
    expect(converter.convertInto(record(null), columns)).toEqual({ ok: true, rows: 1 });
    expect(converter.convertInto(record('4.123456789'), columns)).toMatchObject({
      ok: false,
      errorMessage: expect.stringMatching(/economic_observation: Column "value"/),
    });
    const bytes = writeLakeParquetColumns(MARKET_LAKE_TABLES.economic_observation, columns);
    const object = await openLakeParquet(MARKET_LAKE_TABLES.economic_observation, 'key', bytes);
    expect(object).toMatchObject({ rows: 2, maxLsn: null });
    const values: unknown[] = [];
    for await (const group of object.rowGroups()) values.push(...(group[2] ?? []));
    expect(values).toEqual([417_000_000n, null]);
  });
});
