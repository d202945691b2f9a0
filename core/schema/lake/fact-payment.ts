import type { LakeTable } from '../lake-table.ts';

/** Payments, one row per committed version (a payment turning paid adds a version). */
export const factPayment: LakeTable = {
  name: 'fact_payment',
  source: 'payment',
  kind: 'fact',
  keyColumn: 'payment_id',
  description: 'Every committed version of every payment, without the account numbers, like fact_payment.',
  columns: [
    { name: 'payment_id', type: 'int', comment: 'source payment.payment_id' },
    { name: 'created_date', type: 'date', comment: 'date part of created_at' },
    { name: 'created_time', type: 'string', comment: 'time part of created_at, HH:MM:SS.mmm' },
    { name: 'last_updated_date', type: 'date', comment: 'date part of last_updated' },
    {
      name: 'last_updated',
      type: 'string',
      comment: 'time part of last_updated, HH:MM:SS.mmm (warehouse name)',
    },
    { name: 'transaction_id', type: 'int', comment: 'source transaction_id' },
    { name: 'counterparty_id', type: 'int', comment: 'source counterparty_id' },
    { name: 'payment_amount', type: 'decimal(10,2)', comment: 'source payment_amount' },
    { name: 'currency_id', type: 'int', comment: 'source currency_id' },
    { name: 'payment_type_id', type: 'int', comment: 'source payment_type_id' },
    { name: 'paid', type: 'boolean', comment: 'source paid' },
    { name: 'payment_date', type: 'date', comment: 'source text date, as a date' },
  ],
};
