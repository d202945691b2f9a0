/**
 * @module
 * The warehouse DDL of market data (README, "Market data"): schema `market` with one table per market lake
 * table, generated from `core/schema/market-warehouse-tables.ts`, and the GBP views in `public` that price every
 * current sales order and payment at the GBP rate of its date. Idempotent like the star DDL
 * (warehouse/warehouse-ddl.ts), and applied after it: the views read the facts' current views.
 */

import { SYNTHETIC_SOURCE } from '../core/schema/market-lake-tables.ts';
import {
  GBP_VIEWS,
  MARKET_SCHEMA,
  MARKET_WAREHOUSE_TABLES,
  REPORTING_CURRENCY,
} from '../core/schema/market-warehouse-tables.ts';

/** The market schema and its tables, keyed by the observation key. */
export const MARKET_TABLE_DDL: readonly string[] = [
  `CREATE SCHEMA IF NOT EXISTS ${MARKET_SCHEMA}`,
  ...Object.values(MARKET_WAREHOUSE_TABLES).map((table) => {
    const columns = table.columns.map((c) => `    ${c.name} ${c.type} ${c.nullable ? 'NULL' : 'NOT NULL'}`);
    return `CREATE TABLE IF NOT EXISTS ${MARKET_SCHEMA}.${table.name} (\n${columns.join(',\n')},\n    PRIMARY KEY (${table.primaryKey.join(', ')})\n  )`;
  }),
];

/**
 * The GBP rate in force on `day` for the currency `code` (SQL expressions): the fixing of that day or, on a day
 * without one (weekends, holidays, a day not fetched yet), the latest earlier one. A real publisher wins over
 * the synthetic market when both fixed the same day.
 */
function rateInForce(code: string, day: string): string {
  return `LEFT JOIN LATERAL (
      SELECT r.rate_date, r.rate, r.source FROM ${MARKET_SCHEMA}.fx_rate AS r
      WHERE r.base_currency = '${REPORTING_CURRENCY}' AND r.quote_currency = ${code} AND r.rate_date <= ${day}
      ORDER BY r.rate_date DESC, (r.source = '${SYNTHETIC_SOURCE}'), r.source
      LIMIT 1
    ) AS fx ON ${code} <> '${REPORTING_CURRENCY}'`;
}

/**
 * The amount in GBP, to the penny (half away from zero, PostgreSQL's `round` on numeric): GBP amounts as they
 * are, others divided by the rate in force (units of the currency per GBP); NULL while no rate is known.
 */
function amountInGbp(amount: string, code: string): string {
  return `CASE WHEN ${code} = '${REPORTING_CURRENCY}' THEN ${amount} ELSE round(${amount} / fx.rate, 2) END`;
}

/** The rate columns every GBP view shows beside the amount: the rate, its day and who published it. */
const RATE_COLUMNS = `CASE WHEN c.currency_code = '${REPORTING_CURRENCY}' THEN 1::numeric(18,8) ELSE fx.rate END AS gbp_rate,
    fx.rate_date AS gbp_rate_date,
    fx.source AS gbp_rate_source`;

/**
 * `public.sales_order_gbp`: every current sales order, its amount (units × unit price) in its currency and in
 * GBP at the rate of its created date; `public.payment_gbp`: every current payment at the rate of its payment
 * date.
 */
export const GBP_VIEW_DDL: readonly string[] = [
  `CREATE OR REPLACE VIEW public.${GBP_VIEWS.salesOrder} AS
    SELECT s.sales_order_id, s.created_date, c.currency_code,
    s.units_sold * s.unit_price AS amount,
    ${amountInGbp('s.units_sold * s.unit_price', 'c.currency_code')} AS amount_gbp,
    ${RATE_COLUMNS}
    FROM public.current_sales_order AS s
    JOIN public.dim_currency AS c ON c.currency_id = s.currency_id
    ${rateInForce('c.currency_code', 's.created_date')}`,
  `CREATE OR REPLACE VIEW public.${GBP_VIEWS.payment} AS
    SELECT p.payment_id, p.payment_date, c.currency_code,
    p.payment_amount AS amount,
    ${amountInGbp('p.payment_amount', 'c.currency_code')} AS amount_gbp,
    ${RATE_COLUMNS}
    FROM public.current_payment AS p
    JOIN public.dim_currency AS c ON c.currency_id = p.currency_id
    ${rateInForce('c.currency_code', 'p.payment_date')}`,
];
