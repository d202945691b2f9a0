import type { LakeTable } from '../lake-table.ts';

/** Sales orders, one row per committed version (the warehouse keeps every version). */
export const factSalesOrder: LakeTable = {
  name: 'fact_sales_order',
  source: 'sales_order',
  kind: 'fact',
  keyColumn: 'sales_order_id',
  description: 'Every committed version of every sales order, shaped like the warehouse fact_sales_order.',
  columns: [
    { name: 'sales_order_id', type: 'int', comment: 'source sales_order.sales_order_id' },
    { name: 'created_date', type: 'date', comment: 'date part of created_at' },
    { name: 'created_time', type: 'string', comment: 'time part of created_at, HH:MM:SS.mmm' },
    { name: 'last_updated_date', type: 'date', comment: 'date part of last_updated' },
    { name: 'last_updated_time', type: 'string', comment: 'time part of last_updated, HH:MM:SS.mmm' },
    { name: 'sales_staff_id', type: 'int', comment: 'source staff_id, renamed' },
    { name: 'counterparty_id', type: 'int', comment: 'source counterparty_id' },
    { name: 'units_sold', type: 'int', comment: 'source units_sold' },
    { name: 'unit_price', type: 'decimal(10,2)', comment: 'source unit_price' },
    { name: 'currency_id', type: 'int', comment: 'source currency_id' },
    { name: 'design_id', type: 'int', comment: 'source design_id' },
    { name: 'agreed_payment_date', type: 'date', comment: 'source text date, as a date' },
    { name: 'agreed_delivery_date', type: 'date', comment: 'source text date, as a date' },
    { name: 'agreed_delivery_location_id', type: 'int', comment: 'source address id' },
  ],
};
