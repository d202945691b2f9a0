/**
 * @module
 * Shared pieces of the reader tests: waiting for a condition with a deadline, rebuilding table state from
 * change events the way downstream does (dedupe on (table, key, lsn, seq), order by (lsn, seq)), reading the
 * source's state independently of the reader's decoders, and small fixture rows.
 */
import pg from 'pg';
import { type ChangeEvent, dedupeKey, type SourceValue } from '../../core/change-event.ts';
import type { Log, LogEntry } from '../../core/ports/log.ts';
import type { StateStore } from '../../core/ports/state-store.ts';
import { SOURCE_TABLE_NAMES, SOURCE_TABLES } from '../../core/schema/source-tables.ts';
import { runReader } from '../../reader/reader-loop.ts';
import { MemoryChangeStream } from '../../testing/memory-change-stream.ts';
import { memoryLog as memoryEntries } from '../../testing/memory-operations.ts';

export { waitFor } from '../support/wait-for.ts';

/** Table name to (primary key text to row). */
export type TableState = Map<string, Map<string, Record<string, SourceValue>>>;

/** Rebuilds every table's rows from events as the loader would. */
export function replay(events: readonly ChangeEvent[]): TableState {
  const unique = new Map<string, ChangeEvent>();
  for (const event of events) if (event.op !== 'w') unique.set(dedupeKey(event), event);
  const ordered = [...unique.values()].sort((a, b) => {
    const byLsn = BigInt(a.lsn) - BigInt(b.lsn);
    return byLsn !== 0n ? (byLsn < 0n ? -1 : 1) : a.seq - b.seq;
  });
  const state: TableState = new Map(SOURCE_TABLE_NAMES.map((table) => [table, new Map()]));
  for (const event of ordered) {
    const rows = state.get(event.table)!;
    const key = JSON.stringify(event.key);
    if (event.op === 't') rows.clear();
    else if (event.op === 'd') rows.delete(key);
    else if (event.op === 'u') rows.set(key, { ...rows.get(key), ...event.row });
    else if (event.op === 'c' || event.op === 'r') rows.set(key, { ...event.row });
  }
  return state;
}

/** Reads every source table as text (an identity parser on this client only) and types it by the catalog. */
export async function sourceState(url: string): Promise<TableState> {
  const client = new pg.Client({
    connectionString: url,
    options: '-c DateStyle=ISO,YMD',
    types: { getTypeParser: () => (text: string) => text } as unknown as pg.CustomTypesConfig,
  });
  await client.connect();
  try {
    const state: TableState = new Map();
    for (const table of SOURCE_TABLE_NAMES) {
      const spec = SOURCE_TABLES[table];
      const result = await client.query<Record<string, string | null>>(
        `SELECT * FROM ${client.escapeIdentifier(table)}`,
      );
      const rows = new Map<string, Record<string, SourceValue>>();
      for (const raw of result.rows) {
        const row: Record<string, SourceValue> = {};
        for (const column of spec.columns) {
          const text = raw[column.name] ?? null;
          row[column.name] =
            text === null
              ? null
              : column.type === 'integer'
                ? Number(text)
                : column.type === 'boolean'
                  ? text === 't'
                  : text;
        }
        rows.set(JSON.stringify({ [spec.primaryKey]: row[spec.primaryKey] }), row);
      }
      state.set(table, rows);
    }
    return state;
  } finally {
    await client.end();
  }
}

/** Plain object form of a table state, for readable equality assertions. */
export function asObject(state: TableState): Record<string, Record<string, Record<string, SourceValue>>> {
  return Object.fromEntries([...state].map(([table, rows]) => [table, Object.fromEntries(rows)]));
}

/** The events of a table with a given op, in acceptance order. */
export function eventsOf(
  events: readonly ChangeEvent[],
  table: string,
  op?: ChangeEvent['op'],
): ChangeEvent[] {
  return events.filter((event) => event.table === table && (op === undefined || event.op === op));
}

/** Inserts one currency row and returns nothing; the id is explicit so tests can name it. */
export async function insertCurrency(client: pg.ClientBase, id: number, code: string): Promise<void> {
  await client.query(
    `INSERT INTO currency (currency_id, currency_code, created_at, last_updated)
     VALUES ($1, $2, '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962')`,
    [id, code],
  );
}

/** Inserts `count` departments with ids from `firstId`, set-based. */
export async function insertDepartments(
  client: pg.ClientBase,
  firstId: number,
  count: number,
): Promise<void> {
  await client.query(
    `INSERT INTO department (department_id, department_name, location, manager, created_at, last_updated)
     SELECT g, 'Dept ' || g, CASE WHEN g % 3 = 0 THEN NULL ELSE 'Leeds' END, 'Manager ' || g,
            '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962'
       FROM generate_series($1::int, $1::int + $2::int - 1) AS g`,
    [firstId, count],
  );
}

/** The slot's confirmed_flush_lsn as a bigint (0 when the slot is missing). */
export async function confirmedFlush(client: pg.ClientBase, slot: string): Promise<bigint> {
  const result = await client.query<{ lsn: string | null }>(
    `SELECT (confirmed_flush_lsn - '0/0')::text AS lsn FROM pg_replication_slots WHERE slot_name = $1`,
    [slot],
  );
  return BigInt(result.rows[0]?.lsn ?? '0');
}

/** Collects log entries instead of printing them. */
export function memoryLog(): { lines: LogEntry[]; log: Log } {
  const { entries, log } = memoryEntries();
  return { lines: entries, log };
}

/** The source's current WAL position, as a 64-bit LSN. */
export async function currentWalLsn(client: pg.ClientBase): Promise<bigint> {
  const result = await client.query<{ lsn: string }>(`SELECT (pg_current_wal_lsn() - '0/0')::text AS lsn`);
  return BigInt(result.rows[0]!.lsn);
}

/**
 * Runs the reader once on an otherwise quiet database, so its slot exists and the initial snapshot is done:
 * what a test writes afterwards arrives as streamed changes.
 */
export async function primeSlot(
  database: { readonly url: string; readonly name: string },
  stateStore: StateStore,
  log: Log,
): Promise<void> {
  await runReader({
    sourceUrl: database.url,
    slot: database.name,
    changeStream: new MemoryChangeStream(),
    stateStore,
    stopAtLsn: 'current',
    log,
  });
}
