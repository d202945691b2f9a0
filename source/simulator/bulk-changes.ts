/**
 * @module
 * The frequent changes in bulk, for burst mode: N new orders (with their transactions and payments, written by
 * one INSERT ... SELECT FROM unnest(...) chain) and N payments turning paid each cost one round trip instead
 * of N. Every order still gets exactly one transaction and one payment with the same created_at.
 */
import { DAY_MS, dateText, timestampText } from '../seed/seed-calendar.ts';
import type { ActivityContext } from './activity.ts';

/** Inserts `count` new sales or purchase orders with their transactions and payments; returns how many. */
export async function insertOrders(
  kind: 'sales_order' | 'purchase_order',
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
  const order = isSale
    ? {
        table: 'sales_order',
        id: 'sales_order_id',
        quantity: 'units_sold',
        price: 'unit_price',
        extra: 'design_id',
        extraValue: 'extra::integer',
        type: 'SALE',
        paymentType: 1,
      }
    : {
        table: 'purchase_order',
        id: 'purchase_order_id',
        quantity: 'item_quantity',
        price: 'item_unit_price',
        extra: 'item_code',
        extraValue: 'extra',
        type: 'PURCHASE',
        paymentType: 3,
      };
  // Identifiers come from the two fixed shapes above, never from input.
  const result = await client.query<{ id: number }>(
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
    [
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
    ],
  );
  const maxId = result.rows[0]?.id ?? 0;
  if (isSale) ids.maxSalesOrder = Math.max(ids.maxSalesOrder, maxId);
  else ids.maxPurchaseOrder = Math.max(ids.maxPurchaseOrder, maxId);
  return result.rowCount ?? 0;
}

/** Turns up to `count` of the oldest unpaid payments paid with one UPDATE; returns how many changed. */
export async function payPayments(count: number, { client, ids }: ActivityContext): Promise<number> {
  const chosen: number[] = [];
  while (chosen.length < count) {
    if (ids.unpaid.length === 0) {
      const page = await client.query<{ id: number }>(
        'SELECT payment_id AS id FROM payment WHERE payment_id > $1 AND NOT paid ORDER BY payment_id LIMIT $2',
        [ids.unpaidCursor, Math.max(200, count)],
      );
      if (page.rows.length === 0) break;
      ids.unpaid = page.rows.map((row) => row.id);
      ids.unpaidCursor = ids.unpaid.at(-1) ?? ids.unpaidCursor;
    }
    chosen.push(...ids.unpaid.splice(0, count - chosen.length));
  }
  if (chosen.length === 0) return 0;
  const result = await client.query(
    'UPDATE payment SET paid = true, last_updated = $1 WHERE payment_id = ANY($2::int[]) AND NOT paid',
    [timestampText(Date.now()), chosen],
  );
  return result.rowCount ?? 0;
}
