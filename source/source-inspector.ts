/**
 * @module
 * What the pipeline reads about the source's write-ahead log: the current WAL position and the replication
 * slots (confirmed position, activity, WAL status, the lag a slot holds back). The one place this SQL is
 * written; the reader, `status`, `sync` and `up` all ask here. Read-only.
 */
import type pg from 'pg';

/** One replication slot as `pg_replication_slots` describes it. */
export interface SlotFacts {
  readonly name: string;
  readonly plugin: string | null;
  readonly database: string | null;
  /** A process is streaming from it right now. */
  readonly active: boolean;
  /** What its consumer confirmed, as PostgreSQL prints it (`0/1A2B3C8`); null before any confirmation. */
  readonly confirmedFlushLsn: string | null;
  /** `reserved`, `extended`, `unreserved` or `lost` (WAL it needed is gone). */
  readonly walStatus: string | null;
  /** Bytes of WAL between the current position and `confirmedFlushLsn`. */
  readonly lagBytes: number | null;
}

interface SlotRow {
  slot_name: string;
  plugin: string | null;
  database: string | null;
  active: boolean;
  confirmed_flush_lsn: string | null;
  wal_status: string | null;
  lag_bytes: string | null;
}

const SLOT_QUERY = `SELECT slot_name, plugin, database, active, confirmed_flush_lsn::text AS confirmed_flush_lsn,
    wal_status, pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint::text AS lag_bytes
  FROM pg_replication_slots`;

function slotFacts(row: SlotRow): SlotFacts {
  return {
    name: row.slot_name,
    plugin: row.plugin,
    database: row.database,
    active: row.active,
    confirmedFlushLsn: row.confirmed_flush_lsn,
    walStatus: row.wal_status,
    lagBytes: row.lag_bytes === null ? null : Number(row.lag_bytes),
  };
}

/** The source's current WAL write position, as PostgreSQL prints it (`0/1A2B3C8`). */
export async function currentWalLsn(client: pg.ClientBase): Promise<string> {
  const result = await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
  return result.rows[0]?.lsn ?? '0/0';
}

/** Which database this is: its cluster's system identifier (from initdb, kept by replicas) and its name. */
export interface DatabaseIdentity {
  readonly systemIdentifier: string;
  readonly database: string;
}

/** The identity of the database `client` is connected to (the source's, or any PostgreSQL's: the warehouse). */
export async function databaseIdentity(client: pg.ClientBase): Promise<DatabaseIdentity> {
  const result = await client.query<{ system_identifier: string; database: string }>(
    'SELECT system_identifier::text AS system_identifier, current_database() AS database FROM pg_control_system()',
  );
  const row = result.rows[0];
  if (!row) throw new Error('pg_control_system() returned no row.');
  return { systemIdentifier: row.system_identifier, database: row.database };
}

/** One slot, or undefined when there is none of that name. */
export async function inspectSlot(client: pg.ClientBase, slot: string): Promise<SlotFacts | undefined> {
  const result = await client.query<SlotRow>(`${SLOT_QUERY} WHERE slot_name = $1`, [slot]);
  const row = result.rows[0];
  return row ? slotFacts(row) : undefined;
}

/** Every slot of the cluster, by name. */
export async function listSlots(client: pg.ClientBase): Promise<SlotFacts[]> {
  const result = await client.query<SlotRow>(`${SLOT_QUERY} ORDER BY slot_name`);
  return result.rows.map(slotFacts);
}
