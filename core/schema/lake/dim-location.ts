import type { LakeTable } from '../lake-table.ts';

/** Addresses: delivery locations, and the legal addresses dim_counterparty joins at load time. */
export const dimLocation: LakeTable = {
  name: 'dim_location',
  source: 'address',
  kind: 'dimension',
  keyColumn: 'location_id',
  description: 'Versions of source address rows, address_id renamed location_id, shaped like dim_location.',
  columns: [
    { name: 'location_id', type: 'int', comment: 'source address_id' },
    { name: 'address_line_1', type: 'string', comment: 'source address_line_1' },
    { name: 'address_line_2', type: 'string', comment: 'source address_line_2, nullable' },
    { name: 'district', type: 'string', comment: 'source district, nullable' },
    { name: 'city', type: 'string', comment: 'source city' },
    { name: 'postal_code', type: 'string', comment: 'source postal_code' },
    { name: 'country', type: 'string', comment: 'source country' },
    { name: 'phone', type: 'string', comment: 'source phone' },
  ],
};
