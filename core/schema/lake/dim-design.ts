import type { LakeTable } from '../lake-table.ts';

/** Designs of the totes sold. */
export const dimDesign: LakeTable = {
  name: 'dim_design',
  source: 'design',
  kind: 'dimension',
  keyColumn: 'design_id',
  description: 'Versions of source design rows, shaped like dim_design.',
  columns: [
    { name: 'design_id', type: 'int', comment: 'source design_id' },
    { name: 'design_name', type: 'string', comment: 'source design_name' },
    { name: 'file_location', type: 'string', comment: 'source file_location' },
    { name: 'file_name', type: 'string', comment: 'source file_name' },
  ],
};
