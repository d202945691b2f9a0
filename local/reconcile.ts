/**
 * @module
 * `reconcile`: the star schema computed directly from the source (joins for dim_staff and dim_counterparty,
 * date/time splits, ISO currency names from the transformation's own table, the current row of every order),
 * compared with the warehouse table by table, column by column. Facts are compared on each order's latest
 * version, plus a history check: an order's fact rows are exactly the versions `pipeline.fact_version` records.
 */
import pg from 'pg';
import {
  businessKey,
  DIMENSION_TABLE_NAMES,
  FACT_TABLE_NAMES,
  isFactTable,
  loadedColumns,
  WAREHOUSE_FOREIGN_KEYS,
  WAREHOUSE_TABLES,
  type WarehouseTableName,
} from '../core/schema/warehouse-tables.ts';
import { DIM_DATE_COLUMNS, dimDateRow } from '../loader/dim-date.ts';
import { currencyName } from '../transform/currency-names.ts';

/** One difference between source and warehouse. */
export interface Difference {
  readonly table: WarehouseTableName;
  readonly key: string;
  readonly kind: 'missing-in-warehouse' | 'extra-in-warehouse' | 'column-differs' | 'history';
  /** The differing columns (names only: values are never printed). */
  readonly columns?: readonly string[];
}

/** The comparison of one table. */
export interface TableReconciliation {
  readonly sourceRows: number;
  readonly warehouseRows: number;
  readonly differences: number;
}

/** What `reconcile --json` prints. */
export interface ReconcileReport {
  readonly cutLsn: string | null;
  readonly tables: Readonly<Record<WarehouseTableName, TableReconciliation>>;
  readonly differences: readonly Difference[];
}

type Rows = Map<string, Record<string, string | null>>;

/** The star rows the source implies, per table, as text (the same casts on both sides). */
const SOURCE_STAR: Readonly<Record<Exclude<WarehouseTableName, 'dim_date' | 'dim_currency'>, string>> = {
  dim_location: `SELECT address_id AS location_id, address_line_1, address_line_2, district, city, postal_code,
      country, phone FROM address`,
  dim_design: 'SELECT design_id, design_name, file_location, file_name FROM design',
  dim_payment_type: 'SELECT payment_type_id, payment_type_name::text AS payment_type_name FROM payment_type',
  dim_staff: `SELECT s.staff_id, s.first_name, s.last_name, d.department_name, d.location, s.email_address
      FROM staff AS s JOIN department AS d ON d.department_id = s.department_id`,
  dim_counterparty: `SELECT c.counterparty_id, c.counterparty_legal_name,
      a.address_line_1 AS counterparty_legal_address_line_1, a.address_line_2 AS counterparty_legal_address_line_2,
      a.district AS counterparty_legal_district, a.city AS counterparty_legal_city,
      a.postal_code AS counterparty_legal_postal_code, a.country AS counterparty_legal_country,
      a.phone AS counterparty_legal_phone_number
      FROM counterparty AS c JOIN address AS a ON a.address_id = c.legal_address_id`,
  dim_transaction: `SELECT transaction_id, transaction_type::text AS transaction_type, sales_order_id, purchase_order_id
      FROM transaction`,
  fact_sales_order: `SELECT sales_order_id, created_at::date AS created_date, created_at::time AS created_time,
      last_updated::date AS last_updated_date, last_updated::time AS last_updated_time, staff_id AS sales_staff_id,
      counterparty_id, units_sold, unit_price, currency_id, design_id, agreed_payment_date::date AS agreed_payment_date,
      agreed_delivery_date::date AS agreed_delivery_date, agreed_delivery_location_id FROM sales_order`,
  fact_purchase_order: `SELECT purchase_order_id, created_at::date AS created_date, created_at::time AS created_time,
      last_updated::date AS last_updated_date, last_updated::time AS last_updated_time, staff_id, counterparty_id,
      item_code, item_quantity, item_unit_price, currency_id, agreed_delivery_date::date AS agreed_delivery_date,
      agreed_payment_date::date AS agreed_payment_date, agreed_delivery_location_id FROM purchase_order`,
  fact_payment: `SELECT payment_id, created_at::date AS created_date, created_at::time AS created_time,
      last_updated::date AS last_updated_date, last_updated::time AS last_updated, transaction_id, counterparty_id,
      payment_amount, currency_id, payment_type_id, paid, payment_date::date AS payment_date FROM payment`,
};

/** Every column of a query as text, keyed by `key`. */
async function textRows(client: pg.ClientBase, sql: string, key: string): Promise<Rows> {
  const result = await client.query({ text: `SELECT * FROM (${sql}) AS q`, rowMode: 'array' });
  const names = result.fields.map((f) => f.name);
  const keyAt = names.indexOf(key);
  const rows: Rows = new Map();
  for (const raw of result.rows as unknown[][]) {
    const row: Record<string, string | null> = {};
    names.forEach((name, i) => {
      row[name] = textOf(raw[i]);
    });
    rows.set(String(raw[keyAt]), row);
  }
  return rows;
}

/** pg parses ints and booleans; dates, times and numerics come as text (casts below make them text). */
function textOf(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return String(value);
}

/** Wraps a star query so every column is text with the same formatting on both sides. */
function asText(sql: string, columns: readonly string[]): string {
  return `SELECT ${columns.map((c) => `${c}::text AS ${c}`).join(', ')} FROM (${sql}) AS t`;
}

/** Compares the warehouse with the source's current state. */
export async function reconcile(sourceUrl: string, warehouseUrl: string): Promise<ReconcileReport> {
  const source = new pg.Client({ connectionString: sourceUrl });
  const warehouse = new pg.Client({ connectionString: warehouseUrl });
  await source.connect();
  await warehouse.connect();
  try {
    // One snapshot per side, so each side is read at a single point.
    await source.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await warehouse.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const cut = await warehouse.query<{ lsn: string }>(
      'SELECT lsn::text AS lsn FROM pipeline.cut WHERE id = 1',
    );
    const differences: Difference[] = [];
    const tables = {} as Record<WarehouseTableName, TableReconciliation>;
    const referenced = await referencedKeys(warehouse);

    for (const table of [...DIMENSION_TABLE_NAMES, ...FACT_TABLE_NAMES]) {
      if (table === 'dim_date') continue;
      const key = businessKey(table);
      const isFact = isFactTable(table);
      const columns = loadedColumns(table).map((c) => c.name);
      const expected =
        table === 'dim_currency'
          ? await currencyRows(source)
          : await textRows(source, asText(SOURCE_STAR[table], columns), key);
      const actualSql = isFact
        ? `SELECT DISTINCT ON (${key}) ${columns.join(', ')} FROM public.${table}
           ORDER BY ${key}, ${WAREHOUSE_TABLES[table].primaryKey} DESC`
        : `SELECT ${columns.join(', ')} FROM public.${table}`;
      const actual = await textRows(warehouse, asText(actualSql, columns), key);
      const before = differences.length;
      for (const [id, row] of expected) {
        const other = actual.get(id);
        if (!other) {
          differences.push({ table, key: id, kind: 'missing-in-warehouse' });
          continue;
        }
        const differing = columns.filter((c) => row[c] !== other[c]);
        if (differing.length > 0)
          differences.push({ table, key: id, kind: 'column-differs', columns: differing });
      }
      if (!isFact) {
        // A row deleted at the source stays while facts still reference it (their history needs it).
        for (const id of actual.keys()) {
          if (!expected.has(id) && !referenced.get(table)?.has(id)) {
            differences.push({ table, key: id, kind: 'extra-in-warehouse' });
          }
        }
      } else {
        differences.push(
          ...(await historyDifferences(warehouse, table as (typeof FACT_TABLE_NAMES)[number])),
        );
      }
      tables[table] = {
        sourceRows: expected.size,
        warehouseRows: actual.size,
        differences: differences.length - before,
      };
    }
    const before = differences.length;
    differences.push(...(await dateDifferences(warehouse)));
    const dates = await warehouse.query<{ n: string }>('SELECT count(*) AS n FROM public.dim_date');
    tables.dim_date = {
      sourceRows: Number(dates.rows[0]?.n ?? 0),
      warehouseRows: Number(dates.rows[0]?.n ?? 0),
      differences: differences.length - before,
    };
    return { cutLsn: cut.rows[0]?.lsn ?? null, tables, differences };
  } finally {
    await source.query('ROLLBACK').catch(() => undefined);
    await warehouse.query('ROLLBACK').catch(() => undefined);
    await source.end();
    await warehouse.end();
  }
}

/** dim_currency from the source, named as the transformation names currencies. */
async function currencyRows(source: pg.ClientBase): Promise<Rows> {
  const result = await source.query<{ currency_id: number; currency_code: string }>(
    'SELECT currency_id, currency_code FROM currency',
  );
  return new Map(
    result.rows.map((r) => [
      String(r.currency_id),
      {
        currency_id: String(r.currency_id),
        currency_code: r.currency_code,
        currency_name: currencyName(r.currency_code) ?? null,
      },
    ]),
  );
}

/** Dimension keys some fact row references, per dimension. */
async function referencedKeys(warehouse: pg.ClientBase): Promise<Map<WarehouseTableName, Set<string>>> {
  const keys = new Map<WarehouseTableName, Set<string>>();
  for (const fk of WAREHOUSE_FOREIGN_KEYS) {
    if (!isFactTable(fk.table) || fk.target === 'dim_date') continue;
    const values = await warehouse.query<{ v: string }>(
      `SELECT DISTINCT ${fk.column}::text AS v FROM public.${fk.table}`,
    );
    const set = keys.get(fk.target) ?? new Set<string>();
    for (const row of values.rows) set.add(row.v);
    keys.set(fk.target, set);
  }
  return keys;
}

/** Each order's fact rows are exactly the versions recorded in pipeline.fact_version, no more, no fewer. */
async function historyDifferences(
  warehouse: pg.ClientBase,
  table: (typeof FACT_TABLE_NAMES)[number],
): Promise<Difference[]> {
  const key = businessKey(table);
  const result = await warehouse.query<{ order_id: string }>(
    `SELECT coalesce(f.order_id, v.order_id)::text AS order_id
     FROM (SELECT ${key} AS order_id, count(*) AS n FROM public.${table} GROUP BY 1) AS f
     FULL JOIN (SELECT order_id, count(*) AS n FROM pipeline.fact_version WHERE fact_table = $1 GROUP BY 1) AS v
       ON v.order_id = f.order_id
     WHERE f.n IS DISTINCT FROM v.n`,
    [table],
  );
  return result.rows.map((r) => ({ table, key: r.order_id, kind: 'history' as const }));
}

/** dim_date rows are what the generator gives, and cover every date a fact references. */
async function dateDifferences(warehouse: pg.ClientBase): Promise<Difference[]> {
  const differences: Difference[] = [];
  const rows = await textRows(
    warehouse,
    asText('SELECT * FROM public.dim_date', DIM_DATE_COLUMNS),
    'date_id',
  );
  for (const [date, row] of rows) {
    const expected = dimDateRow(date);
    const differing = DIM_DATE_COLUMNS.filter((c, i) => row[c] !== expected[i]);
    if (differing.length > 0)
      differences.push({ table: 'dim_date', key: date, kind: 'column-differs', columns: differing });
  }
  const dateColumns = await warehouse.query<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns
     WHERE table_schema = 'public' AND table_name = ANY($1) AND data_type = 'date'`,
    [FACT_TABLE_NAMES],
  );
  for (const { table_name, column_name } of dateColumns.rows) {
    const missing = await warehouse.query<{ d: string }>(
      `SELECT DISTINCT ${column_name}::text AS d FROM public.${table_name}
       WHERE ${column_name} NOT IN (SELECT date_id FROM public.dim_date)`,
    );
    for (const row of missing.rows)
      differences.push({ table: 'dim_date', key: row.d, kind: 'missing-in-warehouse' });
  }
  return differences;
}
