/**
 * @module
 * The QueryEngine contract (core/ports/query-engine.ts) as a test suite every engine runs over real Parquet
 * lake files: one test per clause of the port's TSDoc (dialect, lossless values, snapshot, errors,
 * capabilities, batches), plus the parameters and result sizes every caller relies on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { csvValues } from '../../core/csv-record.ts';
import type { ObjectStore } from '../../core/ports/object-store.ts';
import type { LineResult, QueryEngine, QueryResult } from '../../core/ports/query-engine.ts';
import { LAKE_TABLES } from '../../core/schema/lake-tables.ts';
import type { LakeRow } from '../../lake/lake-value.ts';
import { writeLakeParquet } from '../../lake/parquet-writer.ts';
import { paymentVersion } from '../support/lake-payments.ts';

/** One engine under test over an empty lake. */
export interface QueryEngineUnderTest {
  readonly engine: QueryEngine;
  /** The lake bucket the engine's tables read (`<lake table>/dt=<day>/<object>.parquet`). */
  readonly lake: ObjectStore;
  /** Whether the engine declares the file floor capability (the suite checks it says so, either way). */
  readonly declaresFileFloor: boolean;
  /** Frees what the engine and the harness hold (after `engine.close()`). */
  readonly dispose?: () => Promise<void>;
}

/** The largest LSN the lake's signed 64-bit `_lsn` holds, which must come back exact. */
const MAX_LSN = 9_223_372_036_854_775_807n;

async function land(lake: ObjectStore, day: string, name: string, rows: readonly LakeRow[]): Promise<void> {
  await lake.put(
    `fact_payment/dt=${day}/${name}.parquet`,
    writeLakeParquet(LAKE_TABLES.fact_payment, [...rows]),
  );
}

/** The rows of `result` as objects keyed by column name. */
function records(result: QueryResult): Record<string, string | null>[] {
  return result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c, row[i] ?? null])));
}

/** Runs the contract against engines from `fresh`, each over an empty lake. */
export function describeQueryEngineContract(name: string, fresh: () => Promise<QueryEngineUnderTest>): void {
  describe(`${name} (QueryEngine contract)`, () => {
    const open: QueryEngineUnderTest[] = [];
    const subject = async (): Promise<QueryEngineUnderTest> => {
      const made = await fresh();
      open.push(made);
      return made;
    };
    afterEach(async () => {
      for (const made of open.splice(0)) {
        await made.engine.close();
        await made.dispose?.();
      }
    });

    it('dialect: a statement in the Trino and DuckDB subset (casts, window, grouping) runs with its meaning', async () => {
      const { engine, lake } = await subject();
      await land(lake, '2026-11-30', 'a', [
        paymentVersion(1, 10n),
        paymentVersion(2, 10n),
        paymentVersion(1, 20n, 'u'),
      ]);
      await land(lake, '2026-12-01', 'b', [paymentVersion(2, 30n, 'd'), paymentVersion(3, 40n)]);

      const result = await engine.query(
        `SELECT payment_id, _op, CAST(_lsn AS varchar) AS lsn, count(*) OVER (PARTITION BY dt) AS in_day
           FROM (
             SELECT *, row_number() OVER (PARTITION BY payment_id ORDER BY _lsn DESC, _seq DESC) AS newest
               FROM fact_payment
              WHERE dt >= CAST(? AS date) AND _lsn > CAST(? AS bigint) AND _op IN ('c', 'u', 'd')
           ) AS versions
          WHERE newest = 1
          ORDER BY payment_id`,
        ['2026-11-30', '0'],
      );

      expect(records(result)).toEqual([
        { payment_id: '1', _op: 'u', lsn: '20', in_day: '1' },
        { payment_id: '2', _op: 'd', lsn: '30', in_day: '2' },
        { payment_id: '3', _op: 'c', lsn: '40', in_day: '2' },
      ]);
    });

    it('lossless values: decimals, timestamps to the millisecond, dates, booleans, 64-bit LSNs and NULL as exact text', async () => {
      const { engine, lake } = await subject();
      await land(lake, '2026-11-30', 'a', [
        { ...paymentVersion(3, MAX_LSN), _xid: 1n, _commit_ts: BigInt(Date.UTC(2026, 10, 30, 7, 55, 11, 0)) },
        paymentVersion(4, 5n),
      ]);

      const result = await engine.query(
        'SELECT payment_id, payment_amount, _commit_ts, payment_date, created_date, paid, _lsn, dt FROM fact_payment ORDER BY payment_id',
      );

      expect(records(result)).toEqual([
        {
          payment_id: '3',
          payment_amount: '99999999.96',
          _commit_ts: '2026-11-30 07:55:11.000',
          payment_date: null,
          created_date: '2026-11-30',
          paid: 'false',
          _lsn: String(MAX_LSN),
          dt: '2026-11-30',
        },
        {
          payment_id: '4',
          payment_amount: '99999999.95',
          _commit_ts: '2026-11-30 23:59:59.999',
          payment_date: '2026-12-01',
          created_date: '2026-11-30',
          paid: 'true',
          _lsn: '5',
          dt: '2026-11-30',
        },
      ]);
      expect(result.kinds).toEqual([
        'integer',
        'decimal',
        'text',
        'text',
        'text',
        'boolean',
        'integer',
        'text',
      ]);
    });

    it('binds parameters positionally: strings (quotes included), numbers, booleans and NULL', async () => {
      const { engine, lake } = await subject();
      await land(lake, '2026-11-30', 'a', [
        paymentVersion(1, 10n),
        paymentVersion(2, 10n),
        paymentVersion(4, 10n),
      ]);

      const result = await engine.query(
        `SELECT payment_id, CAST(? AS varchar) AS said FROM fact_payment
          WHERE _op = ? AND payment_id >= ? AND paid = ? AND CAST(? AS varchar) IS NULL ORDER BY payment_id`,
        ["it's; --", 'c', 2, true, null],
      );

      expect(result.rows).toEqual([
        ['2', "it's; --"],
        ['4', "it's; --"],
      ]);
    });

    it('returns a result of any size whole and in order', async () => {
      const { engine, lake } = await subject();
      await land(
        lake,
        '2026-11-30',
        'a',
        Array.from({ length: 2500 }, (_, i) => paymentVersion(i + 1, BigInt(i + 1))),
      );

      const result = await engine.query('SELECT payment_id FROM fact_payment ORDER BY payment_id DESC');

      expect(result.columns).toEqual(['payment_id']);
      expect(result.rows.map((r) => Number(r[0]))).toEqual(Array.from({ length: 2500 }, (_, i) => 2500 - i));
    });

    it('batches: the rows query returns, in order, at most batchRows at a time, and one empty batch for none', async () => {
      const { engine, lake } = await subject();
      await land(
        lake,
        '2026-11-30',
        'a',
        Array.from({ length: 2500 }, (_, i) => paymentVersion(i + 1, BigInt(i + 1))),
      );
      const sql =
        'SELECT payment_id FROM fact_payment WHERE _lsn > CAST(? AS bigint) ORDER BY payment_id DESC';

      const batches: QueryResult[] = [];
      for await (const batch of engine.queryBatches(sql, ['0'], 1100)) batches.push(batch);
      const none: QueryResult[] = [];
      for await (const batch of engine.queryBatches(sql, ['5000'], 1100)) none.push(batch);

      expect(batches.map((b) => b.rows.length)).toEqual([1100, 1100, 300]);
      expect(batches.every((b) => b.columns.join() === 'payment_id')).toBe(true);
      expect(batches.flatMap((b) => b.rows.map((r) => Number(r[0])))).toEqual(
        Array.from({ length: 2500 }, (_, i) => 2500 - i),
      );
      expect(none.map((b) => [b.columns, b.rows])).toEqual([[['payment_id'], []]]);
    });

    it('batches: stopping early releases the query', async () => {
      const { engine, lake } = await subject();
      await land(
        lake,
        '2026-11-30',
        'a',
        Array.from({ length: 1200 }, (_, i) => paymentVersion(i + 1, BigInt(i + 1))),
      );

      let first: QueryResult | undefined;
      // Stopped three times: more than a small connection pool holds, so a query not released would block.
      for (let stop = 0; stop < 3; stop++) {
        for await (const batch of engine.queryBatches(
          'SELECT payment_id FROM fact_payment ORDER BY 1',
          [],
          100,
        )) {
          first = batch;
          break;
        }
      }

      expect(first?.rows).toHaveLength(100);
      // The engine is free for the next query (DuckDB gave its connection back; Athena reads no more pages).
      expect((await engine.query('SELECT count(*) FROM fact_payment')).rows).toEqual([['1200']]);
    });

    it('lines: each batch queryBatches yields, its rows as records of the same lossless text, in order', async () => {
      const { engine, lake } = await subject();
      await land(
        lake,
        '2026-11-30',
        'a',
        Array.from({ length: 250 }, (_, i) => paymentVersion(i + 1, BigInt(i + 1))),
      );
      // Text with a quote, a comma and a line end; an empty string beside NULL; decimals, dates, booleans,
      // timestamps and the largest LSN.
      const sql = `SELECT payment_id, payment_amount, payment_date, paid, _commit_ts,
          CASE WHEN payment_id % 4 = 1 THEN 'say "hi", then' || chr(10) || 'go' WHEN payment_id % 4 = 2 THEN ''
            WHEN payment_id % 4 = 3 THEN 'plain' END AS note,
          CAST(? AS bigint) AS top
        FROM fact_payment WHERE _lsn > CAST(? AS bigint) ORDER BY payment_id DESC`;

      const batches: QueryResult[] = [];
      for await (const batch of engine.queryBatches(sql, [String(MAX_LSN), '0'], 100)) batches.push(batch);
      const lines: LineResult[] = [];
      for await (const batch of engine.queryLines(sql, [String(MAX_LSN), '0'], 100)) lines.push(batch);
      const none: LineResult[] = [];
      for await (const batch of engine.queryLines(sql, [String(MAX_LSN), '5000'], 100)) none.push(batch);

      expect(lines.map((b) => b.lines.length)).toEqual([100, 100, 50]);
      expect(lines.map((b) => b.columns)).toEqual(batches.map((b) => b.columns));
      expect(lines.map((b) => b.lines.map((line) => csvValues(line, b.columns.length)))).toEqual(
        batches.map((b) => b.rows),
      );
      // Every value quoted, a quote doubled, NULL (payment 249 has no payment date) an empty unquoted field.
      expect(lines[0]?.lines[1]).toBe(
        `"249","99999997.50",,"false","${batches[0]?.rows[1]?.[4]}","say ""hi"", then\ngo","${MAX_LSN}"`,
      );
      expect(lines[0]?.lines[2]).toBe(
        `"248","99999997.51","2026-12-01","true","${batches[0]?.rows[2]?.[4]}",,"${MAX_LSN}"`,
      );
      expect(batches.flatMap((b) => b.rows.map((r) => r[5]))).toContain('say "hi", then\ngo');
      expect(batches.flatMap((b) => b.rows.map((r) => r[5]))).toContain('');
      expect(batches.flatMap((b) => b.rows.map((r) => r[5]))).toContain(null);
      expect(none.map((b) => [b.columns, b.lines])).toEqual([[lines[0]?.columns, []]]);
    });

    it('snapshot: a call sees every file that landed before it, and a file landing during it whole or not at all', async () => {
      const { engine, lake } = await subject();
      const count = async () =>
        Number((await engine.query('SELECT count(*) FROM fact_payment')).rows[0]?.[0]);
      expect(await count()).toBe(0);
      await land(lake, '2026-11-30', 'first', [
        paymentVersion(1, 1n),
        paymentVersion(2, 1n),
        paymentVersion(3, 1n),
      ]);
      expect(await count()).toBe(3);

      for (let n = 1; n <= 4; n++) {
        const during = count();
        await land(
          lake,
          '2026-12-01',
          `during-${n}`,
          [1, 2, 3].map((id) => paymentVersion(id + 3 * n, BigInt(n))),
        );
        const seen = await during;
        expect(seen % 3, `rows seen by a call while file ${n} landed`).toBe(0);
        expect(seen).toBeGreaterThanOrEqual(3 * n);
        expect(seen).toBeLessThanOrEqual(3 * (n + 1));
        expect(await count()).toBe(3 * (n + 1));
      }
    });

    it("errors: a failing query rejects with the engine's own reason", async () => {
      const { engine } = await subject();
      await expect(engine.query('SELECT no_such_column FROM fact_payment')).rejects.toThrow(/no_such_column/);
      // The engine stays usable after a failure.
      expect((await engine.query('SELECT count(*) AS n FROM fact_payment')).rows).toEqual([['0']]);
    });

    it('capabilities: declares whether it has a file floor, and one never hides a row at or above it nor a change above an as-of snapshot', async () => {
      const { engine, lake, declaresFileFloor } = await subject();
      const floor = engine.capabilities.fileFloor;
      expect(floor !== undefined, 'declares a file floor').toBe(declaresFileFloor);
      if (floor === undefined) return; // Nothing is left out: every read below covers the whole lake.
      await land(lake, '2026-11-30', 'below', [paymentVersion(100, 100n), paymentVersion(150, 150n, 'd')]);
      await land(lake, '2026-11-30', 'straddles', [paymentVersion(190, 190n), paymentVersion(210, 210n)]);
      await land(lake, '2026-12-01', 'above', [paymentVersion(300, 300n)]);
      const ids = async (sql: string) => (await engine.query(sql)).rows.map((r) => r[0]);

      floor.set({ belowLsn: 200n, dtFrom: '2026-11-30', asOf: new Map() });
      const floored = await ids('SELECT payment_id FROM fact_payment WHERE _lsn >= 200 ORDER BY 1');
      // Read as of the cut from a snapshot at 180: every change above 180 stays visible.
      const fromSnapshot = { snapshot: undefined, aboveLsn: 180n, dtFrom: '2026-11-30' };
      floor.set({ belowLsn: 200n, dtFrom: '2026-12-01', asOf: new Map([['fact_payment', fromSnapshot]]) });
      const afterSnapshot = await ids('SELECT payment_id FROM fact_payment WHERE _lsn > 180 ORDER BY 1');
      // Without a snapshot: every change of the whole history.
      const wholeHistory = { snapshot: undefined, aboveLsn: -1n, dtFrom: '1970-01-01' };
      floor.set({ belowLsn: 200n, dtFrom: '2026-11-30', asOf: new Map([['fact_payment', wholeHistory]]) });
      const kept = await ids('SELECT payment_id FROM fact_payment ORDER BY 1');
      floor.set(null);
      const unfloored = await ids('SELECT payment_id FROM fact_payment ORDER BY 1');

      expect(floored).toEqual(['210', '300']);
      expect(afterSnapshot).toEqual(['190', '210', '300']);
      expect(kept).toEqual(['100', '150', '190', '210', '300']);
      expect(unfloored).toEqual(['100', '150', '190', '210', '300']);
    });
  });
}
