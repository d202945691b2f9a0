import type { LakeTable } from '../lake-table.ts';

/** Transactions: which order each payment settles. */
export const dimTransaction: LakeTable = {
  name: 'dim_transaction',
  source: 'transaction',
  kind: 'dimension',
  keyColumn: 'transaction_id',
  description: 'Versions of source transaction rows, shaped like dim_transaction.',
  columns: [
    { name: 'transaction_id', type: 'int', comment: 'source transaction_id' },
    { name: 'transaction_type', type: 'string', comment: 'SALE or PURCHASE' },
    { name: 'sales_order_id', type: 'int', comment: 'set for SALE, null otherwise' },
    { name: 'purchase_order_id', type: 'int', comment: 'set for PURCHASE, null otherwise' },
  ],
};
