/**
 * @module
 * Deletes of orders and payments: each staged delete becomes one `pipeline.fact_deletion` row (key, LSN,
 * position, commit time) in the load's transaction, and leaves the staged versions, so the appends that follow
 * only ever see versions. The fact rows of a deleted order stay as its history; the `current_*` views
 * (warehouse-ddl.ts) leave it out while the delete is newer than its latest version.
 */
import type pg from 'pg';
import { type FactTableName, WAREHOUSE_TABLES } from '../core/schema/warehouse-tables.ts';
import { stagingTable } from './star-staging.ts';

/**
 * Moves the staged deletes of `table` into `pipeline.fact_deletion`. A delete already recorded (delivered
 * twice, or re-read after a crashed load) adds nothing: the record's key is the change's `(key, lsn, seq)`.
 * A delete of a key the warehouse never saw is recorded all the same (nothing current to hide, nothing lost).
 * Returns the number of deletes newly recorded.
 */
export async function recordFactDeletions(client: pg.ClientBase, table: FactTableName): Promise<number> {
  const order = WAREHOUSE_TABLES[table].orderKey;
  const result = await client.query(
    `WITH deletes AS (
       DELETE FROM ${stagingTable(table)} WHERE _op = 'd' RETURNING ${order} AS order_id, _lsn, _seq, _commit_ts
     )
     INSERT INTO pipeline.fact_deletion (fact_table, order_id, lsn, seq, commit_ts)
     SELECT $1, order_id, _lsn, _seq, _commit_ts AT TIME ZONE 'UTC' FROM deletes
     ON CONFLICT DO NOTHING`,
    [table],
  );
  return result.rowCount ?? 0;
}

/**
 * SQL condition: a delete of the order `s.<order>` was recorded after the version `w` (the latest loaded one,
 * with `w.version_lsn`, `w.version_seq`) and before the staged version `s`. Such a version is never a
 * harmless re-read, even with the same values: it makes a deleted order current again.
 */
export function deletedBetween(table: FactTableName): string {
  const order = WAREHOUSE_TABLES[table].orderKey;
  return `EXISTS (SELECT 1 FROM pipeline.fact_deletion AS d
    WHERE d.fact_table = '${table}' AND d.order_id = s.${order}
      AND (d.lsn, d.seq) > (w.version_lsn, w.version_seq) AND (d.lsn, d.seq) < (s._lsn, s._seq))`;
}
