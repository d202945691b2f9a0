/**
 * @module
 * The frequent changes in bulk, for a transaction of many changes: N new orders (with their transactions and
 * payments, written by one INSERT ... SELECT FROM unnest(...) chain) and N payments turning paid each cost one
 * round trip instead of N. Every order still gets exactly one transaction and one payment with the same
 * created_at. A single change is a bulk of one (activity.ts).
 */
import { DAY_MS, dateText, timestampText } from '../seed/seed-calendar.ts';
import type { ActivityContext } from './activity.ts';
import { runStatement, type SimulatorStatement, simulatorStatement } from './simulator-statement.ts';

type OrderKind = 'sales_order' | 'purchase_order';

/** The two order shapes; identifiers come from here, never from input. */
const ORDER_SHAPES = {
  sales_order: {
    table: 'sales_order',
    id: 'sales_order_id',
    quantity: 'units_sold',
    price: 'unit_price',
    extra: 'design_id',
    extraValue: 'extra::integer',
    type: 'SALE',
    paymentType: 1,
  },
  purchase_order: {
    table: 'purchase_order',
    id: 'purchase_order_id',
    quantity: 'item_quantity',
    price: 'item_unit_price',
    extra: 'item_code',
    extraValue: 'extra',
    type: 'PURCHASE',
    paymentType: 3,
  },
} as const;

function insertOrdersStatement(kind: OrderKind): SimulatorStatement {
  const order = ORDER_SHAPES[kind];
  return simulatorStatement(
    `insert-${kind}`,
    `WITH input AS (
       SELECT * FROM unnest($2::int[], $3::int[], $4::int[], $5::numeric[], $6::int[], $7::text[], $8::text[],
                            $9::int[], $10::text[])
              WITH ORDINALITY AS i(staff, counterparty, quantity, price, currency, delivery, payment, location,
                                   extra, n)),
     o AS (
       INSERT INTO ${order.table} (created_at, last_updated, staff_id, counterparty_id, ${order.quantity},
                                   ${order.price}, currency_id, agreed_delivery_date, agreed_payment_date,
                                   agreed_delivery_location_id, ${order.extra})
       SELECT $1::timestamp, $1::timestamp, staff, counterparty, quantity, price, currency, delivery, payment,
              location, ${order.extraValue}
         FROM input ORDER BY n
       RETURNING ${order.id} AS id, counterparty_id, currency_id, agreed_payment_date,
                 round(${order.quantity} * ${order.price}, 2) AS amount),
     t AS (
       INSERT INTO transaction (transaction_type, ${order.id}, created_at, last_updated)
       SELECT '${order.type}'::"TransactionType", id, $1::timestamp, $1::timestamp FROM o ORDER BY id
       RETURNING transaction_id, ${order.id} AS id)
     INSERT INTO payment (created_at, last_updated, transaction_id, counterparty_id, payment_amount, currency_id,
                          payment_type_id, paid, payment_date, company_ac_number, counterparty_ac_number)
     SELECT $1::timestamp, $1::timestamp, t.transaction_id, o.counterparty_id, o.amount, o.currency_id,
            ${order.paymentType}, false, o.agreed_payment_date,
            -- 8-digit account numbers derived from the order id: deterministic without a draw per row.
            10000000 + (o.id::bigint * 7919) % 90000000, 10000000 + (o.id::bigint * 104729) % 90000000
       FROM t JOIN o USING (id) ORDER BY t.transaction_id
     RETURNING (SELECT max(id) FROM o) AS id`,
  );
}

const INSERT_ORDERS = {
  sales_order: insertOrdersStatement('sales_order'),
  purchase_order: insertOrdersStatement('purchase_order'),
} as const;

/** Inserts `count` new sales or purchase orders with their transactions and payments; returns how many. */
export async function insertOrders(
  kind: OrderKind,
  count: number,
  { client, random, ids }: ActivityContext,
): Promise<number> {
  const { staff, counterparty, address, currency, design } = ids;
  const isSale = kind === 'sales_order';
  if (count === 0 || !staff.length || !counterparty.length || !address.length || !currency.length) return 0;
  if (isSale && design.length === 0) return 0;
  const today = Math.floor(Date.now() / DAY_MS);
  const columns = {
    staff: [] as number[],
    counterparty: [] as number[],
    quantity: [] as number[],
    price: [] as string[],
    currency: [] as number[],
    delivery: [] as string[],
    payment: [] as string[],
    location: [] as number[],
    extra: [] as string[],
  };
  for (let i = 0; i < count; i++) {
    columns.staff.push(random.pick(staff));
    columns.counterparty.push(random.pick(counterparty));
    columns.quantity.push(isSale ? random.int(1000, 100_000) : random.int(1, 999));
    columns.price.push(((isSale ? random.int(200, 400) : random.int(333, 99_866)) / 100).toFixed(2));
    columns.currency.push(random.pick(currency));
    columns.delivery.push(dateText(today + random.int(1, 7)));
    columns.payment.push(dateText(today + random.int(0, 6)));
    columns.location.push(random.pick(address));
    columns.extra.push(
      isSale ? String(random.pick(design)) : random.chars(7, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'),
    );
  }
  const result = await runStatement<{ id: number }>(client, INSERT_ORDERS[kind], [
    timestampText(Date.now()),
    columns.staff,
    columns.counterparty,
    columns.quantity,
    columns.price,
    columns.currency,
    columns.delivery,
    columns.payment,
    columns.location,
    columns.extra,
  ]);
  const maxId = result.rows[0]?.id ?? 0;
  if (isSale) ids.maxSalesOrder = Math.max(ids.maxSalesOrder, maxId);
  else ids.maxPurchaseOrder = Math.max(ids.maxPurchaseOrder, maxId);
  return result.rowCount ?? 0;
}

/**
 * The oldest unpaid payments after the cursor turn paid, skipping rows another writer holds (several
 * simulators on one source pay side by side instead of queueing on each other's row locks and then finding
 * the rows paid).
 */
const PAY_PAYMENTS = simulatorStatement(
  'pay-payments',
  `WITH paid AS (
     UPDATE payment SET paid = true, last_updated = $1
      WHERE payment_id IN (SELECT payment_id FROM payment WHERE payment_id > $2 AND NOT paid
                            ORDER BY payment_id LIMIT $3 FOR UPDATE SKIP LOCKED)
     RETURNING payment_id)
   SELECT count(*)::int AS paid, max(payment_id) AS last FROM paid`,
);

/** Turns up to `count` of the oldest unpaid payments paid with one UPDATE; returns how many changed. */
export async function payPayments(count: number, { client, ids }: ActivityContext): Promise<number> {
  if (count === 0) return 0;
  const result = await runStatement<{ paid: number; last: number | null }>(client, PAY_PAYMENTS, [
    timestampText(Date.now()),
    ids.unpaidCursor,
    count,
  ]);
  const { paid = 0, last = null } = result.rows[0] ?? {};
  // Short of unpaid payments after the cursor: the next call looks from the start again (a payment another
  // writer held, or a rolled-back batch's, may still be unpaid below it).
  ids.unpaidCursor = paid < count ? 0 : (last ?? ids.unpaidCursor);
  return paid;
}
