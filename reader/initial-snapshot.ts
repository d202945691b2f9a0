/**
 * @module
 * The initial snapshot and on-demand re-reads, resumable per table through the StateStore.
 *
 * First run: the slot is created with an exported snapshot and every table is copied under it, emitted as `r`
 * events at the slot's consistent point. Each table moves through its states (reader/table-state.ts) as it
 * is copied, persisted in the StateStore (reader/table-states.ts), so a crash resumes with the tables still
 * missing. Those are re-read under a fresh exact point: a TEMPORARY slot with
 * its own exported snapshot, whose consistent point becomes the re-read rows' LSN. Downstream orders by
 * (lsn, seq) and dedupes, so the result is still exactly the source. `--resnapshot TABLE` uses the same
 * re-read while streaming continues; another process asks for one through `reader/resnapshot-requests.ts`.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { describeErrorChain } from '../core/error-chain.ts';
import { type Lsn, lsnToDecimal } from '../core/lsn.ts';
import type { ChangeStream, PutReport } from '../core/ports/change-stream.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { Log } from '../core/ports/log.ts';
import type { CompleteRead } from '../core/ports/round-log.ts';
import { lakeTableForSource } from '../core/schema/lake-tables.ts';
import { SOURCE_TABLE_NAMES, type SourceTableName } from '../core/schema/source-tables.ts';
import { createClient } from '../postgres/connections.ts';
import { snapshotEvents, snapshotRowsLsn } from './change-events.ts';
import { PutPipeline } from './put-pipeline.ts';
import { copyTable, createExportedSnapshot, type ExportedSnapshot, SnapshotError } from './snapshot-copy.ts';
import { findSlot } from './source-setup.ts';
import { lastCopy, type TableCopy, type TableState } from './table-state.ts';
import type { TableStates } from './table-states.ts';

/** A copy stopped because the reader is stopping; the table goes back to where the copy started. */
export class SnapshotAbandonedError extends Error {
  override readonly name = 'SnapshotAbandonedError';
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
  /** Every table's state; each copy moves its table through it (reader/table-state.ts). */
  readonly tables: TableStates;
  /** Times the copies' progress. */
  readonly clock: Clock;
  /** Bytes of rows per put. */
  readonly batchBytes: number;
  /** Bytes of rows in unresolved puts. */
  readonly maxInFlightBytes: number;
  readonly onProgress?: (progress: SnapshotProgress) => void;
  /** Receives each resolved put's report (metrics). */
  readonly onReport?: (report: PutReport) => void;
  /**
   * Told of each table copied to the end, once every row was accepted and before the table is recorded as
   * copied (the reader records it in the round log: the loader treats keys absent from it as deleted).
   */
  readonly onCompleteRead?: (read: CompleteRead) => Promise<void>;
  /** Checked between batches: a copy abandoned this way runs again later. */
  readonly shouldStop?: () => boolean;
  readonly log: Log;
}

/** One table copied to the end. */
export interface CopiedTable extends TableCopy {
  readonly table: SourceTableName;
}

/** What a snapshot step did. */
export interface SnapshotSummary {
  /** True when the slot was created by this run. */
  readonly createdSlot: boolean;
  readonly tables: readonly CopiedTable[];
}

/**
 * Makes sure the slot exists and every table has been copied; copies what is missing. Call before
 * streaming. Idempotent: a finished snapshot costs one catalog query.
 */
export async function ensureSnapshot(context: SnapshotContext): Promise<SnapshotSummary> {
  const slot = await withClient(context.connection, (client) => findSlot(client, context.slot));
  const copied: CopiedTable[] = [];
  let createdSlot = false;
  if (!slot) {
    if (context.tables.uncopied().length < SOURCE_TABLE_NAMES.length) {
      context.log.warn('slot missing; snapshotting every table again', { slot: context.slot });
    }
    const snapshot = await createExportedSnapshot(context.connection, context.slot, false, context.clock);
    createdSlot = true;
    try {
      await context.tables.startSlot(lsnToDecimal(snapshot.consistentPoint));
      copied.push(...(await copyTables(context, snapshot, SOURCE_TABLE_NAMES)));
      return { createdSlot, tables: copied };
    } catch (error) {
      // The exported snapshot is gone (its connection dropped): the tables still missing are re-read below
      // under a fresh point. Errors of the change stream are not ours to absorb.
      if (!(error instanceof SnapshotError)) throw error;
      context.log.warn('exported snapshot lost; re-reading the rest under a fresh point');
    } finally {
      await snapshot.close();
    }
  }
  const remaining = context.tables.uncopied();
  if (remaining.length === 0) return { createdSlot, tables: copied };
  context.log.info('resuming snapshot under a fresh point', { tables: remaining });
  copied.push(...(await rereadTables(context, remaining)));
  return { createdSlot, tables: copied };
}

/**
 * Copies tables under a fresh exact point (a temporary slot's exported snapshot): the rest of a snapshot, or
 * a `--resnapshot`. `onPoint` learns the point before any row is put (the caller holds watermarks below it
 * until done).
 */
export async function rereadTables(
  context: SnapshotContext,
  tables: readonly SourceTableName[],
  onPoint?: (point: Lsn) => void,
): Promise<CopiedTable[]> {
  const temporarySlot = `${context.slot.slice(0, 40)}_reread_${randomBytes(4).toString('hex')}`;
  const snapshot = await createExportedSnapshot(context.connection, temporarySlot, true, context.clock);
  try {
    onPoint?.(snapshot.consistentPoint);
    return await copyTables(context, snapshot, tables);
  } finally {
    await snapshot.close();
  }
}

/**
 * Copies each table under `snapshot`, moving it to copying (first copy) or re-reading (copied before), then
 * to copied once every row was accepted. A copy that stops with the reader (or loses its snapshot) goes back
 * to where it started; one that fails is errored with the reason, and the error goes on to the caller.
 */
async function copyTables(
  context: SnapshotContext,
  snapshot: ExportedSnapshot,
  tables: readonly SourceTableName[],
): Promise<CopiedTable[]> {
  const done: CopiedTable[] = [];
  const point = lsnToDecimal(snapshot.consistentPoint);
  for (const table of tables) {
    const last = lastCopy(context.tables.state(table));
    await context.tables.move(table, last ? { kind: 're-reading', point, last } : { kind: 'copying', point });
    let rows: number;
    try {
      rows = await copyOneTable(context, snapshot, table);
    } catch (error) {
      await context.tables.move(table, afterFailedCopy(error, last));
      throw error;
    }
    // Recorded only after every row was accepted: a crash before this line copies the whole table again.
    await context.onCompleteRead?.({
      table: lakeTableForSource(table).name,
      lsn: lsnToDecimal(snapshotRowsLsn(snapshot.consistentPoint)),
      commitTs: snapshot.takenAt.toISOString(),
      rows,
    });
    await context.tables.move(table, { kind: 'copied', lsn: point, rows });
    context.log.info('table snapshotted', { table, rows, lsn: point });
    done.push({ table, rows, lsn: point });
  }
  return done;
}

/** Where a table goes when its copy did not finish: back where it was, or errored with reason and remedy. */
function afterFailedCopy(error: unknown, last: TableCopy | undefined): TableState {
  if (error instanceof SnapshotAbandonedError || error instanceof SnapshotError) {
    return last ? { kind: 'copied', ...last } : { kind: 'pending' };
  }
  return {
    kind: 'errored',
    reason: describeErrorChain(error),
    remedy: last
      ? 'The re-read stays requested and runs again at the next poll; fix the cause named in the reason (the change stream, the source connection).'
      : 'The next run of the reader copies the table again; fix the cause named in the reason (the change stream, the source connection).',
    ...(last ? { last } : {}),
  };
}

/** Puts every row of one table as `r` events at the snapshot's point; resolves once all were accepted. */
async function copyOneTable(
  context: SnapshotContext,
  snapshot: ExportedSnapshot,
  table: SourceTableName,
): Promise<number> {
  const pipeline = new PutPipeline({
    stream: context.stream,
    maxInFlightBytes: context.maxInFlightBytes,
    onReport: context.onReport,
  });
  const started = context.clock.now();
  const rate = (rows: number) => rows / Math.max((context.clock.now() - started) / 1000, 0.001);
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
      context.onProgress?.({ table, rows: seq, rowsPerSecond: rate(seq), done: false });
    },
  });
  await pipeline.drain();
  context.onProgress?.({ table, rows, rowsPerSecond: rate(rows), done: true });
  return rows;
}

async function withClient<T>(
  connection: pg.ClientConfig,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = createClient(connection);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
