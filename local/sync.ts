/**
 * @module
 * `sync`: run the local pipeline until the warehouse's cut has reached the source's WAL position at the moment
 * sync started, then stop cleanly. Everything committed before sync started is then in the warehouse.
 */
import { formatLsn, parseLsn } from '../core/lsn.ts';
import type { WarehouseTableName } from '../core/schema/warehouse-tables.ts';
import { createClient } from '../postgres/connections.ts';
import { currentWalLsn, inspectSlot } from '../source/source-inspector.ts';
import { assertWarehouseLoadsFrom } from './data-dir-identity.ts';
import { LocalPipeline } from './pipeline.ts';
import { type LocalPipelineOptions, pipelineNames } from './pipeline-options.ts';

/** What `sync --json` prints. */
export interface SyncSummary {
  /** The warehouse's cut, in PostgreSQL's `X/Y` form. */
  readonly cutLsn: string;
  /** The source position sync waited for, in `X/Y` form. */
  readonly targetLsn: string;
  readonly rowsLoaded: Readonly<Partial<Record<WarehouseTableName, number>>>;
  readonly seconds: number;
}

/** Sync options: the pipeline's, and a time limit. */
export interface SyncOptions extends LocalPipelineOptions {
  /** Give up after this long. @default 600000 */
  readonly timeoutMs?: number;
}

/** Sync did not finish: the message says which stage and what to do. */
export class SyncError extends Error {
  override readonly name = 'SyncError';
}

/** The source's current WAL position, as a decimal LSN. */
export async function currentSourceLsn(sourceUrl: string): Promise<bigint> {
  const client = createClient({ connectionString: sourceUrl });
  await client.connect();
  try {
    return parseLsn(await currentWalLsn(client));
  } finally {
    await client.end();
  }
}

/**
 * The slot's confirmed position the first time it is seen, or null while it does not exist. A new slot's
 * confirmed position is its consistent point, where the initial snapshot is read: the rows committed before
 * sync started land in the lake at that LSN, which can be past the WAL position sync started at.
 */
async function slotPosition(sourceUrl: string, slot: string): Promise<bigint | null> {
  const client = createClient({ connectionString: sourceUrl });
  await client.connect();
  try {
    const lsn = (await inspectSlot(client, slot))?.confirmedFlushLsn;
    return lsn ? parseLsn(lsn) : null;
  } finally {
    await client.end();
  }
}

/** Whether another process (`up`) is streaming from the slot right now. */
async function slotActive(sourceUrl: string, slot: string): Promise<boolean> {
  const client = createClient({ connectionString: sourceUrl });
  await client.connect();
  try {
    return (await inspectSlot(client, slot))?.active === true;
  } finally {
    await client.end();
  }
}

/**
 * Waits, polling with a deadline, until the warehouse's cut reaches `target` while another process runs the
 * pipeline (sync must not start a second reader on the same slot).
 */
export async function waitForWarehouseCut(
  warehouseUrl: string,
  target: bigint,
  timeoutMs: number,
): Promise<{ lsn: string }> {
  const deadline = Date.now() + timeoutMs;
  const client = createClient({ connectionString: warehouseUrl });
  await client.connect();
  try {
    for (;;) {
      const result = await client.query<{ lsn: string }>(
        'SELECT lsn::text AS lsn FROM pipeline.cut WHERE id = 1',
      );
      const lsn = result.rows[0]?.lsn;
      if (lsn !== undefined && BigInt(lsn) >= target) return { lsn };
      if (Date.now() >= deadline) {
        throw new SyncError(
          `The running pipeline did not bring the warehouse to ${formatLsn(target)} within ${timeoutMs / 1000} s ` +
            `(cut ${lsn === undefined ? 'none' : formatLsn(BigInt(lsn))}). Check \`totesys-stream status\` in the terminal running \`up\`.`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await client.end();
  }
}

/** Runs the pipeline until the warehouse's cut is at or past the source position sync started at. */
export async function runSync(options: SyncOptions): Promise<SyncSummary> {
  const started = Date.now();
  let target = await currentSourceLsn(options.sourceUrl);
  const names = pipelineNames(options);
  const { slot } = names;
  if (await slotActive(options.sourceUrl, slot)) {
    await assertWarehouseLoadsFrom(options.sourceUrl, options.warehouseUrl, names);
    // `up` is running: it owns the slot; wait for its loader instead of starting a second pipeline.
    const cut = await waitForWarehouseCut(options.warehouseUrl, target, options.timeoutMs ?? 600_000);
    return {
      cutLsn: formatLsn(BigInt(cut.lsn)),
      targetLsn: formatLsn(target),
      rowsLoaded: {},
      seconds: (Date.now() - started) / 1000,
    };
  }
  let slotSeen = false;
  const rowsLoaded: Partial<Record<WarehouseTableName, number>> = {};
  let wake: () => void = () => undefined;
  const pipeline = await LocalPipeline.start({
    ...options,
    onLoad: (outcome) => {
      if (outcome.status === 'loaded') {
        for (const [table, n] of Object.entries(outcome.rowsWritten)) {
          rowsLoaded[table as WarehouseTableName] = (rowsLoaded[table as WarehouseTableName] ?? 0) + (n ?? 0);
        }
      }
      options.onLoad?.(outcome);
      wake();
    },
  });
  const deadline = started + (options.timeoutMs ?? 600_000);
  try {
    for (;;) {
      if (!slotSeen) {
        const position = await slotPosition(options.sourceUrl, slot);
        if (position !== null) {
          slotSeen = true;
          if (position > target) target = position;
        }
      }
      const cut = await pipeline.warehouse.currentCut();
      if (slotSeen && cut && BigInt(cut.lsn) >= target) {
        return {
          cutLsn: formatLsn(BigInt(cut.lsn)),
          targetLsn: formatLsn(target),
          rowsLoaded,
          seconds: (Date.now() - started) / 1000,
        };
      }
      if (pipeline.failure) throw new SyncError(pipeline.failure.message, { cause: pipeline.failure });
      if (Date.now() >= deadline) {
        const loadError = pipeline.lastLoadError
          ? ` Last loader error: ${pipeline.lastLoadError.message}`
          : '';
        throw new SyncError(
          `sync timed out after ${Math.round((Date.now() - started) / 1000)} s: the warehouse is at cut ` +
            `${cut ? formatLsn(BigInt(cut.lsn)) : 'none'}, the source was at ${formatLsn(target)} when sync started.${loadError} ` +
            'Run `totesys-stream status` to see which stage lags, or raise --timeout.',
        );
      }
      // Wait for the next loader run (it runs every second), bounded by the deadline.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, Math.min(2000, deadline - Date.now())));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    await pipeline.stop();
  }
}
