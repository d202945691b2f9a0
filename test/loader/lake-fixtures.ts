/**
 * @module
 * Hand-made lake files for loader tests: rows shaped as the transformation emits them (business columns of the
 * lake table plus `_op, _lsn, _seq, _xid, _commit_ts, _unchanged`), written with the real Parquet writer
 * under `<lakeDir>/<bucket>/<table>/dt=YYYY-MM-DD/`.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WatermarkRound } from '../../core/ports/round-log.ts';
import { LAKE_TABLE_NAMES, LAKE_TABLES, type LakeTableName } from '../../core/schema/lake-tables.ts';
import { FsObjectStore } from '../../lake/fs-object-store.ts';
import type { LakeRow, LakeValue } from '../../lake/lake-value.ts';
import { ObjectStoreRoundLog } from '../../lake/object-store-round-log.ts';
import { writeLakeParquet } from '../../lake/parquet-writer.ts';

export const BUCKET = 'totesys-lake';

/** A change to put in the lake: its table, metadata and business values (decimals as text like '2.43'). */
export interface LakeChange {
  readonly table: LakeTableName;
  readonly op: 'c' | 'u' | 'd' | 'r' | 'w';
  readonly lsn: bigint;
  readonly seq?: number;
  /** UTC ISO with milliseconds. */
  readonly commitTs: string;
  readonly row?: Readonly<Record<string, string | number | boolean | null>>;
  readonly unchanged?: readonly string[];
}

/** A change as a typed lake row (decimal text to hundredths, timestamps to epoch ms). */
export function lakeRow(change: LakeChange): LakeRow {
  const table = LAKE_TABLES[change.table];
  const row: LakeRow = {};
  for (const column of table.columns) {
    const value = change.row?.[column.name];
    if (value === undefined) continue;
    row[column.name] = column.type === 'decimal(10,2)' && value !== null ? hundredths(String(value)) : value;
  }
  return {
    ...row,
    _op: change.op,
    _lsn: change.lsn,
    _seq: change.seq ?? 0,
    _xid: change.op === 'w' || change.op === 'r' ? null : 1000n + change.lsn,
    _commit_ts: BigInt(Date.parse(change.commitTs)),
    _unchanged: change.unchanged && change.unchanged.length > 0 ? change.unchanged.join(',') : null,
  };
}

function hundredths(text: string): LakeValue {
  const [whole = '0', fraction = ''] = text.split('.');
  const negative = whole.startsWith('-');
  const cents = BigInt(whole.replace('-', '')) * 100n + BigInt(fraction.padEnd(2, '0').slice(0, 2));
  return negative ? -cents : cents;
}

/** The changes each test lake holds, so a watermark round can name their partitions as the reader would. */
const lakeChanges = new Map<string, { table: LakeTableName; dt: string; lsn: bigint }[]>();

/**
 * Writes changes as lake files, one file per (table, partition), like one Firehose delivery. Returns the
 * written paths.
 *
 * Watermarks in `changes` make a round, as the reader does: for each watermark LSN `L`, the round names every
 * partition of this lake holding a change at or below `L` (and the watermarks' own), each table given in
 * `changes` a watermark gets it in all its named partitions, and the round is recorded in the round log. A
 * table left out of the watermarks keeps its partitions without one, so the round waits for it.
 */
export async function writeLake(lakeDir: string, changes: readonly LakeChange[]): Promise<string[]> {
  const known = lakeChanges.get(lakeDir) ?? [];
  lakeChanges.set(lakeDir, known);
  for (const change of changes)
    if (change.op !== 'w')
      known.push({ table: change.table, dt: change.commitTs.slice(0, 10), lsn: change.lsn });
  const rounds = new Map<bigint, WatermarkRound>();
  const placed: (LakeChange & { dt?: string })[] = [...changes];
  const byLsn = new Map<bigint, LakeChange[]>();
  for (const change of changes)
    if (change.op === 'w') byLsn.set(change.lsn, [...(byLsn.get(change.lsn) ?? []), change]);
  for (const [lsn, marks] of [...byLsn].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const partitions = new Map<LakeTableName, Set<string>>();
    const name = (table: LakeTableName, dt: string) =>
      partitions.set(table, (partitions.get(table) ?? new Set<string>()).add(dt));
    for (const change of known) if (change.lsn <= lsn) name(change.table, change.dt);
    for (const mark of marks) name(mark.table, mark.commitTs.slice(0, 10));
    const marked = new Set(marks.map((mark) => mark.table));
    for (const [table, days] of partitions) {
      if (!marked.has(table)) continue;
      const own = marks.find((mark) => mark.table === table)!;
      for (const dt of days) if (dt !== own.commitTs.slice(0, 10)) placed.push({ ...own, dt });
    }
    rounds.set(lsn, {
      lsn: String(lsn),
      previousLsn: null,
      emittedAt: marks[0]!.commitTs,
      partitions: Object.fromEntries([...partitions].map(([table, days]) => [table, [...days].sort()])),
    });
  }
  const paths = await writeLakeFiles(lakeDir, placed);
  const log = new ObjectStoreRoundLog(new FsObjectStore(lakeDir, BUCKET));
  for (const round of rounds.values()) await log.append(round);
  return paths;
}

/** Writes changes as lake files without any round (a watermark's `dt` names its partition). */
export async function writeLakeFiles(
  lakeDir: string,
  changes: readonly (LakeChange & { readonly dt?: string })[],
): Promise<string[]> {
  const groups = new Map<string, { table: LakeTableName; dt: string; rows: LakeRow[] }>();
  for (const change of changes) {
    const dt = change.dt ?? change.commitTs.slice(0, 10);
    const id = `${change.table}/${dt}`;
    const group = groups.get(id) ?? { table: change.table, dt, rows: [] };
    group.rows.push(lakeRow(change));
    groups.set(id, group);
  }
  const paths: string[] = [];
  for (const { table, dt, rows } of groups.values()) {
    const dir = join(lakeDir, BUCKET, table, `dt=${dt}`);
    await mkdir(dir, { recursive: true });
    const path = join(dir, `totesys-${table}-1-${dt}-${randomUUID()}.parquet`);
    await writeFile(path, writeLakeParquet(LAKE_TABLES[table], rows));
    paths.push(path);
  }
  return paths;
}

/** A watermark at `lsn` in every lake table. */
export function watermarks(lsn: bigint, commitTs: string): LakeChange[] {
  return LAKE_TABLE_NAMES.map((table) => ({ table, op: 'w', lsn, commitTs }));
}

/** Business rows of a small consistent totesys world, keyed by lake table. */
export const ROWS = {
  currency: (id: number, code: string, name: string) => ({
    currency_id: id,
    currency_code: code,
    currency_name: name,
  }),
  location: (id: number, city: string) => ({
    location_id: id,
    address_line_1: `${id} High Street`,
    address_line_2: null,
    district: id % 2 === 0 ? 'Borough' : null,
    city,
    postal_code: `PC${id}`,
    country: 'Country',
    phone: `0100 ${id}`,
  }),
  design: (id: number) => ({
    design_id: id,
    design_name: `design ${id}`,
    file_location: '/usr/share',
    file_name: `design-${id}.json`,
  }),
  paymentType: (id: number, name: string) => ({ payment_type_id: id, payment_type_name: name }),
  department: (id: number, name: string, location: string | null) => ({
    department_id: id,
    department_name: name,
    location,
    manager: 'A Manager',
  }),
  staff: (id: number, departmentId: number) => ({
    staff_id: id,
    first_name: `First${id}`,
    last_name: `Last${id}`,
    department_id: departmentId,
    email_address: `staff${id}@terrifictotes.com`,
  }),
  counterparty: (id: number, addressId: number) => ({
    counterparty_id: id,
    counterparty_legal_name: `Counterparty ${id} Ltd`,
    legal_address_id: addressId,
    commercial_contact: 'Someone',
    delivery_contact: 'Someone Else',
  }),
  transaction: (id: number, salesOrderId: number | null, purchaseOrderId: number | null) => ({
    transaction_id: id,
    transaction_type: salesOrderId !== null ? 'SALE' : 'PURCHASE',
    sales_order_id: salesOrderId,
    purchase_order_id: purchaseOrderId,
  }),
  salesOrder: (id: number, overrides: Record<string, string | number | null> = {}) => ({
    sales_order_id: id,
    created_date: '2022-11-03',
    created_time: '14:20:52.186',
    last_updated_date: '2022-11-03',
    last_updated_time: '14:20:52.186',
    sales_staff_id: 1,
    counterparty_id: 1,
    units_sold: 100 + id,
    unit_price: '2.43',
    currency_id: 1,
    design_id: 1,
    agreed_payment_date: '2022-11-10',
    agreed_delivery_date: '2022-11-09',
    agreed_delivery_location_id: 1,
    ...overrides,
  }),
  purchaseOrder: (id: number, overrides: Record<string, string | number | null> = {}) => ({
    purchase_order_id: id,
    created_date: '2022-11-03',
    created_time: '09:00:00.000',
    last_updated_date: '2022-11-03',
    last_updated_time: '09:00:00.000',
    staff_id: 1,
    counterparty_id: 1,
    item_code: 'ZDOI5EA',
    item_quantity: 371,
    item_unit_price: '361.39',
    currency_id: 1,
    agreed_delivery_date: '2022-11-09',
    agreed_payment_date: '2022-11-07',
    agreed_delivery_location_id: 2,
    ...overrides,
  }),
  payment: (id: number, overrides: Record<string, string | number | boolean | null> = {}) => ({
    payment_id: id,
    created_date: '2022-11-03',
    created_time: '14:20:52.187',
    last_updated_date: '2022-11-03',
    last_updated: '14:20:52.187',
    transaction_id: 1,
    counterparty_id: 1,
    payment_amount: '56925.44',
    currency_id: 1,
    payment_type_id: 1,
    paid: false,
    payment_date: '2022-11-07',
    ...overrides,
  }),
};

/** Commit time of the small world's snapshot. */
export const T0 = '2022-11-03T14:20:52.186Z';

/** The initial snapshot of a small world at LSN 100. */
export const SMALL_WORLD: readonly LakeChange[] = [
  { table: 'dim_currency', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.currency(1, 'GBP', 'Pound Sterling') },
  {
    table: 'dim_currency',
    op: 'r',
    lsn: 100n,
    seq: 1,
    commitTs: T0,
    row: ROWS.currency(2, 'USD', 'US Dollar'),
  },
  { table: 'dim_location', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.location(1, 'Leeds') },
  { table: 'dim_location', op: 'r', lsn: 100n, seq: 1, commitTs: T0, row: ROWS.location(2, 'York') },
  { table: 'dim_design', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.design(1) },
  { table: 'dim_payment_type', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.paymentType(1, 'SALES_RECEIPT') },
  { table: 'department', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.department(1, 'Sales', null) },
  { table: 'dim_staff', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.staff(1, 1) },
  { table: 'dim_staff', op: 'r', lsn: 100n, seq: 1, commitTs: T0, row: ROWS.staff(2, 1) },
  { table: 'dim_counterparty', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.counterparty(1, 1) },
  { table: 'dim_transaction', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.transaction(1, 1, null) },
  { table: 'fact_sales_order', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.salesOrder(1) },
  { table: 'fact_purchase_order', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.purchaseOrder(1) },
  { table: 'fact_payment', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.payment(1) },
];
