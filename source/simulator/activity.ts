/**
 * @module
 * The business changes the simulator applies, each as parameterised SQL on a client that is already inside a
 * transaction. A new order writes its sales/purchase order, transaction and payment with one statement
 * (bulk-changes.ts), so the three rows always commit together with the same created_at, as the live
 * application does. Every statement is prepared once per connection (simulator-statement.ts).
 */
import type { Faker } from '@faker-js/faker';
import type pg from 'pg';
import { DESIGN_MATERIALS } from '../seed/order-generator.ts';
import { compactDateText, DAY_MS, timestampText } from '../seed/seed-calendar.ts';
import type { SeededRandom } from '../seed/seeded-random.ts';
import { insertOrders, payPayments } from './bulk-changes.ts';
import { runStatement, simulatorStatement } from './simulator-statement.ts';

/** The kinds of change, with their share of all changes (weights sum to 100). */
export const ACTIVITY_WEIGHTS = {
  sales_order: 35,
  purchase_order: 15,
  payment_paid: 30,
  order_amended: 7,
  order_cancelled: 1,
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
  /** Every payment at or below this id was paid (or locked by another writer) when this simulator last looked. */
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
    unpaidCursor: 0,
  };
}

/** Applies one change of `kind`; false when there was nothing to change (e.g. no deletable design). */
export async function applyActivity(kind: ActivityKind, context: ActivityContext): Promise<boolean> {
  switch (kind) {
    case 'sales_order':
    case 'purchase_order':
      // One order is a bulk of one: the same statement writes order, transaction and payment together.
      return (await insertOrders(kind, 1, context)) === 1;
    case 'payment_paid':
      return (await payPayments(1, context)) === 1;
    case 'order_amended':
      return amendOrder(context);
    case 'order_cancelled':
      return cancelOrder(context);
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

// The payment follows the amended quantity, keeping amount = quantity x price.
const AMEND_SALE = simulatorStatement(
  'amend-sale',
  `WITH o AS (UPDATE sales_order SET units_sold = $1, last_updated = $2 WHERE sales_order_id = $3
              RETURNING sales_order_id, round(units_sold * unit_price, 2) AS amount)
   UPDATE payment p SET payment_amount = o.amount, last_updated = $2
     FROM o JOIN transaction t ON t.sales_order_id = o.sales_order_id
    WHERE p.transaction_id = t.transaction_id`,
);
const AMEND_PURCHASE = simulatorStatement(
  'amend-purchase',
  `WITH o AS (UPDATE purchase_order SET item_quantity = $1, last_updated = $2 WHERE purchase_order_id = $3
              RETURNING purchase_order_id, round(item_quantity * item_unit_price, 2) AS amount)
   UPDATE payment p SET payment_amount = o.amount, last_updated = $2
     FROM o JOIN transaction t ON t.purchase_order_id = o.purchase_order_id
    WHERE p.transaction_id = t.transaction_id`,
);

async function amendOrder({ client, random, ids }: ActivityContext) {
  const sale = ids.maxPurchaseOrder === 0 || (ids.maxSalesOrder > 0 && random.chance(0.7));
  const max = sale ? ids.maxSalesOrder : ids.maxPurchaseOrder;
  if (max === 0) return false;
  const id = random.int(1, max);
  const quantity = sale ? random.int(1000, 100_000) : random.int(1, 999);
  const result = await runStatement(client, sale ? AMEND_SALE : AMEND_PURCHASE, [quantity, now(), id]);
  return (result.rowCount ?? 0) > 0;
}

// The oldest unpaid order is cancelled: its payment, its transaction and the order itself go, in that order
// (each row references the next one). Paid orders are never cancelled.
const CANCEL_PAYMENT = simulatorStatement(
  'cancel-payment',
  `DELETE FROM payment WHERE payment_id = (
     SELECT payment_id FROM payment WHERE NOT paid ORDER BY payment_id LIMIT 1 FOR UPDATE SKIP LOCKED)
   RETURNING transaction_id`,
);
const CANCEL_TRANSACTION = simulatorStatement(
  'cancel-transaction',
  'DELETE FROM transaction WHERE transaction_id = $1 RETURNING sales_order_id, purchase_order_id',
);
const CANCEL_SALE = simulatorStatement('cancel-sale', 'DELETE FROM sales_order WHERE sales_order_id = $1');
const CANCEL_PURCHASE = simulatorStatement(
  'cancel-purchase',
  'DELETE FROM purchase_order WHERE purchase_order_id = $1',
);

async function cancelOrder({ client }: ActivityContext) {
  const payment = await runStatement<{ transaction_id: number }>(client, CANCEL_PAYMENT);
  const transactionId = payment.rows[0]?.transaction_id;
  if (transactionId === undefined) return false;
  const transaction = await runStatement<{ sales_order_id: number | null; purchase_order_id: number | null }>(
    client,
    CANCEL_TRANSACTION,
    [transactionId],
  );
  const { sales_order_id: sale, purchase_order_id: purchase } = transaction.rows[0] ?? {};
  if (sale != null) await runStatement(client, CANCEL_SALE, [sale]);
  if (purchase != null) await runStatement(client, CANCEL_PURCHASE, [purchase]);
  return true;
}

const ADD_DESIGN = simulatorStatement(
  'add-design',
  `INSERT INTO design (created_at, last_updated, design_name, file_location, file_name)
   VALUES ($1, $1, $2, $3, $4) RETURNING design_id AS id`,
);
const DESIGN_LOCATIONS = ['/usr', '/private', '/usr/share', '/Users', '/opt/include', '/var/log', '/srv'];

async function addDesign({ client, random, ids }: ActivityContext) {
  const material = random.pick(DESIGN_MATERIALS);
  const fileDay = Math.floor(Date.now() / DAY_MS) - random.int(1, 365);
  const fileName = `${material.toLowerCase()}-${compactDateText(fileDay)}-${random.chars(4, 'abcdefghijklmnopqrstuvwxyz0123456789')}.json`;
  const location = random.pick(DESIGN_LOCATIONS);
  const result = await runStatement<{ id: number }>(client, ADD_DESIGN, [
    now(),
    material,
    location,
    fileName,
  ]);
  const id = result.rows[0]?.id;
  if (id !== undefined) ids.design.push(id);
  return id !== undefined;
}

const EDIT_PHONE = simulatorStatement(
  'edit-phone',
  'UPDATE address SET phone = $1, last_updated = $2 WHERE address_id = $3',
);
const EDIT_ADDRESS_LINE = simulatorStatement(
  'edit-address-line',
  'UPDATE address SET address_line_1 = $1, last_updated = $2 WHERE address_id = $3',
);

async function editAddress({ client, random, faker, ids }: ActivityContext) {
  if (ids.address.length === 0) return false;
  const id = random.pick(ids.address);
  const phone = `${random.chars(4, '0123456789')} ${random.chars(6, '0123456789')}`;
  const result = random.chance(0.5)
    ? await runStatement(client, EDIT_PHONE, [phone, now(), id])
    : await runStatement(client, EDIT_ADDRESS_LINE, [faker.location.streetAddress(), now(), id]);
  return (result.rowCount ?? 0) > 0;
}

const EDIT_STAFF = simulatorStatement(
  'edit-staff',
  'UPDATE staff SET department_id = $1, last_updated = $2 WHERE staff_id = $3',
);

async function editStaff({ client, random, ids }: ActivityContext) {
  const departments = ids.department.filter((id) => id !== 1);
  if (ids.staff.length === 0 || departments.length === 0) return false;
  const result = await runStatement(client, EDIT_STAFF, [
    random.pick(departments),
    now(),
    random.pick(ids.staff),
  ]);
  return (result.rowCount ?? 0) > 0;
}

const EDIT_DELIVERY_CONTACT = simulatorStatement(
  'edit-delivery-contact',
  'UPDATE counterparty SET delivery_contact = $1, last_updated = $2 WHERE counterparty_id = $3',
);
const EDIT_COMMERCIAL_CONTACT = simulatorStatement(
  'edit-commercial-contact',
  'UPDATE counterparty SET commercial_contact = $1, last_updated = $2 WHERE counterparty_id = $3',
);

async function editCounterparty({ client, random, faker, ids }: ActivityContext) {
  if (ids.counterparty.length === 0) return false;
  const id = random.pick(ids.counterparty);
  const statement = random.chance(0.5) ? EDIT_DELIVERY_CONTACT : EDIT_COMMERCIAL_CONTACT;
  const result = await runStatement(client, statement, [faker.person.fullName(), now(), id]);
  return (result.rowCount ?? 0) > 0;
}

// Toggling a suffix keeps names recognisable however long the simulator runs.
const RENAME_DEPARTMENT = simulatorStatement(
  'rename-department',
  `UPDATE department SET last_updated = $1,
          department_name = CASE WHEN department_name LIKE '% Team' THEN left(department_name, -5)
                                 ELSE department_name || ' Team' END
    WHERE department_id = $2`,
);

async function renameDepartment({ client, random, ids }: ActivityContext) {
  if (ids.department.length === 0) return false;
  const result = await runStatement(client, RENAME_DEPARTMENT, [now(), random.pick(ids.department)]);
  return (result.rowCount ?? 0) > 0;
}

// Only a design no order uses: the newest unused one, so older designs stay for new orders.
const DELETE_DESIGN = simulatorStatement(
  'delete-design',
  `DELETE FROM design WHERE design_id = (
     SELECT d.design_id FROM design d
      WHERE NOT EXISTS (SELECT 1 FROM sales_order s WHERE s.design_id = d.design_id)
      ORDER BY d.design_id DESC LIMIT 1)
   RETURNING design_id AS id`,
);

async function deleteDesign({ client, ids }: ActivityContext) {
  // Another writer may reference the design before we commit (the FK then refuses the delete): the savepoint
  // keeps the rest of the batch, and the change counts as skipped.
  await client.query('SAVEPOINT design_delete');
  try {
    const result = await runStatement<{ id: number }>(client, DELETE_DESIGN);
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
