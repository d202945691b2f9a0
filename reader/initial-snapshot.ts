/**
 * @module
 * The initial snapshot and on-demand re-reads, resumable per table through the StateStore.
 *
 * First run: the slot is created with an exported snapshot and every table is copied under it, emitted as `r`
 * events at the slot's consistent point. Each finished table is recorded in `reader/snapshot`, so a crash
 * resumes with the tables still missing. Those are re-read under a fresh exact point: a TEMPORARY slot with
 * its own exported snapshot, whose consistent point becomes the re-read rows' LSN. Downstream orders by
 * (lsn, seq) and dedupes, so the result is still exactly the source. `--resnapshot TABLE` uses the same
 * re-read while streaming continues; another process asks for one through `reader/resnapshot-requests.ts`.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Lsn, lsnToDecimal } from '../core/lsn.ts';
import type { ChangeStream, PutReport } from '../core/ports/change-stream.ts';
import type { Log } from '../core/ports/log.ts';
import { type StateStore, stateKey } from '../core/ports/state-store.ts';
import { SOURCE_TABLE_NAMES, type SourceTableName } from '../core/schema/source-tables.ts';
import { snapshotEvents } from './change-events.ts';
import { PutPipeline } from './put-pipeline.ts';
import { copyTable, createExportedSnapshot, type ExportedSnapshot, SnapshotError } from './snapshot-copy.ts';
import { findSlot } from './source-setup.ts';

/** A re-read stopped because the reader is stopping; it is still requested and runs again. */
export class SnapshotAbandonedError extends Error {
  override readonly name = 'SnapshotAbandonedError';
}

/** StateStore key of the snapshot's progress. */
export const SNAPSHOT_STATE_KEY = stateKey<SnapshotState>('reader/snapshot');

/** The persisted snapshot progress. */
export interface SnapshotState {
  readonly slot: string;
  /** The slot's consistent point (decimal LSN). */
  readonly consistentPoint: string;
  /** Tables whose rows were all accepted, with the LSN they were read at and their row count. */
  readonly tables: Partial<Record<SourceTableName, { readonly lsn: string; readonly rows: number }>>;
}

/** Progress of one table's copy, for a progress bar. */
export interface SnapshotProgress {
  readonly table: SourceTableName;
  readonly rows: number;
  readonly rowsPerSecond: number;
  readonly done: boolean;
}

/** What the snapshot step needs. */
export interface SnapshotContext {
  readonly connection: pg.ClientConfig;
  readonly slot: string;
  readonly stream: ChangeStream;
  readonly stateStore: StateStore;
  /** Bytes of rows per put. */
  readonly batchBytes: number;
  /** Bytes of rows in unresolved puts. */
  readonly maxInFlightBytes: number;
  readonly onProgress?: (progress: SnapshotProgress) => void;
  /** Receives each resolved put's report (metrics). */
  readonly onReport?: (report: PutReport) => void;
  /** Checked between batches: a re-read abandoned this way stays requested and runs again later. */
  readonly shouldStop?: () => boolean;
  readonly log: Log;
}

/** What a snapshot step did. */
export interface SnapshotSummary {
  /** True when the slot was created by this run. */
  readonly createdSlot: boolean;
  readonly tables: readonly { table: SourceTableName; rows: number; lsn: string }[];
}

/**
 * Makes sure the slot exists and every table has been snapshotted; copies what is missing. Call before
 * streaming. Idempotent: a finished snapshot costs one state read and one catalog query.
 */
export async function ensureSnapshot(context: SnapshotContext): Promise<SnapshotSummary> {
  let state = await context.stateStore.get(SNAPSHOT_STATE_KEY);
  if (state && state.slot !== context.slot) state = undefined;
  const slot = await withClient(context.connection, (client) => findSlot(client, context.slot));
  const copied: { table: SourceTableName; rows: number; lsn: string }[] = [];
  let createdSlot = false;
  if (!slot) {
    if (state) {
      context.log.warn('slot missing; snapshotting every table again', { slot: context.slot });
    }
    const snapshot = await createExportedSnapshot(context.connection, context.slot, false);
    createdSlot = true;
    try {
      state = { slot: context.slot, consistentPoint: lsnToDecimal(snapshot.consistentPoint), tables: {} };
      await context.stateStore.put(SNAPSHOT_STATE_KEY, state);
      copied.push(...(await copyTables(context, snapshot, SOURCE_TABLE_NAMES, state)));
      return { createdSlot, tables: copied };
    } catch (error) {
      // The exported snapshot is gone (its connection dropped): the tables still missing are re-read below
      // under a fresh point. Errors of the change stream are not ours to absorb.
      if (!(error instanceof SnapshotError)) throw error;
      context.log.warn('exported snapshot lost; re-reading the rest under a fresh point');
    } finally {
      await snapshot.close();
    }
    state = await context.stateStore.get(SNAPSHOT_STATE_KEY);
  }
  const base: SnapshotState = state ?? { slot: context.slot, consistentPoint: '0', tables: {} };
  const remaining = SOURCE_TABLE_NAMES.filter((table) => !base.tables[table]);
  if (remaining.length === 0) return { createdSlot, tables: copied };
  context.log.info('resuming snapshot under a fresh point', { tables: remaining });
  copied.push(...(await rereadTables(context, remaining, base)));
  return { createdSlot, tables: copied };
}

/**
 * Re-reads tables under a fresh exact point (a temporary slot's exported snapshot), e.g. for `--resnapshot`.
 * `onPoint` learns the point before any row is put (the caller holds watermarks below it until done).
 */
export async function rereadTables(
  context: SnapshotContext,
  tables: readonly SourceTableName[],
  state?: SnapshotState,
  onPoint?: (point: Lsn) => void,
): Promise<{ table: SourceTableName; rows: number; lsn: string }[]> {
  const temporarySlot = `${context.slot.slice(0, 40)}_reread_${randomBytes(4).toString('hex')}`;
  const snapshot = await createExportedSnapshot(context.connection, temporarySlot, true);
  try {
    onPoint?.(snapshot.consistentPoint);
    let current = state ?? (await context.stateStore.get(SNAPSHOT_STATE_KEY));
    const result = [];
    for (const table of tables) {
      const done = await copyTables(context, snapshot, [table], current);
      result.push(...done);
      current = await context.stateStore.get(SNAPSHOT_STATE_KEY);
    }
    return result;
  } finally {
    await snapshot.close();
  }
}

async function copyTables(
  context: SnapshotContext,
  snapshot: ExportedSnapshot,
  tables: readonly SourceTableName[],
  state: SnapshotState | undefined,
): Promise<{ table: SourceTableName; rows: number; lsn: string }[]> {
  const done: { table: SourceTableName; rows: number; lsn: string }[] = [];
  let progressState = state;
  for (const table of tables) {
    const pipeline = new PutPipeline({
      stream: context.stream,
      maxInFlightBytes: context.maxInFlightBytes,
      onReport: context.onReport,
    });
    const started = Date.now();
    let seq = 0;
    const rows = await copyTable({
      connection: context.connection,
      snapshotName: snapshot.snapshotName,
      table,
      batchBytes: context.batchBytes,
      sink: async (batch, bytes) => {
        if (context.shouldStop?.())
          throw new SnapshotAbandonedError(`Snapshot of table ${table} abandoned: the reader is stopping.`);
        await pipeline.submit(
          snapshotEvents(table, batch, snapshot.consistentPoint, seq, snapshot.takenAt),
          bytes,
        );
        seq += batch.length;
        const seconds = Math.max((Date.now() - started) / 1000, 0.001);
        context.onProgress?.({ table, rows: seq, rowsPerSecond: seq / seconds, done: false });
      },
    });
    await pipeline.drain();
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    context.onProgress?.({ table, rows, rowsPerSecond: rows / seconds, done: true });
    const lsn = lsnToDecimal(snapshot.consistentPoint);
    // Recorded only after every row was accepted: a crash before this line re-reads the whole table.
    progressState = {
      slot: context.slot,
      consistentPoint: progressState?.consistentPoint ?? lsn,
      tables: { ...progressState?.tables, [table]: { lsn, rows } },
    };
    await context.stateStore.put(SNAPSHOT_STATE_KEY, progressState);
    context.log.info('table snapshotted', { table, rows, lsn });
    done.push({ table, rows, lsn });
  }
  return done;
}

async function withClient<T>(
  connection: pg.ClientConfig,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client(connection);
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
