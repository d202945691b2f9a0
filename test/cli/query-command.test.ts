import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatResult } from '../../cli/actions/query.ts';
import { QueryStatementError, singleStatement } from '../../cli/sql-statement.ts';
import { DuckDbQueryEngine } from '../../lake/duckdb-query-engine.ts';

describe('the query command', () => {
  let lakeDir: string;
  let engine: DuckDbQueryEngine;
  beforeAll(async () => {
    lakeDir = await mkdtemp(join(tmpdir(), 'query-statement-'));
    engine = await DuckDbQueryEngine.open({ lakeDir, bucket: 'totesys-lake' });
  });
  afterAll(async () => {
    await engine.close();
    await rm(lakeDir, { recursive: true, force: true });
  });

  it('runs with a trailing semicolon, trailing comments, or both, on the real engine', async () => {
    for (const sql of [
      'SELECT 1 AS one;',
      'SELECT 1 AS one -- the answer',
      'SELECT 1 AS one; -- the answer\n',
      'SELECT 1 AS one /* block */ ;\n/* and more */\n;',
    ]) {
      expect(await engine.query(singleStatement(sql)), sql).toMatchObject({
        columns: ['one'],
        rows: [['1']],
      });
    }
  });

  it('keeps semicolons and comment markers inside quotes and inner comments', async () => {
    const sql = 'SELECT \'a;b -- c\' AS "x;y", -- inner comment; not the end\n 2 AS two';
    expect(singleStatement(`${sql};  `)).toBe(sql);
    expect(await engine.query(singleStatement(`${sql};`))).toMatchObject({
      columns: ['x;y', 'two'],
      rows: [['a;b -- c', '2']],
    });
  });

  it('refuses two statements or none, without quoting SQL the user did not write', () => {
    expect(() => singleStatement('SELECT 1; SELECT 2')).toThrow(
      new QueryStatementError(
        'query runs one statement; this SQL has another after a `;`. Run them one at a time.',
      ),
    );
    expect(() => singleStatement(' -- nothing\n;')).toThrow(QueryStatementError);
  });

  it('reports the user’s own statement when DuckDB refuses it', async () => {
    const error = await engine.query(singleStatement('SELEC 1;')).catch((e: Error) => e);
    expect(String((error as Error).message)).toContain('SELEC 1');
    expect(String((error as Error).message)).not.toContain('CAST(COLUMNS');
  });

  describe('--format json', () => {
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
});
