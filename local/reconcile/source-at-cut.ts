/**
 * @module
 * The source as of an exact LSN, for `reconcile`. A temporary logical slot gives a consistent point S and a
 * snapshot holding exactly the transactions committed before S; the 11 tables are copied under that snapshot
 * into temporary tables of one session. Once the warehouse's cut C is at least S - 1, the slot's changes
 * committed in (S, C] are replayed onto those copies: they then hold the source as of C, the state the
 * warehouse claims to be. The live tables are only read; the copies and the slot vanish with the connections.
 */
import type pg from 'pg';
import { formatLsn, type Lsn } from '../../core/lsn.ts';
import { SOURCE_TABLE_NAMES, SOURCE_TABLES, type SourceTableName } from '../../core/schema/source-tables.ts';
import { createClient } from '../../postgres/connections.ts';
import { PgoutputDecoder } from '../../reader/replication-source.ts';
import { createExportedSnapshot, type ExportedSnapshot } from '../../reader/snapshot-copy.ts';
import { readerConnection } from '../../reader/source-values.ts';
import { ReplayedChanges, type TableChanges } from './replayed-changes.ts';

/** Messages per read of the slot (a read ends at a transaction boundary past this many). */
const CHANGES_PER_READ = 10_000;

/** Reconcile cannot compare source and warehouse at one cut; the message says what to do. */
export class ReconcileError extends Error {
  override readonly name = 'ReconcileError';
}

/** The source copied at a snapshot, replayable up to a later LSN. */
export class SourceAtCut {
  readonly #snapshot: ExportedSnapshot;
  readonly #session: pg.Client;
  readonly #publication: string;

  private constructor(snapshot: ExportedSnapshot, session: pg.Client, publication: string) {
    this.#snapshot = snapshot;
    this.#session = session;
    this.#publication = publication;
  }

  /**
   * Creates the temporary slot (its consistent point is {@link snapshotLsn}) and copies every source table
   * under its snapshot into `pg_temp`. Needs what the reader needs (REPLICATION, one free slot and WAL
   * sender) plus TEMP on the source database (PUBLIC has it by default).
   */
  static async open(sourceUrl: string, publication: string): Promise<SourceAtCut> {
    const slot = `totesys_reconcile_${process.pid}_${Date.now().toString(36)}`;
    const snapshot = await createExportedSnapshot({ connectionString: sourceUrl }, slot, true);
    const session = createClient(readerConnection<pg.ClientConfig>({ connectionString: sourceUrl }));
    try {
      await session.connect();
      await session.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await session.query(`SET TRANSACTION SNAPSHOT ${session.escapeLiteral(snapshot.snapshotName)}`);
      // Identifiers only from source-tables.ts; the copies shadow nothing (every query names pg_temp).
      for (const table of SOURCE_TABLE_NAMES) {
        await session.query(`CREATE TEMP TABLE ${table} AS SELECT * FROM public.${table}`);
      }
      await session.query('COMMIT');
    } catch (error) {
      await session.end().catch(() => undefined);
      await snapshot.close();
      throw new ReconcileError(
        `Could not copy the source tables under reconcile's snapshot: ${(error as Error).message}. ` +
          'The role needs SELECT on the 11 tables and TEMP on the source database.',
        { cause: error },
      );
    }
    return new SourceAtCut(snapshot, session, publication);
  }

  /** The slot's consistent point: the copies hold every transaction committed before it. */
  get snapshotLsn(): Lsn {
    return this.#snapshot.consistentPoint;
  }

  /** The session holding the copies (`pg_temp.<source table>`), for reading the star from them. */
  get session(): pg.ClientBase {
    return this.#session;
  }

  /**
   * Replays onto the copies every transaction committed after the snapshot and at or before `cut` (read from
   * the slot, consumed as it goes). Returns the number of row changes replayed.
   */
  async replayTo(cut: Lsn): Promise<number> {
    if (cut + 1n < this.snapshotLsn) {
      throw new ReconcileError(
        `The warehouse's cut ${formatLsn(cut)} is before reconcile's source snapshot ` +
          `${formatLsn(this.snapshotLsn)}: the source cannot be read as of it. Let the pipeline catch up.`,
      );
    }
    const replay = new ReplayedChanges(cut);
    const literal = (text: string) => this.#session.escapeLiteral(text);
    const read = `SELECT data FROM pg_logical_slot_get_binary_changes(${literal(this.#snapshot.slot)},
        ${literal(formatLsn(cut))}, ${CHANGES_PER_READ}, 'proto_version', '1',
        'publication_names', ${literal(this.#publication)})`;
    for (let more = true; more; ) {
      const decoder = new PgoutputDecoder();
      const result = await this.#snapshot.query<{ data: Buffer }>(read);
      more = result.rows.length > 0;
      for (const row of result.rows) {
        const message = decoder.decode(row.data);
        if (message && replay.accept(message) === 'past-cut') {
          more = false;
          break;
        }
      }
    }
    await this.#session.query('BEGIN');
    try {
      for (const [table, changes] of replay.tables) await this.#apply(table, changes);
      for (const table of SOURCE_TABLE_NAMES) await this.#session.query(`ANALYZE pg_temp.${table}`);
      await this.#session.query('COMMIT');
    } catch (error) {
      await this.#session.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    return replay.changeCount;
  }

  /**
   * Sets each touched row of one copy to its final state, set-based: the new rows are built first (each patch
   * over its base row, as `jsonb_populate_record` keeps the columns a patch lacks), then the touched and moved
   * keys are deleted and the new rows inserted.
   */
  async #apply(table: SourceTableName, changes: TableChanges): Promise<void> {
    const key = SOURCE_TABLES[table].primaryKey;
    const entries = [...changes.rows].map(([id, change]) => ({
      key: id,
      base_key: change.baseKey,
      patch: change.patch,
    }));
    await this.#session.query(
      `CREATE TEMP TABLE replayed_rows AS
       SELECT r.* FROM jsonb_to_recordset($1::jsonb) AS c (key text, base_key text, patch jsonb)
       LEFT JOIN pg_temp.${table} AS b ON b.${key}::text = c.base_key
       CROSS JOIN LATERAL jsonb_populate_record(b, c.patch) AS r
       WHERE c.patch IS NOT NULL`,
      [JSON.stringify(entries)],
    );
    if (changes.truncated) {
      await this.#session.query(`DELETE FROM pg_temp.${table}`);
    } else {
      const touched = new Set(entries.flatMap((e) => (e.base_key ? [e.key, e.base_key] : [e.key])));
      await this.#session.query(`DELETE FROM pg_temp.${table} WHERE ${key}::text = ANY($1::text[])`, [
        [...touched],
      ]);
    }
    await this.#session.query(`INSERT INTO pg_temp.${table} SELECT * FROM pg_temp.replayed_rows`);
    await this.#session.query('DROP TABLE pg_temp.replayed_rows');
  }

  /** Ends both connections: the temporary slot and the copies go with them. */
  async close(): Promise<void> {
    await this.#session.end().catch(() => undefined);
    await this.#snapshot.close();
  }
}
