/**
 * @module
 * The Warehouse contract (core/ports/warehouse.ts) as a test suite every implementation runs. Batches are
 * built by hand in the shape the loader builds them (star columns plus `_op, _lsn, _seq, _commit_ts,
 * _unchanged`, values as lossless text), so each clause is checked on the port itself.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Cut,
  CutMovedError,
  type LoadBatch,
  type TableRows,
  type Warehouse,
} from '../../core/ports/warehouse.ts';
import type {
  DimensionTableName,
  FactTableName,
  WarehouseTableName,
} from '../../core/schema/warehouse-tables.ts';
import { DIM_DATE_COLUMNS, dimDateRow } from '../../loader/dim-date.ts';

/** A star table, or the view of each order's current state (`current_payment`). */
export type WarehouseRelation = WarehouseTableName | 'current_payment';

/** One implementation and a way to read its star rows. */
export interface WarehouseUnderTest {
  readonly warehouse: Warehouse;
  /** Every row of a star table or current view, each value as text (null stays null), by its first column. */
  rows(relation: WarehouseRelation): Promise<Record<string, string | null>[]>;
  dispose(): Promise<void>;
}

/** What a test may ask of a fresh implementation. */
export interface WarehouseOptions {
  /** Runs inside `load` after every write, just before the load becomes visible; throwing fails the load. */
  readonly beforeCommit?: () => Promise<void>;
  /** The connections it may hold, where it has a pool; the loader Lambda gives it one. */
  readonly maxConnections?: number;
}

const VERSION_COLUMNS = ['_op', '_lsn', '_seq', '_commit_ts', '_unchanged'] as const;
const CURRENCY_COLUMNS = ['currency_id', 'currency_code', 'currency_name', ...VERSION_COLUMNS];
const PAYMENT_TYPE_COLUMNS = ['payment_type_id', 'payment_type_name', ...VERSION_COLUMNS];
const PAYMENT_COLUMNS = [
  'payment_id',
  'created_date',
  'created_time',
  'last_updated_date',
  'last_updated',
  'transaction_id',
  'counterparty_id',
  'payment_amount',
  'currency_id',
  'payment_type_id',
  'paid',
  'payment_date',
  ...VERSION_COLUMNS,
];

/** A change's version columns: op, LSN, seq, commit time (UTC, milliseconds) and unchanged columns. */
interface Version {
  readonly op?: 'c' | 'u' | 'd' | 'r';
  readonly lsn: number;
  readonly seq?: number;
  readonly unchanged?: string;
}

const versionOf = (v: Version): (string | null)[] => [
  v.op ?? 'c',
  String(v.lsn),
  String(v.seq ?? 0),
  `2022-11-03 14:${String(Math.floor(v.lsn / 60) % 60).padStart(2, '0')}:${String(v.lsn % 60).padStart(2, '0')}.962`,
  v.unchanged ?? null,
];

const dates = (...days: string[]): TableRows => ({
  table: 'dim_date',
  columns: DIM_DATE_COLUMNS,
  rows: days.map(dimDateRow),
});

const currencies = (
  ...rows: (Version & { id: number; code?: string | null; name?: string | null })[]
): TableRows => ({
  table: 'dim_currency',
  columns: CURRENCY_COLUMNS,
  rows: rows.map((r) => [
    String(r.id),
    r.code === undefined ? 'GBP' : r.code,
    r.name === undefined ? 'British Pound' : r.name,
    ...versionOf(r),
  ]),
});

const paymentTypes = (...rows: (Version & { id: number; name: string })[]): TableRows => ({
  table: 'dim_payment_type',
  columns: PAYMENT_TYPE_COLUMNS,
  rows: rows.map((r) => [String(r.id), r.name, ...versionOf(r)]),
});

/** Versions of payments on 2022-11-03, paying 1234.56 in currency 1 unless told otherwise. */
const payments = (
  ...rows: (Version & { id: number; amount?: string | null; paid?: boolean; currency?: number })[]
): TableRows => ({
  table: 'fact_payment',
  columns: PAYMENT_COLUMNS,
  rows: rows.map((r) =>
    r.op === 'd'
      ? [String(r.id), ...Array.from({ length: 11 }, () => null), ...versionOf(r)]
      : [
          String(r.id),
          '2022-11-03',
          '14:20:49.962',
          '2022-11-03',
          '14:20:49.962',
          '5',
          '6',
          r.amount === undefined ? '1234.56' : r.amount,
          String(r.currency ?? 1),
          '3',
          String(r.paid ?? false),
          '2022-11-03',
          ...versionOf(r),
        ],
  ),
});

const cut = (lsn: number): Cut => ({ lsn: String(lsn), commitTs: '2022-11-03T14:20:49.962Z' });

const batch = (fromCut: Cut | null, toCut: Cut, ...tables: TableRows[]): LoadBatch => ({
  fromCut,
  toCut,
  tables: [dates('2022-11-03'), ...tables],
  watermarks: [],
});

/** The first load of every test: two currencies and one payment whose other members nobody sent. */
const FIRST = batch(
  null,
  cut(100),
  currencies({ id: 1, lsn: 10 }, { id: 2, code: 'EUR', name: 'Euro', lsn: 11 }),
  payments({ id: 1, lsn: 90 }),
);

/** Every current key of `table`, read a key at a time (so every page of the read is taken). */
async function currentKeys(
  warehouse: Warehouse,
  table: FactTableName | DimensionTableName,
): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of warehouse.currentKeys(table, 1)) keys.push(...batch);
  return keys;
}

/** Runs the contract against implementations from `fresh`, which returns an empty, migrated one each call. */
export function describeWarehouseContract(
  name: string,
  fresh: (options?: WarehouseOptions) => Promise<WarehouseUnderTest>,
): void {
  describe(`${name} (Warehouse contract)`, () => {
    const opened: WarehouseUnderTest[] = [];
    const open = async (options?: WarehouseOptions) => {
      const subject = await fresh(options);
      opened.push(subject);
      return subject;
    };
    afterEach(async () => {
      for (const subject of opened.splice(0)) await subject.dispose();
    });
    const everything = async (subject: WarehouseUnderTest) => ({
      cut: await subject.warehouse.currentCut(),
      currencies: await subject.rows('dim_currency'),
      payments: await subject.rows('fact_payment'),
      current: await subject.rows('current_payment'),
    });

    it('holds no cut before its first load, then the cut of each load, values kept to the cent and millisecond', async () => {
      const { warehouse, rows } = await open();
      expect(await warehouse.currentCut()).toBeNull();

      const report = await warehouse.load(FIRST);

      expect(await warehouse.currentCut()).toEqual(cut(100));
      expect(report.rowsWritten).toMatchObject({ dim_currency: 2, fact_payment: 1 });
      expect(report.latency).toMatchObject({ changes: expect.any(Number) });
      expect(await rows('fact_payment')).toEqual([
        expect.objectContaining({
          payment_id: '1',
          payment_amount: '1234.56',
          created_time: '14:20:49.962',
          paid: 'false',
          payment_date: '2022-11-03',
        }),
      ]);
      expect((await rows('dim_currency')).map((row) => row.currency_name)).toEqual(['British Pound', 'Euro']);
    });

    it('leaves everything as it was when a load fails, the cut included', async () => {
      let fail = false;
      const subject = await open({
        beforeCommit: async () => {
          if (fail) throw new Error('simulated crash before commit');
        },
      });
      await subject.warehouse.load(FIRST);
      const before = await everything(subject);
      fail = true;

      await expect(
        subject.warehouse.load(
          batch(
            cut(100),
            cut(200),
            currencies({ id: 1, name: 'Pound', lsn: 150 }),
            payments({ id: 1, lsn: 160, paid: true }),
          ),
        ),
      ).rejects.toThrow(/simulated crash/);

      expect(await everything(subject)).toEqual(before);
    });

    it('shows the previous cut and its rows until a load is complete, never part of it', async () => {
      let watching = false;
      let seenDuringLoad: unknown;
      const subject: WarehouseUnderTest = await open({
        beforeCommit: async () => {
          if (watching) seenDuringLoad = await everything(subject);
        },
      });
      await subject.warehouse.load(FIRST);
      const before = await everything(subject);
      watching = true;

      await subject.warehouse.load(
        batch(
          cut(100),
          cut(200),
          currencies({ id: 1, name: 'Pound', lsn: 150 }),
          payments({ id: 1, lsn: 160, paid: true }),
        ),
      );

      expect(seenDuringLoad).toEqual(before);
      expect(await subject.warehouse.currentCut()).toEqual(cut(200));
    });

    it('refuses a batch built from another cut than its own with CutMovedError and writes nothing', async () => {
      const subject = await open();
      await subject.warehouse.load(FIRST);
      const before = await everything(subject);

      for (const stale of [null, cut(50)]) {
        await expect(
          subject.warehouse.load(batch(stale, cut(200), currencies({ id: 1, name: 'Pound', lsn: 150 }))),
        ).rejects.toThrow(CutMovedError);
      }

      expect(await everything(subject)).toEqual(before);
    });

    it('lets exactly one of two loads from the same cut through', async () => {
      const subject = await open();
      await subject.warehouse.load(FIRST);

      const outcomes = await Promise.allSettled([
        subject.warehouse.load(batch(cut(100), cut(200), currencies({ id: 1, name: 'Pound', lsn: 150 }))),
        subject.warehouse.load(batch(cut(100), cut(300), currencies({ id: 1, name: 'Sterling', lsn: 250 }))),
      ]);

      const [won] = outcomes.flatMap((outcome, index) => (outcome.status === 'fulfilled' ? [index] : []));
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      const lost = outcomes.find((outcome) => outcome.status === 'rejected');
      expect(lost?.status === 'rejected' && lost.reason).toBeInstanceOf(CutMovedError);
      expect(await subject.warehouse.currentCut()).toEqual(won === 0 ? cut(200) : cut(300));
      expect((await subject.rows('dim_currency'))[0]?.currency_name).toBe(won === 0 ? 'Pound' : 'Sterling');
    });

    it('adds nothing when versions it holds are loaded again, and reports no latency for them', async () => {
      const subject = await open();
      await subject.warehouse.load(FIRST);
      const before = await everything(subject);

      const report = await subject.warehouse.load({ ...FIRST, fromCut: cut(100), toCut: cut(200) });

      expect(report.rowsWritten.fact_payment).toBe(0);
      expect(report.latency).toBeNull();
      expect(await everything(subject)).toEqual({ ...before, cut: cut(200) });
    });

    it('keeps the latest version of a dimension member, and one fact row per committed version', async () => {
      const subject = await open();
      await subject.warehouse.load(FIRST);

      await subject.warehouse.load(
        batch(
          cut(100),
          cut(200),
          currencies({ id: 1, name: 'Pound Sterling', op: 'u', lsn: 150 }),
          payments(
            { id: 1, op: 'u', lsn: 160, paid: true },
            { id: 1, op: 'u', lsn: 170, amount: '0.01', paid: true },
          ),
        ),
      );

      expect((await subject.rows('dim_currency')).map((row) => row.currency_name)).toEqual([
        'Pound Sterling',
        'Euro',
      ]);
      const versions = await subject.rows('fact_payment');
      expect(versions.map((row) => [row.paid, row.payment_amount])).toEqual([
        ['false', '1234.56'],
        ['true', '1234.56'],
        ['true', '0.01'],
      ]);
      expect(await subject.rows('current_payment')).toEqual([versions[2]]);
    });

    it('removes a deleted dimension member no fact references, and keeps a referenced one', async () => {
      const subject = await open();
      await subject.warehouse.load(FIRST);

      await subject.warehouse.load(
        batch(
          cut(100),
          cut(200),
          currencies({ id: 1, op: 'd', lsn: 150 }, { id: 2, op: 'd', lsn: 150, seq: 1 }),
        ),
      );

      expect((await subject.rows('dim_currency')).map((row) => row.currency_id)).toEqual(['1']);
    });

    it('records a delete of an order once, hides the order until a newer version, and adds no fact row', async () => {
      const subject = await open();
      await subject.warehouse.load(FIRST);
      const deletion = payments({ id: 1, op: 'd', lsn: 150 });

      const first = await subject.warehouse.load(batch(cut(100), cut(200), deletion));
      const again = await subject.warehouse.load(batch(cut(200), cut(300), deletion));

      expect([first.rowsWritten.fact_payment, again.rowsWritten.fact_payment]).toEqual([1, 0]);
      expect(await subject.rows('fact_payment')).toHaveLength(1);
      expect(await subject.rows('current_payment')).toEqual([]);
      await subject.warehouse.load(batch(cut(300), cut(400), payments({ id: 1, lsn: 350, amount: '7.00' })));
      expect((await subject.rows('current_payment')).map((row) => row.payment_amount)).toEqual(['7.00']);
    });

    it('names as current keys the orders it holds a version of and no later delete', async () => {
      const subject = await open();
      await subject.warehouse.load(FIRST);
      expect(await currentKeys(subject.warehouse, 'fact_payment')).toEqual(['1']);

      await subject.warehouse.load(batch(cut(100), cut(200), payments({ id: 1, op: 'd', lsn: 150 })));
      expect(await currentKeys(subject.warehouse, 'fact_payment')).toEqual([]);
      await subject.warehouse.load(batch(cut(200), cut(300), payments({ id: 1, lsn: 250, amount: '7.00' })));
      expect(await currentKeys(subject.warehouse, 'fact_payment')).toEqual(['1']);
      expect(await currentKeys(subject.warehouse, 'fact_sales_order')).toEqual([]);
    });

    it('reads its current keys beside a load in progress, as they were before it, even on one connection', async () => {
      const subject = await open({ maxConnections: 1 });
      await subject.warehouse.load(FIRST);
      const [update] = payments({ id: 2, lsn: 150 }).rows;
      let seen: string[] = [];
      // A re-read's window reads the current keys while the load stages it (loader/complete-reads.ts).
      const streamed = {
        table: 'fact_payment' as const,
        batches: (async function* () {
          seen = await currentKeys(subject.warehouse, 'fact_payment');
          yield { columns: PAYMENT_COLUMNS, rows: update ? [update] : [] };
        })(),
      };

      await subject.warehouse.load({ ...batch(cut(100), cut(200)), tables: [streamed] });

      expect(seen).toEqual(['1']);
      expect(await currentKeys(subject.warehouse, 'fact_payment')).toEqual(['1', '2']);
    });

    it('names as current keys of a dimension the members it holds, and no more once one is deleted', async () => {
      const subject = await open();
      await subject.warehouse.load(FIRST);
      expect(await currentKeys(subject.warehouse, 'dim_currency')).toEqual(['1', '2']);

      // Currency 2 is referenced by no fact, so its delete removes it (a referenced member stays).
      await subject.warehouse.load(batch(cut(100), cut(200), currencies({ id: 2, op: 'd', lsn: 150 })));
      expect(await currentKeys(subject.warehouse, 'dim_currency')).toEqual(['1']);
      expect(await currentKeys(subject.warehouse, 'dim_design')).toEqual([]);
    });

    it('infers and reports a member a fact references that it lacks, until the real row replaces it', async () => {
      const subject = await open();

      const first = await subject.warehouse.load(FIRST);
      const second = await subject.warehouse.load(
        batch(cut(100), cut(200), paymentTypes({ id: 3, name: 'SALES_RECEIPT', lsn: 150 })),
      );

      const inferred = (report: typeof first) =>
        [...report.inferredMembers].sort((a, b) => a.dimension.localeCompare(b.dimension));
      expect(inferred(first)).toEqual([
        { dimension: 'dim_counterparty', memberId: '6' },
        { dimension: 'dim_payment_type', memberId: '3' },
        { dimension: 'dim_transaction', memberId: '5' },
      ]);
      expect(second.inferredMembers).toEqual([]);
      expect(await subject.rows('dim_payment_type')).toEqual([
        { payment_type_id: '3', payment_type_name: 'SALES_RECEIPT' },
      ]);
      expect((await subject.rows('dim_transaction')).map((row) => row.transaction_id)).toEqual(['5']);
    });

    it('keeps the value it holds for a column a row names as unchanged', async () => {
      const subject = await open();
      await subject.warehouse.load(FIRST);

      await subject.warehouse.load(
        batch(
          cut(100),
          cut(200),
          currencies({ id: 2, code: 'EUX', name: null, op: 'u', lsn: 150, unchanged: 'currency_name' }),
          payments({ id: 1, op: 'u', lsn: 160, amount: null, paid: true, unchanged: 'payment_amount' }),
        ),
      );

      expect((await subject.rows('dim_currency'))[1]).toEqual({
        currency_id: '2',
        currency_code: 'EUX',
        currency_name: 'Euro',
      });
      expect((await subject.rows('current_payment')).map((row) => [row.paid, row.payment_amount])).toEqual([
        ['true', '1234.56'],
      ]);
    });
  });
}
