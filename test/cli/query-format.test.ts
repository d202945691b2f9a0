import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatResult } from '../../cli/actions/query.ts';
import { DuckDbQueryEngine } from '../../lake/duckdb-query-engine.ts';

describe('query --format json', () => {
  let lakeDir: string;
  let engine: DuckDbQueryEngine;
  beforeAll(async () => {
    lakeDir = await mkdtemp(join(tmpdir(), 'query-format-'));
    engine = await DuckDbQueryEngine.open({ lakeDir, bucket: 'totesys-lake' });
  });
  afterAll(async () => {
    await engine.close();
    await rm(lakeDir, { recursive: true, force: true });
  });

  it('prints numbers as JSON numbers where exact, decimals as exact strings, booleans as booleans', async () => {
    const result = await engine.query(
      `SELECT 69 AS orders, -9007199254740991::BIGINT AS smallest_safe, 9007199254740993::BIGINT AS too_big,
         2.50::DECIMAL(10,2) AS price, 0.5::DOUBLE AS ratio, true AS paid, DATE '2022-11-03' AS day,
         'GBP' AS code, NULL::INTEGER AS missing`,
    );

    expect(JSON.parse(formatResult(result, 'json'))).toEqual([
      {
        orders: 69,
        smallest_safe: -9007199254740991,
        too_big: '9007199254740993',
        price: '2.50',
        ratio: 0.5,
        paid: true,
        day: '2022-11-03',
        code: 'GBP',
        missing: null,
      },
    ]);
  });

  it('keeps every value a string when the engine reports no types', () => {
    expect(JSON.parse(formatResult({ columns: ['n'], rows: [['1']] }, 'json'))).toEqual([{ n: '1' }]);
  });
});
