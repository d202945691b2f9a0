/**
 * @module
 * The smoke run's one change per source table (README "Try it first: npm run aws:smoke") and, for each, where
 * the warehouse shows it: the column of the star table (or `current_*` view) that must hold the changed
 * value. Each change is its own source transaction, so each has its own commit time.
 *
 * The changes touch what each table carries into the star schema: a dimension attribute (a department rename
 * reaches `dim_staff`), a new member (currency, payment type, transaction), a new order version, and a payment
 * amount moved by one cent (decimals exact). Identifiers are fixed here; values are bound parameters.
 */
import type pg from 'pg';
import type { SourceTableName } from '../../core/schema/source-tables.ts';

/** One change made: the row the warehouse must show and the value it must hold. */
export interface ProbeChange {
  readonly table: SourceTableName;
  /** The key of the warehouse row that shows the change. */
  readonly key: number;
  /** The value the warehouse column must hold, as text. */
  readonly value: string;
  /** When the change committed (the client's clock right after COMMIT), UTC ISO-8601. */
  readonly committedAt: string;
}

/** Whether each change is in the warehouse, and the warehouse's cut when looked at. */
export interface ProbeInspection {
  /** Tables whose change the warehouse shows. */
  readonly visible: readonly SourceTableName[];
  /** When the warehouse's current cut was loaded (null before the first load). */
  readonly cutLoadedAt: string | null;
}

interface ChangeDefinition {
  readonly table: SourceTableName;
  /** Makes the change; returns one row `(key, value)`. */
  readonly change: string;
  /** Its parameters, from the run's marker text. */
  readonly parameters: (marker: string) => unknown[];
  /** Reads the shown value by key (`$1`) from the warehouse. */
  readonly shown: string;
}

/** ISO 4217 codes the new currency takes the first free one of (the seed uses GBP, USD, EUR). */
const SPARE_CURRENCIES = ['CHF', 'JPY', 'SEK', 'NOK', 'DKK', 'PLN', 'CZK', 'HUF'];

/** In source foreign-key order: the transaction references the sales order made just before it. */
const CHANGES: readonly ChangeDefinition[] = [
  {
    table: 'address',
    change: `UPDATE address SET phone = $1, last_updated = now()
      WHERE address_id = (SELECT min(address_id) FROM address) RETURNING address_id AS key, phone AS value`,
    parameters: (marker) => [marker],
    shown: 'SELECT phone AS value FROM public.dim_location WHERE location_id = $1',
  },
  {
    table: 'counterparty',
    change: `UPDATE counterparty SET counterparty_legal_name = $1, last_updated = now()
      WHERE counterparty_id = (SELECT min(counterparty_id) FROM counterparty)
      RETURNING counterparty_id AS key, counterparty_legal_name AS value`,
    parameters: (marker) => [marker],
    shown: 'SELECT counterparty_legal_name AS value FROM public.dim_counterparty WHERE counterparty_id = $1',
  },
  {
    table: 'currency',
    change: `INSERT INTO currency (currency_code, created_at, last_updated)
      SELECT code, now(), now() FROM unnest($1::text[]) WITH ORDINALITY AS spare(code, n)
      WHERE code NOT IN (SELECT currency_code FROM currency) ORDER BY n LIMIT 1
      RETURNING currency_id AS key, currency_code AS value`,
    parameters: () => [SPARE_CURRENCIES],
    shown: 'SELECT currency_code AS value FROM public.dim_currency WHERE currency_id = $1',
  },
  {
    table: 'department',
    change: `WITH member AS (SELECT staff_id, department_id FROM staff ORDER BY staff_id LIMIT 1)
      UPDATE department AS d SET department_name = $1, last_updated = now() FROM member
      WHERE d.department_id = member.department_id RETURNING member.staff_id AS key, d.department_name AS value`,
    parameters: (marker) => [marker],
    shown: 'SELECT department_name AS value FROM public.dim_staff WHERE staff_id = $1',
  },
  {
    table: 'design',
    change: `UPDATE design SET design_name = $1, last_updated = now()
      WHERE design_id = (SELECT min(design_id) FROM design) RETURNING design_id AS key, design_name AS value`,
    parameters: (marker) => [marker],
    shown: 'SELECT design_name AS value FROM public.dim_design WHERE design_id = $1',
  },
  {
    table: 'staff',
    change: `UPDATE staff SET email_address = $1 || '@example.com', last_updated = now()
      WHERE staff_id = (SELECT max(staff_id) FROM staff) RETURNING staff_id AS key, email_address AS value`,
    parameters: (marker) => [marker],
    shown: 'SELECT email_address AS value FROM public.dim_staff WHERE staff_id = $1',
  },
  {
    table: 'payment_type',
    change: `INSERT INTO payment_type (payment_type_name, created_at, last_updated)
      SELECT payment_type_name, now(), now() FROM payment_type 
      ORDER BY payment_type_id LIMIT 1 RETURNING payment_type_id AS key, payment_type_name::text AS value`,
    parameters: () => [],
    shown: 'SELECT payment_type_name AS value FROM public.dim_payment_type WHERE payment_type_id = $1',
  },
  {
    table: 'sales_order',
    change: `INSERT INTO sales_order (created_at, last_updated, design_id, staff_id, counterparty_id, units_sold,
        unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id)
      SELECT now(), now(), design_id, staff_id, counterparty_id, units_sold + 1, unit_price, currency_id,
        agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id
      FROM sales_order ORDER BY sales_order_id LIMIT 1
      RETURNING sales_order_id AS key, units_sold::text AS value`,
    parameters: () => [],
    shown: 'SELECT units_sold::text AS value FROM public.current_sales_order WHERE sales_order_id = $1',
  },
  {
    table: 'purchase_order',
    change: `UPDATE purchase_order SET item_quantity = item_quantity + 1, last_updated = now()
      WHERE purchase_order_id = (SELECT min(purchase_order_id) FROM purchase_order)
      RETURNING purchase_order_id AS key, item_quantity::text AS value`,
    parameters: () => [],
    shown:
      'SELECT item_quantity::text AS value FROM public.current_purchase_order WHERE purchase_order_id = $1',
  },
  {
    table: 'transaction',
    change: `INSERT INTO transaction (transaction_type, sales_order_id, purchase_order_id, created_at, last_updated)
      SELECT 'SALE', max(sales_order_id), NULL, now(), now() FROM sales_order
      RETURNING transaction_id AS key, sales_order_id::text AS value`,
    parameters: () => [],
    shown: 'SELECT sales_order_id::text AS value FROM public.dim_transaction WHERE transaction_id = $1',
  },
  {
    table: 'payment',
    change: `UPDATE payment SET payment_amount = payment_amount + 0.01, last_updated = now()
      WHERE payment_id = (SELECT min(payment_id) FROM payment)
      RETURNING payment_id AS key, payment_amount::text AS value`,
    parameters: () => [],
    shown: 'SELECT payment_amount::text AS value FROM public.current_payment WHERE payment_id = $1',
  },
];

/** The source tables the smoke changes, in the order it changes them. */
export const PROBED_TABLES: readonly SourceTableName[] = CHANGES.map((c) => c.table);

/** A change that found no row to change (an empty source); the message names the table. */
export class ProbeChangeError extends Error {
  override readonly name = 'ProbeChangeError';
}

/** Makes one change per source table, each in its own transaction, tagged with `marker`. */
export async function makeProbeChanges(
  source: pg.ClientBase,
  marker: string,
  now: () => Date = () => new Date(),
): Promise<ProbeChange[]> {
  const made: ProbeChange[] = [];
  for (const definition of CHANGES) {
    const parameters = definition.parameters(marker);
    await source.query('BEGIN');
    let row: { key: number; value: string } | undefined;
    try {
      row = (await source.query<{ key: number; value: string }>(definition.change, parameters)).rows[0];
      await source.query('COMMIT');
    } catch (error) {
      await source.query('ROLLBACK');
      throw new ProbeChangeError(`The smoke change of source table ${definition.table} failed.`, {
        cause: error,
      });
    }
    if (!row) {
      throw new ProbeChangeError(
        `Source table ${definition.table} has no row the smoke can change: load the demo source first ` +
          '(the source loader\'s {"action":"seed"}).',
      );
    }
    made.push({ table: definition.table, key: row.key, value: row.value, committedAt: now().toISOString() });
  }
  return made;
}

/** Which of `changes` the warehouse shows, and when its current cut was loaded. */
export async function inspectProbeChanges(
  warehouse: pg.ClientBase,
  changes: readonly ProbeChange[],
): Promise<ProbeInspection> {
  // The loader creates the warehouse schema on its first run: until then nothing is visible.
  const schema = await warehouse.query<{ ready: boolean }>(
    "SELECT to_regclass('pipeline.cut') IS NOT NULL AND to_regclass('public.current_payment') IS NOT NULL AS ready",
  );
  if (!schema.rows[0]?.ready) return { visible: [], cutLoadedAt: null };
  const cut = await warehouse.query<{ loaded_at: Date }>('SELECT loaded_at FROM pipeline.cut');
  const visible: SourceTableName[] = [];
  for (const change of changes) {
    const definition = CHANGES.find((c) => c.table === change.table);
    if (!definition) continue;
    const shown = await warehouse.query<{ value: string | null }>(definition.shown, [change.key]);
    if (shown.rows[0]?.value === change.value) visible.push(change.table);
  }
  return { visible, cutLoadedAt: cut.rows[0]?.loaded_at.toISOString() ?? null };
}
