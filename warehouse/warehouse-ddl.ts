/**
 * @module
 * The warehouse DDL: the Sales, Purchases and Payments stars (reference §2, architecture §7) in schema
 * `public`, the `pipeline` bookkeeping schema, and the views of each order's current state over both. Every
 * statement is idempotent (`IF NOT EXISTS`, `CREATE OR REPLACE`), so the migration can run on every start.
 */
import type { FACT_TABLE_NAMES } from './warehouse-tables.ts';

/** The star tables: dimensions first, so the facts' foreign keys find their targets. */
export const STAR_DDL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS public.dim_date (
    date_id date NOT NULL PRIMARY KEY,
    year integer NOT NULL,
    month integer NOT NULL,
    day integer NOT NULL,
    day_of_week integer NOT NULL,
    day_name varchar NOT NULL,
    month_name varchar NOT NULL,
    quarter integer NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS public.dim_staff (
    staff_id integer NOT NULL PRIMARY KEY,
    first_name varchar NOT NULL,
    last_name varchar NOT NULL,
    department_name varchar NOT NULL,
    location varchar NULL,
    email_address varchar NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS public.dim_location (
    location_id integer NOT NULL PRIMARY KEY,
    address_line_1 varchar NOT NULL,
    address_line_2 varchar NULL,
    district varchar NULL,
    city varchar NOT NULL,
    postal_code varchar NOT NULL,
    country varchar NOT NULL,
    phone varchar NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS public.dim_currency (
    currency_id integer NOT NULL PRIMARY KEY,
    currency_code varchar NOT NULL,
    currency_name varchar NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS public.dim_design (
    design_id integer NOT NULL PRIMARY KEY,
    design_name varchar NOT NULL,
    file_location varchar NOT NULL,
    file_name varchar NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS public.dim_counterparty (
    counterparty_id integer NOT NULL PRIMARY KEY,
    counterparty_legal_name varchar NOT NULL,
    counterparty_legal_address_line_1 varchar NOT NULL,
    counterparty_legal_address_line_2 varchar NULL,
    counterparty_legal_district varchar NULL,
    counterparty_legal_city varchar NOT NULL,
    counterparty_legal_postal_code varchar NOT NULL,
    counterparty_legal_country varchar NOT NULL,
    counterparty_legal_phone_number varchar NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS public.dim_payment_type (
    payment_type_id integer NOT NULL PRIMARY KEY,
    payment_type_name varchar NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS public.dim_transaction (
    transaction_id integer NOT NULL PRIMARY KEY,
    transaction_type varchar NOT NULL,
    sales_order_id integer NULL,
    purchase_order_id integer NULL
  )`,
  `CREATE TABLE IF NOT EXISTS public.fact_sales_order (
    sales_record_id serial NOT NULL PRIMARY KEY,
    sales_order_id integer NOT NULL,
    created_date date NOT NULL REFERENCES public.dim_date (date_id),
    created_time time NOT NULL,
    last_updated_date date NOT NULL REFERENCES public.dim_date (date_id),
    last_updated_time time NOT NULL,
    sales_staff_id integer NOT NULL REFERENCES public.dim_staff (staff_id),
    counterparty_id integer NOT NULL REFERENCES public.dim_counterparty (counterparty_id),
    units_sold integer NOT NULL,
    unit_price numeric(10,2) NOT NULL,
    currency_id integer NOT NULL REFERENCES public.dim_currency (currency_id),
    design_id integer NOT NULL REFERENCES public.dim_design (design_id),
    agreed_payment_date date NOT NULL REFERENCES public.dim_date (date_id),
    agreed_delivery_date date NOT NULL REFERENCES public.dim_date (date_id),
    agreed_delivery_location_id integer NOT NULL REFERENCES public.dim_location (location_id)
  )`,
  `CREATE TABLE IF NOT EXISTS public.fact_purchase_order (
    purchase_record_id serial NOT NULL PRIMARY KEY,
    purchase_order_id integer NOT NULL,
    created_date date NOT NULL REFERENCES public.dim_date (date_id),
    created_time time NOT NULL,
    last_updated_date date NOT NULL REFERENCES public.dim_date (date_id),
    last_updated_time time NOT NULL,
    staff_id integer NOT NULL REFERENCES public.dim_staff (staff_id),
    counterparty_id integer NOT NULL REFERENCES public.dim_counterparty (counterparty_id),
    item_code varchar NOT NULL,
    item_quantity integer NOT NULL,
    item_unit_price numeric(10,2) NOT NULL,
    currency_id integer NOT NULL REFERENCES public.dim_currency (currency_id),
    agreed_delivery_date date NOT NULL REFERENCES public.dim_date (date_id),
    agreed_payment_date date NOT NULL REFERENCES public.dim_date (date_id),
    agreed_delivery_location_id integer NOT NULL REFERENCES public.dim_location (location_id)
  )`,
  // `last_updated` (not last_updated_time) is the official Payments ERD name (architecture §7).
  `CREATE TABLE IF NOT EXISTS public.fact_payment (
    payment_record_id serial NOT NULL PRIMARY KEY,
    payment_id integer NOT NULL,
    created_date date NOT NULL REFERENCES public.dim_date (date_id),
    created_time time NOT NULL,
    last_updated_date date NOT NULL REFERENCES public.dim_date (date_id),
    last_updated time NOT NULL,
    transaction_id integer NOT NULL REFERENCES public.dim_transaction (transaction_id),
    counterparty_id integer NOT NULL REFERENCES public.dim_counterparty (counterparty_id),
    payment_amount numeric(10,2) NOT NULL,
    currency_id integer NOT NULL REFERENCES public.dim_currency (currency_id),
    payment_type_id integer NOT NULL REFERENCES public.dim_payment_type (payment_type_id),
    paid boolean NOT NULL,
    payment_date date NOT NULL REFERENCES public.dim_date (date_id)
  )`,
  'CREATE INDEX IF NOT EXISTS fact_sales_order_sales_order_id_idx ON public.fact_sales_order (sales_order_id)',
  'CREATE INDEX IF NOT EXISTS fact_purchase_order_purchase_order_id_idx ON public.fact_purchase_order (purchase_order_id)',
  'CREATE INDEX IF NOT EXISTS fact_payment_payment_id_idx ON public.fact_payment (payment_id)',
];

/** The `pipeline` schema: the loader's cut, load history, fact versions, inferred members and lag samples. */
export const PIPELINE_DDL: readonly string[] = [
  'CREATE SCHEMA IF NOT EXISTS pipeline',
  // One row at most: the LSN the warehouse currently reflects (absent until the first load).
  `CREATE TABLE IF NOT EXISTS pipeline.cut (
    id integer NOT NULL PRIMARY KEY CHECK (id = 1),
    lsn numeric(20,0) NOT NULL,
    commit_ts timestamptz NULL,
    loaded_at timestamptz NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS pipeline.load_history (
    load_id bigserial NOT NULL PRIMARY KEY,
    from_lsn numeric(20,0) NULL,
    to_lsn numeric(20,0) NOT NULL,
    to_commit_ts timestamptz NULL,
    started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    rows_per_table jsonb NOT NULL,
    inferred_members jsonb NOT NULL,
    latency_p50_s double precision NULL,
    latency_p95_s double precision NULL,
    latency_max_s double precision NULL
  )`,
  // The primary key makes a second append of the same committed version fail inside the load transaction.
  `CREATE TABLE IF NOT EXISTS pipeline.fact_version (
    fact_table text NOT NULL,
    order_id integer NOT NULL,
    lsn numeric(20,0) NOT NULL,
    seq integer NOT NULL,
    record_id bigint NOT NULL,
    PRIMARY KEY (fact_table, order_id, lsn, seq)
  )`,
  // Every source delete of an order or payment the loader loaded (architecture §6, README "The star
  // schema"): the fact rows stay as history; the current views below leave the order out while this delete is
  // newer than its latest version. The key makes a delete delivered or loaded twice one record.
  `CREATE TABLE IF NOT EXISTS pipeline.fact_deletion (
    fact_table text NOT NULL,
    order_id integer NOT NULL,
    lsn numeric(20,0) NOT NULL,
    seq integer NOT NULL,
    commit_ts timestamptz NOT NULL,
    PRIMARY KEY (fact_table, order_id, lsn, seq)
  )`,
  `CREATE TABLE IF NOT EXISTS pipeline.inferred_member (
    dimension text NOT NULL,
    member_id text NOT NULL,
    inferred_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dimension, member_id)
  )`,
  `CREATE TABLE IF NOT EXISTS pipeline.lag_sample (
    sampled_at timestamptz NOT NULL DEFAULT now(),
    stage text NOT NULL,
    table_name text NULL,
    lag_seconds double precision NOT NULL,
    lag_bytes bigint NULL
  )`,
  'CREATE INDEX IF NOT EXISTS lag_sample_sampled_at_idx ON pipeline.lag_sample (sampled_at)',
];

/** The current-state view of each fact table, and the fact table's surrogate record id. */
export const CURRENT_VIEWS: readonly {
  readonly view: string;
  readonly fact: (typeof FACT_TABLE_NAMES)[number];
  readonly recordId: string;
}[] = [
  { view: 'current_sales_order', fact: 'fact_sales_order', recordId: 'sales_record_id' },
  { view: 'current_purchase_order', fact: 'fact_purchase_order', recordId: 'purchase_record_id' },
  { view: 'current_payment', fact: 'fact_payment', recordId: 'payment_record_id' },
];

/**
 * `public.current_sales_order`, `current_purchase_order`, `current_payment`: the latest loaded version of each
 * order or payment (by commit LSN and position, from `pipeline.fact_version`), with the fact table's columns,
 * left out while a delete newer than that version is recorded. A key inserted again after its delete has a
 * newer version, so it is current again. Reports, `reconcile` and anything counting orders read these.
 */
export const CURRENT_VIEW_DDL: readonly string[] = CURRENT_VIEWS.map(
  ({ view, fact, recordId }) => `CREATE OR REPLACE VIEW public.${view} AS
    SELECT f.* FROM public.${fact} AS f
    JOIN (
      SELECT DISTINCT ON (order_id) order_id, lsn, seq, record_id FROM pipeline.fact_version
      WHERE fact_table = '${fact}'
      ORDER BY order_id DESC, lsn DESC, seq DESC
    ) AS v ON v.record_id = f.${recordId}
    WHERE NOT EXISTS (
      SELECT 1 FROM pipeline.fact_deletion AS d
      WHERE d.fact_table = '${fact}' AND d.order_id = v.order_id AND (d.lsn, d.seq) > (v.lsn, v.seq)
    )`,
);
