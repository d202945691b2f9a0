/**
 * @module
 * The loader's market step (README, "Market data"): every market lake table's newest fetch of each observation
 * key, from a little before the warehouse's newest fetch, merged into its warehouse table by key. It runs after
 * the star load of each loader run and apart from it: market tables have no LSN and take no part in the
 * consistent cut, the watermarks or the round log. The merge's key and version rule make it safe to repeat
 * and to crash at any point (core/ports/market-warehouse.ts).
 */
import { createHash } from 'node:crypto';
import { type Clock, SYSTEM_CLOCK } from '../core/ports/clock.ts';
import type { Log } from '../core/ports/log.ts';
import type { MarketWarehouse } from '../core/ports/market-warehouse.ts';
import type { ObjectStore } from '../core/ports/object-store.ts';
import type { QueryEngine } from '../core/ports/query-engine.ts';
import { PARTITION_COLUMN } from '../core/schema/lake-tables.ts';
import {
  MARKET_LAKE_TABLE_NAMES,
  MARKET_LAKE_TABLES,
  type MarketLakeTableName,
} from '../core/schema/market-lake-tables.ts';

/**
 * Days read before the warehouse's newest fetch. Rows land in the `dt` of their fetch day; Firehose retries a
 * delivery for up to a day before it gives up (to the error prefix), so an object fetched before the newest
 * merged one lands at most a day late, plus buffering: two days is a safe margin.
 */
export const MARKET_LOOKBACK_DAYS = 2;

/** The first partition of a run with no fetch merged yet. */
const EVERY_DAY = '1970-01-01';

/** Rows merged (inserted or replaced) per market table. */
export type MarketMergeOutcome = Readonly<Record<MarketLakeTableName, number>>;

/** The SQL reading each key's newest fetch of `table` from the `dt` bound to its one parameter. */
export function marketWindowSql(table: MarketLakeTableName): string {
  const definition = MARKET_LAKE_TABLES[table];
  const columns = definition.columns.map((c) => c.name).join(', ');
  return [
    `SELECT ${columns} FROM (`,
    `  SELECT ${columns},`,
    `    row_number() OVER (PARTITION BY ${definition.keyColumns.join(', ')} ORDER BY ${definition.versionColumn} DESC) AS version_rank`,
    `  FROM ${table}`,
    `  WHERE ${PARTITION_COLUMN.name} >= CAST(? AS date)`,
    ') AS versions',
    'WHERE version_rank = 1',
  ].join('\n');
}

/** Merges every market table's new observations; resolves with the rows written per table. */
export async function mergeMarketObservations(deps: {
  readonly engine: QueryEngine;
  readonly warehouse: MarketWarehouse;
}): Promise<MarketMergeOutcome> {
  const outcome: Partial<Record<MarketLakeTableName, number>> = {};
  for (const table of MARKET_LAKE_TABLE_NAMES) {
    const newest = await deps.warehouse.newestFetch(table);
    const from = newest === null ? EVERY_DAY : daysBefore(newest.slice(0, 10), MARKET_LOOKBACK_DAYS);
    const result = await deps.engine.query(marketWindowSql(table), [from]);
    outcome[table] = await deps.warehouse.mergeObservations({
      table,
      columns: result.columns,
      rows: result.rows,
    });
  }
  return outcome as MarketMergeOutcome;
}

/**
 * What the market lake tables hold, as one digest that changes whenever one of their objects is added or removed.
 * A merge over a lake whose digest is the one the last merge saw finds nothing new (the warehouse holds each
 * key's newest fetch already), so a loader running every second skips it: market data land a few times a day.
 */
export async function marketLakeDigest(store: ObjectStore): Promise<string> {
  // Only the keys count: a store that lists them alone (FsObjectStore) stats no object for it.
  const keys = await Promise.all(MARKET_LAKE_TABLE_NAMES.map((table) => store.listKeys(`${table}/`)));
  const digest = createHash('sha256');
  for (const key of keys.flat()) digest.update(`${key}\n`);
  return digest.digest('hex');
}

/**
 * How long a failed merge over an unchanged market lake waits before it is tried again. Without a wait `up`,
 * whose loader runs every second, logged the same ERROR every second; on AWS the loader runs once a minute, so
 * there it retries at about the same cadence as before. A lake that changed is tried at once (a quarantined or
 * new object may be what fixes it).
 */
export const MARKET_MERGE_RETRY_MS = 60_000;

/**
 * What one gated market step did: merged (rows per table), skipped over an unchanged lake, failed, or waited
 * because the last attempt over this same lake failed less than {@link MARKET_MERGE_RETRY_MS} ago.
 */
export type GatedMarketMerge =
  | { readonly status: 'merged'; readonly rows: MarketMergeOutcome }
  | { readonly status: 'unchanged' }
  | { readonly status: 'failed'; readonly error: unknown }
  | { readonly status: 'waiting'; readonly retryAtMs: number };

/** What the gate reads and writes. */
export interface MarketMergeGateDeps {
  readonly engine: QueryEngine;
  readonly warehouse: MarketWarehouse;
  /** The lake bucket, listed for the digest. */
  readonly lake: ObjectStore;
  /** When a failed merge may be tried again is measured on it (default the wall clock). */
  readonly clock?: Pick<Clock, 'now'>;
}

/**
 * The market step as every loader runs it after its star load (`up` and `sync` in local/pipeline.ts, the
 * loader Lambda in functions/loader/handler.ts): a merge only when {@link marketLakeDigest} differs from the
 * one the last successful merge saw, so an unchanged market lake costs one listing and no query or warehouse
 * work. The digest is kept in memory: a new process (a Lambda cold start, a restarted `up`) merges once more,
 * which the merge's key and version rule make a no-op in the warehouse. A failure is logged with its cause and
 * resolved, never thrown: market tables take no part in the cut, so they must not fail the star load; the
 * digest stays as it was and a later run tries again: at once if the lake changed, else after
 * {@link MARKET_MERGE_RETRY_MS}.
 */
export class MarketMergeGate {
  readonly #deps: MarketMergeGateDeps;
  readonly #clock: Pick<Clock, 'now'>;
  /** The digest the last successful merge saw. */
  #merged: string | undefined;
  /** The digest of the lake the last failed attempt read, and when it may be tried again. */
  #failed: { readonly digest: string; readonly retryAtMs: number } | undefined;

  constructor(deps: MarketMergeGateDeps) {
    this.#deps = deps;
    this.#clock = deps.clock ?? SYSTEM_CLOCK;
  }

  /**
   * Merges the market tables when one of their lake objects came or went since the last merge; reports a
   * failure to `log` (with its cause) and resolves with it.
   */
  async mergeIfLakeChanged(log?: Log): Promise<GatedMarketMerge> {
    let digest: string | undefined;
    try {
      // Listed before the merge reads: an object landing in between changes the next run's digest.
      digest = await marketLakeDigest(this.#deps.lake);
      if (digest === this.#merged) return { status: 'unchanged' };
      const failed = this.#failed;
      if (failed?.digest === digest && this.#clock.now() < failed.retryAtMs)
        return { status: 'waiting', retryAtMs: failed.retryAtMs };
      const rows = await mergeMarketObservations(this.#deps);
      this.#merged = digest;
      this.#failed = undefined;
      log?.debug('market observations merged', { stage: 'loader', counts: rows });
      return { status: 'merged', rows };
    } catch (error) {
      // A failed listing has no digest: the next run lists again.
      if (digest !== undefined)
        this.#failed = { digest, retryAtMs: this.#clock.now() + MARKET_MERGE_RETRY_MS };
      log?.error(
        `market merge failed; retrying when the market lake changes or in ${MARKET_MERGE_RETRY_MS / 1000} s`,
        { stage: 'loader', error },
      );
      return { status: 'failed', error };
    }
  }
}

function daysBefore(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);
}
