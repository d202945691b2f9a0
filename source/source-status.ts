/**
 * @module
 * What the source looks like right now: row counts per table, the WAL position and the replication slots.
 * Read-only, so `status` can run beside a busy `up`.
 */
import type pg from 'pg';
import { SOURCE_TABLE_NAMES, type SourceTableName } from '../core/schema/source-tables.ts';
import { currentWalLsn, listSlots } from './source-inspector.ts';

/** One logical or physical replication slot of the source. */
export interface SlotStatus {
  readonly name: string;
  readonly plugin: string | null;
  readonly database: string | null;
  readonly active: boolean;
  readonly confirmedFlushLsn: string | null;
  /** Bytes of WAL between the current position and what the slot's consumer confirmed. */
  readonly lagBytes: number | null;
}

/** The source's state. */
export interface SourceStatus {
  /** `pg_current_wal_lsn()` as PostgreSQL prints it (e.g. `0/1A2B3C8`). */
  readonly lsn: string;
  /** Row counts per table; null when the table does not exist (source not migrated). */
  readonly rows: Record<SourceTableName, number | null>;
  readonly slots: readonly SlotStatus[];
}

/** Reads the source's status. Counts are exact (`count(*)`): the totesys tables are small. */
export async function readSourceStatus(client: pg.ClientBase): Promise<SourceStatus> {
  const lsn = await currentWalLsn(client);
  const rows = {} as Record<SourceTableName, number | null>;
  for (const table of SOURCE_TABLE_NAMES) {
    const exists = await client.query<{ found: string | null }>('SELECT to_regclass($1)::text AS found', [
      `public.${client.escapeIdentifier(table)}`,
    ]);
    if (!exists.rows[0]?.found) {
      rows[table] = null;
      continue;
    }
    const count = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${client.escapeIdentifier(table)}`,
    );
    rows[table] = Number(count.rows[0]?.n ?? 0);
  }
  const slots = await listSlots(client);
  return {
    lsn,
    rows,
    slots: slots.map((slot) => ({
      name: slot.name,
      plugin: slot.plugin,
      database: slot.database,
      active: slot.active,
      confirmedFlushLsn: slot.confirmedFlushLsn,
      lagBytes: slot.lagBytes,
    })),
  };
}
