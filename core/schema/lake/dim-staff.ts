import type { LakeTable } from '../lake-table.ts';

/** Staff; the loader joins department at load time to fill dim_staff's department name and location. */
export const dimStaff: LakeTable = {
  name: 'dim_staff',
  source: 'staff',
  kind: 'dimension',
  keyColumn: 'staff_id',
  description: 'Versions of source staff rows with their department_id; joined with department when loaded.',
  columns: [
    { name: 'staff_id', type: 'int', comment: 'source staff_id' },
    { name: 'first_name', type: 'string', comment: 'source first_name' },
    { name: 'last_name', type: 'string', comment: 'source last_name' },
    { name: 'department_id', type: 'int', comment: 'source department_id, for the load-time join' },
    { name: 'email_address', type: 'string', comment: 'source email_address' },
  ],
};
