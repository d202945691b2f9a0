import type { LakeTable } from '../lake-table.ts';

/** Payment types (the PaymentTypeName enum's labels). */
export const dimPaymentType: LakeTable = {
  name: 'dim_payment_type',
  source: 'payment_type',
  kind: 'dimension',
  keyColumn: 'payment_type_id',
  description: 'Versions of source payment_type rows, shaped like dim_payment_type.',
  columns: [
    { name: 'payment_type_id', type: 'int', comment: 'source payment_type_id' },
    { name: 'payment_type_name', type: 'string', comment: 'enum label, e.g. SALES_RECEIPT' },
  ],
};
