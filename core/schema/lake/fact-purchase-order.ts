import type { LakeTable } from '../lake-table.ts';

/** Purchase orders, one row per committed version. */
export const factPurchaseOrder: LakeTable = {
  name: 'fact_purchase_order',
  source: 'purchase_order',
  kind: 'fact',
  keyColumn: 'purchase_order_id',
  description:
    'Every committed version of every purchase order, shaped like the warehouse fact_purchase_order.',
  columns: [
    { name: 'purchase_order_id', type: 'int', comment: 'source purchase_order.purchase_order_id' },
    { name: 'created_date', type: 'date', comment: 'date part of created_at' },
    { name: 'created_time', type: 'string', comment: 'time part of created_at, HH:MM:SS.mmm' },
    { name: 'last_updated_date', type: 'date', comment: 'date part of last_updated' },
    { name: 'last_updated_time', type: 'string', comment: 'time part of last_updated, HH:MM:SS.mmm' },
    { name: 'staff_id', type: 'int', comment: 'source staff_id (not renamed in this star)' },
    { name: 'counterparty_id', type: 'int', comment: 'source counterparty_id' },
    { name: 'item_code', type: 'string', comment: 'source item_code' },
    { name: 'item_quantity', type: 'int', comment: 'source item_quantity' },
    { name: 'item_unit_price', type: 'decimal(10,2)', comment: 'source item_unit_price' },
    { name: 'currency_id', type: 'int', comment: 'source currency_id' },
    { name: 'agreed_delivery_date', type: 'date', comment: 'source text date, as a date' },
    { name: 'agreed_payment_date', type: 'date', comment: 'source text date, as a date' },
    { name: 'agreed_delivery_location_id', type: 'int', comment: 'source address id' },
  ],
};
