import type { LakeTable } from '../lake-table.ts';

/** Counterparties; the loader joins dim_location at load time for the legal address columns. */
export const dimCounterparty: LakeTable = {
  name: 'dim_counterparty',
  source: 'counterparty',
  kind: 'dimension',
  keyColumn: 'counterparty_id',
  description:
    'Versions of source counterparty rows with legal_address_id; joined with addresses when loaded.',
  columns: [
    { name: 'counterparty_id', type: 'int', comment: 'source counterparty_id' },
    { name: 'counterparty_legal_name', type: 'string', comment: 'source counterparty_legal_name' },
    { name: 'legal_address_id', type: 'int', comment: 'source legal_address_id, for the load-time join' },
    {
      name: 'commercial_contact',
      type: 'string',
      comment: 'source commercial_contact, nullable (lake only)',
    },
    { name: 'delivery_contact', type: 'string', comment: 'source delivery_contact, nullable (lake only)' },
  ],
};
