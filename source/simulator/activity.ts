/**
 * @module
 * The business changes the simulator applies, each as parameterised SQL on a client that is already inside a
 * transaction. A new order writes its sales/purchase order, transaction and payment with one statement, so the
 * three rows always commit together with the same created_at, as the live application does.
 */
import type { Faker } from '@faker-js/faker';
import type pg from 'pg';
import { DESIGN_MATERIALS } from '../seed/order-generator.ts';
import { compactDateText, DAY_MS, dateText, timestampText } from '../seed/seed-calendar.ts';
import type { SeededRandom } from '../seed/seeded-random.ts';

/** The kinds of change, with their share of all changes (weights sum to 100). */
export const ACTIVITY_WEIGHTS = {
  sales_order: 35,
  purchase_order: 15,
  payment_paid: 30,
  order_amended: 8,
  design_added: 4,
  address_edited: 2,
  staff_edited: 2,
  counterparty_edited: 2,
  department_renamed: 1,
  design_deleted: 1,
} as const;

/** One kind of simulated change. */
export type ActivityKind = keyof typeof ACTIVITY_WEIGHTS;

/** Ids the simulator picks from, read once at start and kept up to date by its own changes. */
export interface SourceIds {
  staff: number[];
  counterparty: number[];
  address: number[];
  department: number[];
  design: number[];
  currency: number[];
  maxSalesOrder: number;
  maxPurchaseOrder: number;
  /** Unpaid payments, oldest first, fetched a page at a time. */
  unpaid: number[];
  /** The largest payment id already scanned for unpaid payments. */
  unpaidCursor: number;
}

/** What a change needs: the client (inside a transaction), randomness and the id cache. */
export interface ActivityContext {
  readonly client: pg.ClientBase;
  readonly random: SeededRandom;
  readonly faker: Faker;
  readonly ids: SourceIds;
}

/** Reads the ids the simulator needs from the source. */
export async function loadSourceIds(client: pg.ClientBase): Promise<SourceIds> {
  const ids = async (sql: string) => (await client.query<{ id: number }>(sql)).rows.map((row) => row.id);
  const max = async (sql: string) => (await client.query<{ id: number | null }>(sql)).rows[0]?.id ?? 0;
  return {
    staff: await ids('SELECT staff_id AS id FROM staff ORDER BY 1'),
    counterparty: await ids('SELECT counterparty_id AS id FROM counterparty ORDER BY 1'),
    address: await ids('SELECT address_id AS id FROM address ORDER BY 1'),
    department: await ids('SELECT department_id AS id FROM department ORDER BY 1'),
    design: await ids('SELECT design_id AS id FROM design ORDER BY 1'),
    currency: await ids('SELECT currency_id AS id FROM currency ORDER BY 1'),
    maxSalesOrder: await max('SELECT max(sales_order_id) AS id FROM sales_order'),
    maxPurchaseOrder: await max('SELECT max(purchase_order_id) AS id FROM purchase_order'),
    unpaid: [],
    unpaidCursor: 0,
  };
}

/** Applies one change of `kind`; false when there was nothing to change (e.g. no deletable design). */
export async function applyActivity(kind: ActivityKind, context: ActivityContext): Promise<boolean> {
  switch (kind) {
    case 'sales_order':
    case 'purchase_order':
      return newOrder(kind, context);
    case 'payment_paid':
      return payPayment(context);
    case 'order_amended':
      return amendOrder(context);
    case 'design_added':
      return addDesign(context);
    case 'address_edited':
      return editAddress(context);
    case 'staff_edited':
      return editStaff(context);
    case 'counterparty_edited':
      return editCounterparty(context);
    case 'department_renamed':
      return renameDepartment(context);
    case 'design_deleted':
      return deleteDesign(context);
  }
}

/** The source clock: naive UTC timestamps with milliseconds. */
function now(): string {
  return timestampText(Date.now());
}

async function newOrder(kind: 'sales_order' | 'purchase_order', { client, random, ids }: ActivityContext) {
  const { staff, counterparty, address, currency, design } = ids;
  if (staff.length === 0 || counterparty.length === 0 || address.length === 0 || currency.length === 0) {
    return false;
  }
  if (kind === 'sales_order' && design.length === 0) return false;
  const at = now();
  const today = Math.floor(Date.now() / DAY_MS);
  const isSale = kind === 'sales_order';
  const quantity = isSale ? random.int(1000, 100_000) : random.int(1, 999);
  const price = (isSale ? random.int(200, 400) : random.int(333, 99_866)) / 100;
  const common = [
    at,
    random.pick(staff),
    random.pick(counterparty),
    quantity,
    price.toFixed(2),
    random.pick(currency),
    dateText(today + random.int(1, 7)),
    dateText(today + random.int(0, 6)),
    random.pick(address),
  ];
  const accounts = [random.int(10_000_000, 99_999_999), random.int(10_000_000, 99_999_999)];
  const orderInsert = isSale
    ? `INSERT INTO sales_order (created_at, last_updated, staff_id, counterparty_id, units_sold, unit_price,
         currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id, design_id)
       VALUES ($1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $12)
       RETURNING sales_order_id AS id, counterparty_id, currency_id, agreed_payment_date,
                 round(units_sold * unit_price, 2) AS amount`
    : `INSERT INTO purchase_order (created_at, last_updated, staff_id, counterparty_id, item_quantity,
         item_unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id,
         item_code)
       VALUES ($1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $12)
       RETURNING purchase_order_id AS id, counterparty_id, currency_id, agreed_payment_date,
                 round(item_quantity * item_unit_price, 2) AS amount`;
  const extra = isSale ? random.pick(design) : random.chars(7, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789');
  const result = await client.query<{ id: number }>(
    `WITH o AS (${orderInsert}),
          t AS (INSERT INTO transaction (transaction_type, ${isSale ? 'sales_order_id' : 'purchase_order_id'},
                                         created_at, last_updated)
                SELECT ${isSale ? "'SALE'" : "'PURCHASE'"}::"TransactionType", o.id, $1::timestamp, $1::timestamp
                  FROM o RETURNING transaction_id)
     INSERT INTO payment (created_at, last_updated, transaction_id, counterparty_id, payment_amount, currency_id,
                          payment_type_id, paid, payment_date, company_ac_number, counterparty_ac_number)
     SELECT $1::timestamp, $1::timestamp, t.transaction_id, o.counterparty_id, o.amount, o.currency_id,
            ${isSale ? 1 : 3}, false, o.agreed_payment_date, $10::integer, $11::integer
       FROM o, t RETURNING (SELECT id FROM o) AS id`,
    [...common, ...accounts, extra],
  );
  const id = result.rows[0]?.id ?? 0;
  if (isSale) ids.maxSalesOrder = Math.max(ids.maxSalesOrder, id);
  else ids.maxPurchaseOrder = Math.max(ids.maxPurchaseOrder, id);
  return true;
}

async function payPayment({ client, ids }: ActivityContext) {
  if (ids.unpaid.length === 0) {
    // A page at a time along the primary key: no scan of the whole payment table per change.
    const page = await client.query<{ id: number }>(
      'SELECT payment_id AS id FROM payment WHERE payment_id > $1 AND NOT paid ORDER BY payment_id LIMIT 200',
      [ids.unpaidCursor],
    );
    ids.unpaid = page.rows.map((row) => row.id);
    ids.unpaidCursor = ids.unpaid.at(-1) ?? 0;
  }
  const id = ids.unpaid.shift();
  if (id === undefined) return false;
  const result = await client.query(
    'UPDATE payment SET paid = true, last_updated = $1 WHERE payment_id = $2 AND NOT paid',
    [now(), id],
  );
  return (result.rowCount ?? 0) > 0;
}

async function amendOrder({ client, random, ids }: ActivityContext) {
  const sale = ids.maxPurchaseOrder === 0 || (ids.maxSalesOrder > 0 && random.chance(0.7));
  const max = sale ? ids.maxSalesOrder : ids.maxPurchaseOrder;
  if (max === 0) return false;
  const id = random.int(1, max);
  const quantity = sale ? random.int(1000, 100_000) : random.int(1, 999);
  const at = now();
  // The payment follows the amended quantity, keeping amount = quantity x price.
  const result = await client.query(
    sale
      ? `WITH o AS (UPDATE sales_order SET units_sold = $1, last_updated = $2 WHERE sales_order_id = $3
                    RETURNING sales_order_id, round(units_sold * unit_price, 2) AS amount)
         UPDATE payment p SET payment_amount = o.amount, last_updated = $2
           FROM o JOIN transaction t ON t.sales_order_id = o.sales_order_id
          WHERE p.transaction_id = t.transaction_id`
      : `WITH o AS (UPDATE purchase_order SET item_quantity = $1, last_updated = $2 WHERE purchase_order_id = $3
                    RETURNING purchase_order_id, round(item_quantity * item_unit_price, 2) AS amount)
         UPDATE payment p SET payment_amount = o.amount, last_updated = $2
           FROM o JOIN transaction t ON t.purchase_order_id = o.purchase_order_id
          WHERE p.transaction_id = t.transaction_id`,
    [quantity, at, id],
  );
  return (result.rowCount ?? 0) > 0;
}

async function addDesign({ client, random, ids }: ActivityContext) {
  const material = random.pick(DESIGN_MATERIALS);
  const fileDay = Math.floor(Date.now() / DAY_MS) - random.int(1, 365);
  const fileName = `${material.toLowerCase()}-${compactDateText(fileDay)}-${random.chars(4, 'abcdefghijklmnopqrstuvwxyz0123456789')}.json`;
  const location = random.pick([
    '/usr',
    '/private',
    '/usr/share',
    '/Users',
    '/opt/include',
    '/var/log',
    '/srv',
  ]);
  const result = await client.query<{ id: number }>(
    `INSERT INTO design (created_at, last_updated, design_name, file_location, file_name)
     VALUES ($1, $1, $2, $3, $4) RETURNING design_id AS id`,
    [now(), material, location, fileName],
  );
  const id = result.rows[0]?.id;
  if (id !== undefined) ids.design.push(id);
  return id !== undefined;
}

async function editAddress({ client, random, faker, ids }: ActivityContext) {
  if (ids.address.length === 0) return false;
  const id = random.pick(ids.address);
  const phone = `${random.chars(4, '0123456789')} ${random.chars(6, '0123456789')}`;
  const result = random.chance(0.5)
    ? await client.query('UPDATE address SET phone = $1, last_updated = $2 WHERE address_id = $3', [
        phone,
        now(),
        id,
      ])
    : await client.query('UPDATE address SET address_line_1 = $1, last_updated = $2 WHERE address_id = $3', [
        faker.location.streetAddress(),
        now(),
        id,
      ]);
  return (result.rowCount ?? 0) > 0;
}

async function editStaff({ client, random, ids }: ActivityContext) {
  const departments = ids.department.filter((id) => id !== 1);
  if (ids.staff.length === 0 || departments.length === 0) return false;
  const result = await client.query(
    'UPDATE staff SET department_id = $1, last_updated = $2 WHERE staff_id = $3',
    [random.pick(departments), now(), random.pick(ids.staff)],
  );
  return (result.rowCount ?? 0) > 0;
}

async function editCounterparty({ client, random, faker, ids }: ActivityContext) {
  if (ids.counterparty.length === 0) return false;
  const id = random.pick(ids.counterparty);
  const result = random.chance(0.5)
    ? await client.query(
        'UPDATE counterparty SET delivery_contact = $1, last_updated = $2 WHERE counterparty_id = $3',
        [faker.person.fullName(), now(), id],
      )
    : await client.query(
        'UPDATE counterparty SET commercial_contact = $1, last_updated = $2 WHERE counterparty_id = $3',
        [faker.person.fullName(), now(), id],
      );
  return (result.rowCount ?? 0) > 0;
}

async function renameDepartment({ client, random, ids }: ActivityContext) {
  if (ids.department.length === 0) return false;
  // Toggling a suffix keeps names recognisable however long the simulator runs.
  const result = await client.query(
    `UPDATE department SET last_updated = $1,
            department_name = CASE WHEN department_name LIKE '% Team' THEN left(department_name, -5)
                                   ELSE department_name || ' Team' END
      WHERE department_id = $2`,
    [now(), random.pick(ids.department)],
  );
  return (result.rowCount ?? 0) > 0;
}

async function deleteDesign({ client, ids }: ActivityContext) {
  // Only a design no order uses: the newest unused one, so older designs stay for new orders. Another writer
  // may reference it before we commit (the FK then refuses the delete): the savepoint keeps the rest of the
  // batch, and the change counts as skipped.
  await client.query('SAVEPOINT design_delete');
  try {
    const result = await client.query<{ id: number }>(
      `DELETE FROM design WHERE design_id = (
         SELECT d.design_id FROM design d
          WHERE NOT EXISTS (SELECT 1 FROM sales_order s WHERE s.design_id = d.design_id)
          ORDER BY d.design_id DESC LIMIT 1)
       RETURNING design_id AS id`,
    );
    await client.query('RELEASE SAVEPOINT design_delete');
    const id = result.rows[0]?.id;
    if (id === undefined) return false;
    ids.design = ids.design.filter((design) => design !== id);
    return true;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== '23001' && code !== '23503') throw error;
    await client.query('ROLLBACK TO SAVEPOINT design_delete');
    return false;
  }
}
