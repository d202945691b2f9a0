/**
 * @module
 * The reader's figures for `status` in another process: the slot as PostgreSQL sees it (lag in bytes, active,
 * WAL status) and what the running reader last persisted (metrics, snapshot progress, pending re-reads).
 */
import pg from 'pg';
import { DEFAULTS } from '../core/operations.ts';
import type { StateStore } from '../core/ports/state-store.ts';
import { SOURCE_TABLE_NAMES, type SourceTableName } from '../core/schema/source-tables.ts';
import { inspectSlot, type SlotFacts } from '../source/source-inspector.ts';
import { SNAPSHOT_STATE_KEY } from './initial-snapshot.ts';
import { METRICS_STATE_KEY, type ReaderMetricsSnapshot } from './reader-metrics.ts';
import { pendingResnapshots, requestedTables } from './resnapshot-requests.ts';
import { driftedTables, type SchemaDrift } from './schema-drift.ts';

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
  /** Tables whose initial snapshot is not finished yet. */
  readonly snapshotPending: readonly SourceTableName[];
  readonly resnapshotRequested: readonly SourceTableName[];
  /** Source tables whose columns no longer match the pipeline's schema (reader/schema-drift.ts). */
  readonly schemaDrift: readonly SchemaDrift[];
}

/** Reads the reader's status; the source connection is only read from. */
export async function readerStatus(options: {
  readonly sourceUrl?: string;
  readonly source?: pg.ClientConfig;
  readonly stateStore: StateStore;
  readonly slot?: string;
}): Promise<ReaderStatus> {
  const slot = options.slot ?? DEFAULTS.slotName;
  const client = new pg.Client(options.source ?? { connectionString: options.sourceUrl });
  await client.connect();
  let row: SlotFacts | undefined;
  try {
    row = await inspectSlot(client, slot);
  } finally {
    await client.end();
  }
  const [metrics, snapshot, requests, schemaDrift] = await Promise.all([
    options.stateStore.get(METRICS_STATE_KEY),
    options.stateStore.get(SNAPSHOT_STATE_KEY),
    pendingResnapshots(options.stateStore),
    driftedTables(options.stateStore),
  ]);
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
    snapshotPending: SOURCE_TABLE_NAMES.filter((table) => !snapshot?.tables[table]),
    resnapshotRequested: requestedTables(requests),
    schemaDrift,
  };
}
