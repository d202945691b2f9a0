/**
 * @module
 * The star rows the source implies, computed in SQL from the source tables of one schema (reconcile's
 * `pg_temp` copies): joins for dim_staff and dim_counterparty, date/time splits of timestamps, ISO currency
 * names from the transformation's own table, one row per order. Every value is text, as PostgreSQL prints it,
 * so both sides of the comparison format alike. A value the pipeline cannot convert (a text date that is not a
 * `YYYY-MM-DD` calendar day, a currency code ISO 4217 lacks) is reported for its table, key and column instead
 * of failing the whole query.
 */
import type pg from 'pg';
import {
  businessKey,
  WAREHOUSE_TABLES,
  type WarehouseTableName,
} from '../../core/schema/warehouse-tables.ts';
import { isCalendarDate } from '../../lake/lake-value.ts';
import { currencyName } from '../../transform/currency-names.ts';
import { type StarRows, textRows } from './star-rows.ts';

/** A star table reconcile computes from the source (dim_date is generated, not sourced). */
export type SourcedTable = Exclude<WarehouseTableName, 'dim_date'>;

/** A source value the pipeline cannot convert: it sends such a version to the error location instead. */
export interface UnconvertibleValue {
  readonly table: SourcedTable;
  readonly key: string;
  readonly columns: readonly string[];
}

/** Star rows computed from the source, and the keys left out because a value cannot be converted. */
export interface SourceStar {
  readonly rows: StarRows;
  readonly unconvertible: readonly UnconvertibleValue[];
}

/**
 * The star query of each table over the source tables in `schema`. Text dates stay text here: they are
 * checked in {@link sourceStar} (a cast would abort the query on the first bad one).
 */
function starSql(schema: string): Readonly<Record<SourcedTable, string>> {
  return {
    dim_currency: `SELECT currency_id, currency_code, NULL::text AS currency_name FROM ${schema}.currency`,
    dim_location: `SELECT address_id AS location_id, address_line_1, address_line_2, district, city,
        postal_code, country, phone FROM ${schema}.address`,
    dim_design: `SELECT design_id, design_name, file_location, file_name FROM ${schema}.design`,
    dim_payment_type: `SELECT payment_type_id, payment_type_name::text AS payment_type_name
        FROM ${schema}.payment_type`,
    dim_staff: `SELECT s.staff_id, s.first_name, s.last_name, d.department_name, d.location, s.email_address
        FROM ${schema}.staff AS s LEFT JOIN ${schema}.department AS d ON d.department_id = s.department_id`,
    dim_counterparty: `SELECT c.counterparty_id, c.counterparty_legal_name,
        a.address_line_1 AS counterparty_legal_address_line_1,
        a.address_line_2 AS counterparty_legal_address_line_2, a.district AS counterparty_legal_district,
        a.city AS counterparty_legal_city, a.postal_code AS counterparty_legal_postal_code,
        a.country AS counterparty_legal_country, a.phone AS counterparty_legal_phone_number
        FROM ${schema}.counterparty AS c LEFT JOIN ${schema}.address AS a ON a.address_id = c.legal_address_id`,
    dim_transaction: `SELECT transaction_id, transaction_type::text AS transaction_type, sales_order_id,
        purchase_order_id FROM ${schema}.transaction`,
    fact_sales_order: `SELECT sales_order_id, created_at::date AS created_date, created_at::time AS created_time,
        last_updated::date AS last_updated_date, last_updated::time AS last_updated_time,
        staff_id AS sales_staff_id, counterparty_id, units_sold, unit_price, currency_id, design_id,
        agreed_payment_date, agreed_delivery_date, agreed_delivery_location_id FROM ${schema}.sales_order`,
    fact_purchase_order: `SELECT purchase_order_id, created_at::date AS created_date,
        created_at::time AS created_time, last_updated::date AS last_updated_date,
        last_updated::time AS last_updated_time, staff_id, counterparty_id, item_code, item_quantity,
        item_unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id
        FROM ${schema}.purchase_order`,
    fact_payment: `SELECT payment_id, created_at::date AS created_date, created_at::time AS created_time,
        last_updated::date AS last_updated_date, last_updated::time AS last_updated, transaction_id,
        counterparty_id, payment_amount, currency_id, payment_type_id, paid, payment_date
        FROM ${schema}.payment`,
  };
}

/**
 * The star rows of `table` from the source tables in `schema`, with `columns` (the warehouse table's compared
 * columns) as text. Rows holding an unconvertible value are left out and reported.
 */
export async function sourceStar(
  client: pg.ClientBase,
  schema: string,
  table: SourcedTable,
  columns: readonly string[],
): Promise<SourceStar> {
  const key = businessKey(table);
  const rows = await textRows(client, starSql(schema)[table], columns, key);
  const dateColumns = WAREHOUSE_TABLES[table].columns.filter((c) => c.type === 'date').map((c) => c.name);
  const unconvertible: UnconvertibleValue[] = [];
  for (const [id, row] of rows) {
    if (table === 'dim_currency') row['currency_name'] = currencyName(row['currency_code'] ?? '') ?? null;
    const bad = dateColumns.filter((c) => row[c] != null && !isCalendarDate(row[c]));
    if (table === 'dim_currency' && row['currency_name'] === null) bad.push('currency_name');
    if (bad.length === 0) continue;
    unconvertible.push({ table, key: id, columns: bad });
    rows.delete(id);
  }
  return { rows, unconvertible };
}
