/**
 * @module
 * The reader's figures for `status` in another process: the slot as PostgreSQL sees it (lag in bytes, active,
 * WAL status) and what the running reader last persisted (metrics, snapshot progress, pending re-reads).
 */
import type pg from 'pg';
import { DEFAULTS } from '../core/operations.ts';
import type { StateStore } from '../core/ports/state-store.ts';
import { SOURCE_TABLE_NAMES, type SourceTableName } from '../core/schema/source-tables.ts';
import { createClient } from '../postgres/connections.ts';
import { inspectSlot, type SlotFacts } from '../source/source-inspector.ts';
import { METRICS_STATE_KEY, type ReaderMetricsSnapshot } from './reader-metrics.ts';
import { pendingResnapshots, requestedTables } from './resnapshot-requests.ts';
import { driftedTables, type SchemaDrift } from './schema-drift.ts';
import { lastCopy, pendingRecord, type TableRecord, type TableStateKind } from './table-state.ts';
import { parseTableStates, TABLE_STATES_KEY } from './table-states.ts';
import { type SetAsideKey, setAsideKeysWaiting } from './unshippable-changes.ts';

/** One table as `status` shows it. */
export interface ReaderTableStatus {
  readonly table: SourceTableName;
  readonly state: TableStateKind;
  /** When the table entered the state (UTC ISO-8601); null if the reader never moved it or did before it kept times. */
  readonly since: string | null;
  /** The LSN (decimal) its rows were last copied at, or the point a copy under way reads at; null before any. */
  readonly lsn: string | null;
  /** Why the table is errored, and what to do. */
  readonly reason?: string;
  readonly remedy?: string;
}

/** What `status` shows about the reader. */
export interface ReaderStatus {
  readonly slot: {
    readonly name: string;
    readonly exists: boolean;
    readonly active: boolean;
    /** WAL bytes between the server's current position and the slot's confirmed position. */
    readonly lagBytes: number | null;
    readonly confirmedFlushLsn: string | null;
    /** `reserved`, `extended`, `unreserved` or `lost` (alert on the last three). */
    readonly walStatus: string | null;
  };
  /** The reader's last persisted metrics, if it ever ran. */
  readonly metrics: ReaderMetricsSnapshot | undefined;
  /** Every table's state, as the reader last persisted it (reader/table-state.ts). */
  readonly tables: readonly ReaderTableStatus[];
  /** Tables whose initial snapshot is not finished yet. */
  readonly snapshotPending: readonly SourceTableName[];
  readonly resnapshotRequested: readonly SourceTableName[];
  /** Source tables whose columns no longer match the pipeline's schema (reader/schema-drift.ts). */
  readonly schemaDrift: readonly SchemaDrift[];
  /** Changes too large to ship, set aside under `errors/`, whose key waits for its next change (reader/unshippable-changes.ts). */
  readonly setAside: readonly SetAsideKey[];
}

/** Reads the reader's status; the source connection is only read from. */
export async function readerStatus(options: {
  readonly sourceUrl?: string;
  readonly source?: pg.ClientConfig;
  readonly stateStore: StateStore;
  readonly slot?: string;
}): Promise<ReaderStatus> {
  const slot = options.slot ?? DEFAULTS.slotName;
  const client = createClient(options.source ?? { connectionString: options.sourceUrl });
  await client.connect();
  let row: SlotFacts | undefined;
  try {
    row = await inspectSlot(client, slot);
  } finally {
    await client.end();
  }
  const [metrics, snapshot, requests, schemaDrift, setAside] = await Promise.all([
    options.stateStore.get(METRICS_STATE_KEY),
    options.stateStore.get(TABLE_STATES_KEY),
    pendingResnapshots(options.stateStore),
    driftedTables(options.stateStore),
    setAsideKeysWaiting(options.stateStore),
  ]);
  const document = snapshot === undefined ? undefined : parseTableStates(snapshot);
  // Copies made for another slot do not count for this one (the reader copies every table again).
  const records = document?.slot === slot ? document.tables : {};
  const tables = SOURCE_TABLE_NAMES.map((table) => tableStatus(table, records[table] ?? pendingRecord()));
  return {
    slot: {
      name: slot,
      exists: row !== undefined,
      active: row?.active ?? false,
      lagBytes: row?.lagBytes ?? null,
      confirmedFlushLsn: row?.confirmedFlushLsn ?? null,
      walStatus: row?.walStatus ?? null,
    },
    metrics,
    tables,
    snapshotPending: SOURCE_TABLE_NAMES.filter(
      (table) => !lastCopy((records[table] ?? pendingRecord()).state),
    ),
    resnapshotRequested: requestedTables(requests),
    schemaDrift,
    setAside,
  };
}

function tableStatus(table: SourceTableName, record: TableRecord): ReaderTableStatus {
  const { state, since } = record;
  const point = state.kind === 'copying' || state.kind === 're-reading' ? state.point : undefined;
  const base = { table, state: state.kind, since, lsn: point ?? lastCopy(state)?.lsn ?? null };
  return state.kind === 'errored' ? { ...base, reason: state.reason, remedy: state.remedy } : base;
}
