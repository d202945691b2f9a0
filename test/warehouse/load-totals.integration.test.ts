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
      await expect(harness.load()).rejects.toThrow(/rolled back/);
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
