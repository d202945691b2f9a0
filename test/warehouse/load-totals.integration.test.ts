import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { LOAD_NOTIFICATION_CHANNEL } from '../../core/schema/warehouse-tables.ts';
import { ROWS, SMALL_WORLD, T0, watermarks, writeLake } from '../loader/lake-fixtures.ts';
import { type LoaderHarness, openLoaderHarness } from '../loader/loader-harness.ts';
import { withClient } from '../support/test-databases.ts';
import { waitFor } from '../support/wait-for.ts';

let harness: LoaderHarness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** The running totals /metrics exposes. */
async function totals(url: string) {
  return withClient(url, async (client) => ({
    buckets: (
      await client.query(
        'SELECT histogram, le, observations::int AS n FROM pipeline.histogram_bucket ORDER BY 1, 2',
      )
    ).rows,
    sums: (await client.query('SELECT histogram FROM pipeline.histogram_sum ORDER BY 1')).rows,
    rows: (await client.query('SELECT table_name, rows::int AS n FROM pipeline.rows_loaded ORDER BY 1')).rows,
  }));
}

/** The end-to-end histogram's cumulative counts by bound. */
function endToEndCounts(
  buckets: readonly { histogram: string; le: number; n: number }[],
): Record<string, number> {
  return Object.fromEntries(
    buckets.filter((b) => b.histogram === 'end_to_end_seconds').map((b) => [String(b.le), b.n]),
  );
}

/** The end-to-end histogram's sum of latencies over every load. */
async function endToEndSum(url: string): Promise<number> {
  return withClient(url, async (client) => {
    const result = await client.query<{ sum: number }>(
      "SELECT sum FROM pipeline.histogram_sum WHERE histogram = 'end_to_end_seconds'",
    );
    return result.rows[0]?.sum ?? 0;
  });
}

/** A client listening on the load channel, keeping every payload it hears. */
async function listen(url: string): Promise<{ heard: string[]; close(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const heard: string[] = [];
  client.on('notification', (n) => heard.push(n.payload ?? ''));
  await client.query(`LISTEN ${LOAD_NOTIFICATION_CHANNEL}`);
  return { heard, close: () => client.end() };
}

describe('the running totals and the load notification', () => {
  it("counts each change's commit-to-warehouse latency into every bucket at or above it", async () => {
    // Prepare: a loaded world, then three new designs committed 40 s, 150 s and 2 h before the load.
    harness = await openLoaderHarness();
    await writeLake(harness.lakeDir, [...SMALL_WORLD, ...watermarks(1000n, T0)]);
    await harness.load();
    const before = endToEndCounts((await totals(harness.database.url)).buckets);
    const ago = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();
    await writeLake(harness.lakeDir, [
      { table: 'dim_design', op: 'c', lsn: 1100n, commitTs: ago(7200), row: ROWS.design(101) },
      { table: 'dim_design', op: 'c', lsn: 1110n, commitTs: ago(150), row: ROWS.design(102) },
      { table: 'dim_design', op: 'c', lsn: 1120n, commitTs: ago(40), row: ROWS.design(103) },
      ...watermarks(1200n, ago(40)),
    ]);

    // Act
    await harness.load();

    // Assess: cumulative counts, Prometheus-style (a change counts in every bucket at or above its latency).
    const after = endToEndCounts((await totals(harness.database.url)).buckets);
    const added = Object.fromEntries(Object.entries(after).map(([le, n]) => [le, n - (before[le] ?? 0)]));
    expect(added).toEqual({
      '0.25': 0,
      '0.5': 0,
      '1': 0,
      '2': 0,
      '5': 0,
      '10': 0,
      '30': 0,
      '60': 1,
      '120': 1,
      '300': 2,
      '900': 2,
      '1800': 2,
      '3600': 2,
      Infinity: 3,
    });
  });

  it("reports percentile_cont's p50 and p95 over every change, however many share a commit time", async () => {
    // Prepare: a loaded world, then eight new designs: five committed 40 s before the load, two 150 s, one 2 h.
    harness = await openLoaderHarness();
    await writeLake(harness.lakeDir, [...SMALL_WORLD, ...watermarks(1000n, T0)]);
    await harness.load();
    const sumBefore = await endToEndSum(harness.database.url);
    const now = Date.now();
    const ago = (seconds: number) => new Date(now - seconds * 1000).toISOString();
    const committed = [40, 40, 40, 40, 40, 150, 150, 7200];
    await writeLake(harness.lakeDir, [
      ...committed.map((seconds, i) => ({
        table: 'dim_design' as const,
        op: 'c' as const,
        lsn: 1100n + BigInt(i),
        commitTs: ago(seconds),
        row: ROWS.design(101 + i),
      })),
      ...watermarks(1200n, ago(40)),
    ]);

    // Act
    await harness.load();

    // Assess: every latency is its commit's age plus the same delay, so each percentile less the maximum is
    // independent of it. Sorted, the ages are 40 ×5, 150 ×2, 7200; p50 sits at position 3.5 (40 and 40), p95
    // at 6.65 (150 and 7200: 150 + 0.65 × 7050).
    const history = await withClient(harness.database.url, async (client) => {
      const result = await client.query<{ p50: number; p95: number; max: number }>(
        `SELECT latency_p50_s AS p50, latency_p95_s AS p95, latency_max_s AS max FROM pipeline.load_history
         ORDER BY load_id DESC LIMIT 1`,
      );
      return result.rows[0];
    });
    expect(history?.max).toBeGreaterThanOrEqual(7200);
    expect((history?.p50 ?? 0) - (history?.max ?? 0)).toBeCloseTo(40 - 7200, 3);
    expect((history?.p95 ?? 0) - (history?.max ?? 0)).toBeCloseTo(150 + 0.65 * 7050 - 7200, 3);
    const delay = (history?.max ?? 0) - 7200;
    const added = (await endToEndSum(harness.database.url)) - sumBefore;
    expect(added).toBeCloseTo(
      committed.reduce((total, seconds) => total + seconds + delay, 0),
      3,
    );
  });

  it('a load that rolls back adds nothing and notifies nobody; the load that commits adds its rows once', async () => {
    // Prepare: a warehouse whose first load fails just before it commits.
    let failNext = true;
    harness = await openLoaderHarness({
      beforeCommit: async () => {
        if (failNext) {
          failNext = false;
          throw new Error('the connection broke before COMMIT');
        }
      },
    });
    await writeLake(harness.lakeDir, [...SMALL_WORLD, ...watermarks(1000n, T0)]);
    const listener = await listen(harness.database.url);
    try {
      // Act
      // The cut named as PostgreSQL prints an LSN (README, "--json": every LSN a person reads is X/Y).
      await expect(harness.load()).rejects.toThrow(
        'Loading the warehouse to cut 0/3E8 failed and was rolled back',
      );
      const afterFailure = await totals(harness.database.url);
      const outcome = await harness.load();
      await waitFor('the notification of the committed load', () => listener.heard.length > 0);
      const afterLoad = await totals(harness.database.url);

      // Assess
      expect(afterFailure).toEqual({ buckets: [], sums: [], rows: [] });
      expect(outcome.status).toBe('loaded');
      expect(listener.heard).toEqual(['1000']);
      const written = outcome.status === 'loaded' ? outcome.rowsWritten : {};
      expect(Object.fromEntries(afterLoad.rows.map((r) => [r.table_name, r.n]))).toEqual(
        Object.fromEntries(Object.entries(written).filter(([, n]) => (n ?? 0) > 0)),
      );
      const loadRuns = afterLoad.buckets.filter((b) => b.histogram === 'loader_run_duration_seconds');
      expect(loadRuns.at(-1)).toEqual({
        histogram: 'loader_run_duration_seconds',
        le: Number.POSITIVE_INFINITY,
        n: 1,
      });

      // The next load adds the latency of its one change.
      await writeLake(harness.lakeDir, [
        { table: 'dim_design', op: 'u', lsn: 1100n, commitTs: T0, row: ROWS.design(1) },
        ...watermarks(1200n, T0),
      ]);
      await harness.load();
      const endToEnd = (await totals(harness.database.url)).buckets.filter(
        (b) => b.histogram === 'end_to_end_seconds',
      );
      const before = afterLoad.buckets.filter((b) => b.histogram === 'end_to_end_seconds');
      expect(endToEnd.at(-1)?.n).toBe((before.at(-1)?.n ?? 0) + 1);
    } finally {
      await listener.close();
    }
  });
});
