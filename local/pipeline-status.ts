/**
 * @module
 * The pipeline's lag figures (README, Watching lag) for `status`, read from outside the running process so
 * `status` works from another terminal while `up` runs: the slot's WAL lag on the source, the lake lag per
 * table and end-to-end latency from what the loader recorded in `pipeline`, the warehouse cut and row
 * counts, and the error objects waiting under the lake's error prefix.
 */
import { formatLsn, parseLsn } from '../core/lsn.ts';
import { DEFAULTS, ENV } from '../core/operations.ts';
import type { ObjectStore } from '../core/ports/object-store.ts';
import { LAKE_TABLE_NAMES, type LakeTableName } from '../core/schema/lake-tables.ts';
import type { SourceTableName } from '../core/schema/source-tables.ts';
import { quarantinedSpoolFiles } from '../firehose/spool.ts';
import { FsObjectStore } from '../lake/fs-object-store.ts';
import { type QuarantineNote, quarantineNotes } from '../lake/unreadable-objects.ts';
import { createClient } from '../postgres/connections.ts';
import { type ReaderTableStatus, readerStatus } from '../reader/reader-status.ts';
import { describeDrift, type SchemaDrift } from '../reader/schema-drift.ts';
import { FileStateStore } from '../reader/state/file-state-store.ts';
import { readWarehouseStatus, slowestLakeLag, type WarehouseStatus } from '../warehouse/warehouse-status.ts';
import { LOCAL_LAKE_BUCKET, pipelinePaths } from './data-dir-layout.ts';

/** The pipeline part of `status --json`. */
export interface PipelineStatus {
  readonly reader: {
    readonly slot: string;
    readonly lagBytes: number | null;
    readonly active: boolean | null;
    /** Seconds since the oldest commit not yet accepted, as the running reader last recorded it. */
    readonly lagSeconds: number | null;
    /** Tables whose initial snapshot is not finished. */
    readonly snapshotPending: readonly string[];
    /** Every table's state in the reader: since when, at which LSN, and why and what to do if errored. */
    readonly tables: readonly ReaderTableStatus[];
    /** Source tables whose columns no longer match the pipeline's schema. */
    readonly schemaDrift: readonly SchemaDrift[];
    /**
     * Changes too large to ship, set aside under `errors/<table>/reader-failed/`, whose key waits for its next
     * change to settle it (README, "How a set-aside row reaches the warehouse"); LSN in `X/Y` form.
     */
    readonly setAside: readonly SetAsideChange[];
  };
  readonly lake: {
    readonly lagSeconds: Readonly<Partial<Record<LakeTableName, number>>>;
    /** Error objects waiting under `errors/<table>/`, per lake table (only tables that have some). */
    readonly errorsWaiting: Readonly<Partial<Record<LakeTableName, number>>>;
    /** Lake objects that could not be read, moved to `quarantine/` (lake/unreadable-objects.ts). */
    readonly quarantined: readonly QuarantineNote[];
  };
  readonly spool: {
    /** Damaged bytes of the local Firehose's spool, copied aside (`firehose/spool.ts`); empty when none. */
    readonly quarantined: readonly string[];
  };
  /** The cut's LSN in PostgreSQL's `X/Y` form. */
  readonly warehouse: WarehouseStatus['warehouse'];
  readonly endToEnd: WarehouseStatus['endToEnd'];
  /** Seconds per stage (null where not known yet). */
  readonly lag: {
    readonly reader: number | null;
    readonly lake: number | null;
    readonly warehouse: number | null;
    readonly endToEnd: number | null;
  };
}

/** One set-aside change as `status` names it: its table, LSN and error object (never its key's values). */
export interface SetAsideChange {
  readonly table: SourceTableName;
  readonly lsn: string;
  readonly object: string;
}

/** Where to look. */
export interface PipelineStatusOptions {
  readonly sourceUrl: string;
  readonly warehouseUrl: string;
  readonly dataDir: string;
  /** The lake bucket (S3 for a deployed lake); by default the local lake under `dataDir`. */
  readonly lake?: ObjectStore;
  readonly slot?: string;
}

/** Reads every stage's figures; a stage that is not set up yet reports nulls, not an error. */
export async function readPipelineStatus(options: PipelineStatusOptions): Promise<PipelineStatus> {
  const slot = options.slot ?? process.env[ENV.slotName] ?? DEFAULTS.slotName;
  const warehouse = createClient({ connectionString: options.warehouseUrl });
  await warehouse.connect();
  try {
    const reader = await readerStatus({
      sourceUrl: options.sourceUrl,
      stateStore: new FileStateStore(pipelinePaths(options.dataDir).state),
      slot,
    });
    const { lakeLagSeconds: lakeLag, warehouse: stored, endToEnd } = await readWarehouseStatus(warehouse);
    const lakeStore =
      options.lake ?? new FsObjectStore(pipelinePaths(options.dataDir).lake, LOCAL_LAKE_BUCKET);
    return {
      reader: {
        slot,
        lagBytes: reader.slot.lagBytes,
        active: reader.slot.exists ? reader.slot.active : null,
        lagSeconds: reader.metrics?.lagSeconds ?? null,
        snapshotPending: reader.snapshotPending,
        schemaDrift: reader.schemaDrift,
        setAside: reader.setAside.map(({ table, lsn, object }) => ({
          table,
          lsn: formatLsn(BigInt(lsn)),
          object,
        })),
        // Every LSN a person or a script reads is in X/Y form (README, "--json").
        tables: reader.tables.map((t) => ({ ...t, lsn: t.lsn === null ? null : formatLsn(parseLsn(t.lsn)) })),
      },
      lake: {
        lagSeconds: lakeLag,
        errorsWaiting: await errorsWaiting(lakeStore),
        quarantined: await quarantineNotes(lakeStore),
      },
      spool: { quarantined: await quarantinedSpoolFiles(pipelinePaths(options.dataDir).spool) },
      warehouse: stored,
      endToEnd,
      lag: {
        reader: reader.metrics?.lagSeconds ?? null,
        lake: slowestLakeLag({ lakeLagSeconds: lakeLag }),
        warehouse: stored.lagSeconds,
        endToEnd: endToEnd.p95,
      },
    };
  } finally {
    await warehouse.end();
  }
}

/** Error objects under `errors/<table>/` of the lake bucket, per table (tables with none left out). */
async function errorsWaiting(lake: ObjectStore): Promise<Partial<Record<LakeTableName, number>>> {
  const counts: Partial<Record<LakeTableName, number>> = {};
  for (const table of LAKE_TABLE_NAMES) {
    const n = (await lake.list(`errors/${table}/`)).length;
    if (n > 0) counts[table] = n;
  }
  return counts;
}

/** A few lines for the human `status` (every LSN in `X/Y` form, as in --json). */
export function formatPipelineStatus(status: PipelineStatus): string {
  const seconds = (s: number | null) => (s === null ? '-' : `${s.toFixed(1)} s`);
  const lines = [
    `reader  slot ${status.reader.slot}: ${status.reader.lagBytes ?? '-'} bytes behind${status.reader.active === false ? ' (inactive)' : ''}`,
    ...formatTableStates(status.reader.tables),
  ];
  for (const drift of status.reader.schemaDrift) {
    lines.push(`        schema drift in source table ${drift.table}: ${describeDrift(drift)}`);
  }
  for (const change of status.reader.setAside) {
    lines.push(
      `        set aside (too large to ship) at ${change.lsn} in ${change.table}: ${change.object}, waiting for its row's next change`,
    );
  }
  lines.push(`lake    lag ${seconds(status.lag.lake)} (newest watermark, slowest table)`);
  for (const [table, n] of Object.entries(status.lake.errorsWaiting)) {
    lines.push(
      `        ${n} error objects waiting under errors/${table}/ (see \`totesys-stream errors list\`)`,
    );
  }
  for (const note of status.lake.quarantined) {
    lines.push(`        quarantined (${note.kind}, its table re-read at ${note.at}): ${note.key}`);
  }
  for (const path of status.spool.quarantined) {
    lines.push(
      `spool   DAMAGED bytes quarantined in ${path}: run reconcile, then resnapshot what it reports`,
    );
  }
  const cut = status.warehouse.cut;
  lines.push(
    `warehouse cut ${cut.lsn === null ? 'none' : formatLsn(parseLsn(cut.lsn))} (commit ${cut.commitTs ?? '-'}), lag ${seconds(status.lag.warehouse)}`,
  );
  lines.push(
    `        rows ${Object.entries(status.warehouse.rows)
      .map(([t, n]) => `${t} ${n}`)
      .join(', ')}`,
  );
  lines.push(
    `end-to-end last load p50 ${seconds(status.endToEnd.p50)}, p95 ${seconds(status.endToEnd.p95)}, max ${seconds(status.endToEnd.max)}`,
  );
  return lines.join('\n');
}

/** One line per source table (state, since when, LSN in X/Y form), with reason and remedy under an errored one. */
function formatTableStates(tables: readonly ReaderTableStatus[]): string[] {
  const width = Math.max(0, ...tables.map((t) => t.table.length));
  return tables.flatMap((t, index) => {
    const at = t.lsn === null ? '' : ` at ${formatLsn(parseLsn(t.lsn))}`;
    const since = t.since === null ? '' : ` since ${t.since}`;
    const line = `${index === 0 ? 'tables ' : '       '} ${t.table.padEnd(width)}  ${t.state}${at}${since}`;
    return t.state === 'errored'
      ? [line, `         reason: ${t.reason ?? '-'}`, `         remedy: ${t.remedy ?? '-'}`]
      : [line];
  });
}
