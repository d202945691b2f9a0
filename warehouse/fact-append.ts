/**
 * @module
 * Fact appends of a load: one row per committed version not yet loaded, never a second for a version already
 * loaded or for a snapshot re-read that changed nothing, references checked in bulk; deletes recorded first
 * (fact-deletion.ts). Each fact row carries its version (`version_lsn`, `version_seq`, warehouse-ddl.ts), whose
 * unique constraint is the exactly-once record.
 */
import type pg from 'pg';
import {
  type FactTableName,
  loadedColumns,
  WAREHOUSE_FOREIGN_KEYS,
  WAREHOUSE_TABLES,
} from '../core/schema/warehouse-tables.ts';
import { infersMembers, keepUnchanged } from './dimension-writes.ts';
import { deletedBetween, recordFactDeletions } from './fact-deletion.ts';
import { stagingTable } from './star-staging.ts';
import { WarehouseLoadError } from './warehouse-load-error.ts';

/**
 * The latest loaded version of each order staged for `table`, as a join-able subquery aliased `w` (the fact
 * row, with its `version_lsn` and `version_seq`).
 */
export function latestLoaded(table: FactTableName): string {
  const { orderKey } = WAREHOUSE_TABLES[table];
  return `(SELECT DISTINCT ON (f.${orderKey}) f.* FROM public.${table} AS f
      WHERE f.${orderKey} IN (SELECT ${orderKey} FROM ${stagingTable(table)})
      ORDER BY f.${orderKey}, f.version_lsn DESC, f.version_seq DESC) AS w`;
}

/**
 * Before appending: record the staged deletes (fact-deletion.ts), drop versions already loaded (the anti-join
 * that makes replays harmless), fill the unchanged-TOAST columns of each order's first staged version from its
 * latest loaded version, and drop a snapshot re-read identical to that version unless the order was deleted in
 * between. Each step is skipped when it cannot change anything (see {@link StagedVersions} and
 * {@link anyLoaded}). Returns the number of deletes recorded.
 */
export async function prepareFact(client: pg.ClientBase, table: FactTableName): Promise<number> {
  const name = stagingTable(table);
  const order = WAREHOUSE_TABLES[table].orderKey;
  const columns = loadedColumns(table).map((c) => c.name);
  const staged = await stagedVersions(client, table);
  const deletions = staged.deletes ? await recordFactDeletions(client, table) : 0;
  const loaded = await anyLoaded(client, table);
  if (loaded) {
    await client.query(
      `DELETE FROM ${name} AS s USING public.${table} AS f
       WHERE f.${order} = s.${order} AND f.version_lsn = s._lsn AND f.version_seq = s._seq`,
    );
  }
  if (loaded && staged.unchanged) {
    await client.query(
      `UPDATE ${name} AS s SET ${keepUnchanged(
        columns.filter((c) => c !== order),
        'w',
        's',
      )}
       FROM ${latestLoaded(table)} WHERE w.${order} = s.${order} AND s._unchanged IS NOT NULL`,
    );
  }
  if (loaded && staged.reReads) {
    // Only an order's first staged version is compared with the warehouse; later re-reads were compared with
    // their predecessor in the batch already (loader/load-batch.ts).
    const same = columns.map((c) => `s.${c} IS NOT DISTINCT FROM w.${c}`).join(' AND ');
    await client.query(
      `DELETE FROM ${name} WHERE ctid IN (
         SELECT s.ctid FROM (
           SELECT DISTINCT ON (${order}) ctid, * FROM ${name} ORDER BY ${order}, _lsn, _seq
         ) AS s JOIN ${latestLoaded(table)} ON w.${order} = s.${order}
         WHERE s._op = 'r' AND ${same} AND NOT ${deletedBetween(table)})`,
    );
  }
  return deletions;
}

/** What the staged changes of a fact hold, from one scan of its staging table before anything is changed. */
interface StagedVersions {
  /** A delete (else there is none to record). */
  readonly deletes: boolean;
  /** A version naming unchanged columns (else there is nothing to fill from a loaded version). */
  readonly unchanged: boolean;
  /** A snapshot re-read (else none can be a re-read equal to its loaded version). */
  readonly reReads: boolean;
}

async function stagedVersions(client: pg.ClientBase, table: FactTableName): Promise<StagedVersions> {
  const result = await client.query<{
    deletes: boolean | null;
    unchanged: boolean | null;
    reReads: boolean | null;
  }>(
    `SELECT bool_or(_op = 'd') AS deletes, bool_or(_op <> 'd' AND _unchanged IS NOT NULL) AS unchanged,
       bool_or(_op = 'r') AS "reReads"
     FROM ${stagingTable(table)}`,
  );
  const row = result.rows[0];
  return {
    deletes: row?.deletes ?? false,
    unchanged: row?.unchanged ?? false,
    reReads: row?.reReads ?? false,
  };
}

/**
 * Whether the fact holds any row (every row is a loaded version): the anti-join, the fill and the re-read
 * comparison each join the staged versions with the loaded ones, and on a fact's first load none can match.
 * The table's first load after a crashed one finds no version either (the crash rolled them back), and a batch
 * loaded twice finds the first load's versions, so a replay still takes the anti-join.
 */
async function anyLoaded(client: pg.ClientBase, table: FactTableName): Promise<boolean> {
  const loaded = await client.query<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM public.${table}) AS any`);
  return loaded.rows[0]?.any ?? true;
}

/**
 * Every foreign key of the staged facts that `inferMembers` (dimension-writes.ts) does not complete (the dates)
 * finds its row, checked set-based (one anti-join per key) before the append: dim_date rows were generated for
 * every referenced date, so a miss here is a loader bug and the load stops naming it. The keys inferMembers
 * completes are not checked again: it has just inserted every one of them the dimension lacked. (One scan per
 * fact joining every date column cost the same as the anti-joins: the hash probes per row are the cost.)
 */
export async function verifyReferences(
  client: pg.ClientBase,
  facts: readonly FactTableName[],
): Promise<void> {
  for (const fk of WAREHOUSE_FOREIGN_KEYS) {
    if (!facts.includes(fk.table as FactTableName) || infersMembers(fk)) continue;
    const result = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${stagingTable(fk.table)} AS s
       WHERE NOT EXISTS (SELECT 1 FROM public.${fk.target} AS d WHERE d.${fk.targetColumn} = s.${fk.column})`,
    );
    const missing = Number(result.rows[0]?.n ?? 0);
    if (missing > 0) {
      throw new WarehouseLoadError(
        `${missing} ${fk.table} versions reference ${fk.target} rows that do not exist (${fk.table}.${fk.column}); ` +
          'nothing was loaded. This is a loader bug: report it with the cut LSN.',
      );
    }
  }
}

/**
 * PostgreSQL checks foreign keys with a trigger per row and key, which costs more than the insert itself at
 * bulk sizes. `inferMembers` and {@link verifyReferences} have just made sure of the same keys set-based inside
 * this transaction (and the load lock keeps other loads out), so the row-by-row triggers are skipped for the append when the role
 * may do so (superuser, rds_superuser); otherwise they run as usual.
 */
export async function skipRowByRowChecks(client: pg.ClientBase): Promise<boolean> {
  await client.query('SAVEPOINT replication_role');
  try {
    await client.query('SET LOCAL session_replication_role = replica');
    await client.query('RELEASE SAVEPOINT replication_role');
    return true;
  } catch {
    await client.query('ROLLBACK TO SAVEPOINT replication_role');
    return false;
  }
}

/** PostgreSQL's error code of a NULL in a NOT NULL column. */
const NOT_NULL_VIOLATION = '23502';

/**
 * A staged version still lacking a NOT NULL value when it is appended (the fill above found no loaded version
 * to take it from): the table's NOT NULL constraint refuses it, named here for what it means.
 */
function missingValue(table: FactTableName, error: unknown): WarehouseLoadError | undefined {
  const { code, column } = error as { code?: string; column?: string };
  if (code !== NOT_NULL_VIOLATION) return undefined;
  return new WarehouseLoadError(
    `${table} versions lack a NOT NULL value (${column ?? 'a column'}) even after filling unchanged columns ` +
      'from the previous version (an update of an order the warehouse never saw). Re-snapshot the source table.',
    { cause: error },
  );
}

/**
 * Appends the staged versions in commit order with record ids continuing the table's highest: deterministic
 * under the load lock, so a rerun after a crash numbers rows exactly as a clean run would. Each row carries its
 * version; one already loaded fails the version's unique constraint, and with it the load.
 */
export async function appendFact(client: pg.ClientBase, table: FactTableName): Promise<number> {
  const { primaryKey: recordId, orderKey: order } = WAREHOUSE_TABLES[table];
  const columns = loadedColumns(table).map((c) => c.name);
  const result = await client
    .query(
      `WITH base AS (SELECT coalesce(max(${recordId}), 0) AS top FROM public.${table}),
     numbered AS (
       SELECT s.*, base.top + row_number() OVER (ORDER BY s._lsn, s._seq, s.${order}) AS record_id
       FROM ${stagingTable(table)} AS s CROSS JOIN base
     )
     INSERT INTO public.${table} (${recordId}, ${columns.join(', ')}, version_lsn, version_seq)
     SELECT record_id, ${columns.join(', ')}, _lsn, _seq FROM numbered`,
    )
    .catch((error: unknown) => {
      throw missingValue(table, error) ?? error;
    });
  // Keep the serial's sequence past the ids we assigned, for anyone inserting with the default.
  await client.query(
    `SELECT setval(pg_get_serial_sequence('public.${table}', '${recordId}'),
       greatest(coalesce((SELECT max(${recordId}) FROM public.${table}), 0), 1))`,
  );
  return result.rowCount ?? 0;
}
