import type { LakeTable } from '../lake-table.ts';

/** Departments: not a warehouse table of its own, but joined into dim_staff at load time. */
export const department: LakeTable = {
  name: 'department',
  source: 'department',
  kind: 'reference',
  keyColumn: 'department_id',
  description: 'Versions of source department rows, for the dim_staff join.',
  columns: [
    { name: 'department_id', type: 'int', comment: 'source department_id' },
    { name: 'department_name', type: 'string', comment: 'source department_name' },
    { name: 'location', type: 'string', comment: 'source location, nullable' },
    { name: 'manager', type: 'string', comment: 'source manager, nullable' },
  ],
};
