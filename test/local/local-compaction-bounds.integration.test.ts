import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DuckDbQueryEngine } from '../../lake/duckdb-query-engine.ts';
import { compactLocalLake } from '../../local/local-compaction.ts';
import { PgWarehouse } from '../../warehouse/pg-warehouse.ts';
import { type E2eWorld, openWorld, syncWorld } from '../e2e/e2e-harness.ts';
import { createTestDatabase, type TestDatabase, withClient } from '../support/test-databases.ts';

let world: E2eWorld;
let empty: TestDatabase;

beforeEach(async () => {
  world = await openWorld(0.01);
  empty = await createTestDatabase('compact_wh');
});

afterEach(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await empty.drop();
  await world.close();
});

describe('compact', () => {
  it('loads the lake first under the memory bounds TOTESYS_DUCKDB_* and TOTESYS_LOADER_BATCH_ROWS set, spilling to DIR/duckdb-tmp', async () => {
    // Prepare: a lake the data dir's pipeline wrote, and a warehouse that has loaded none of it (as after a
    // pipeline stopped before its last load); the bounds set in the environment, as a user sets them.
    await syncWorld(world);
    vi.stubEnv('TOTESYS_DUCKDB_MEMORY_MIB', '64');
    vi.stubEnv('TOTESYS_DUCKDB_THREADS', '1');
    vi.stubEnv('TOTESYS_LOADER_BATCH_ROWS', '7');
    const settings: string[][] = [];
    const open = DuckDbQueryEngine.open.bind(DuckDbQueryEngine);
    vi.spyOn(DuckDbQueryEngine, 'open').mockImplementation(async (options) => {
      const engine = await open(options);
      // What DuckDB itself was opened with, not what was asked.
      const result = await engine.query(
        "SELECT current_setting('memory_limit'), current_setting('threads')::text, current_setting('temp_directory')",
      );
      settings.push((result.rows[0] ?? []).map(String));
      return engine;
    });
    const batchSizes = new Set<number>();
    const queryBatches = DuckDbQueryEngine.prototype.queryBatches;
    vi.spyOn(DuckDbQueryEngine.prototype, 'queryBatches').mockImplementation(function (
      this: DuckDbQueryEngine,
      sql,
      parameters,
      batchRows,
    ) {
      batchSizes.add(batchRows);
      return queryBatches.call(this, sql, parameters, batchRows);
    });
    // The loader reads its windows as CSV records (core/csv-record.ts), at the same batch size.
    const queryLines = DuckDbQueryEngine.prototype.queryLines;
    vi.spyOn(DuckDbQueryEngine.prototype, 'queryLines').mockImplementation(function (
      this: DuckDbQueryEngine,
      sql,
      parameters,
      batchRows,
    ) {
      batchSizes.add(batchRows);
      return queryLines.call(this, sql, parameters, batchRows);
    });

    // Act: the command's run, its load first (the deletes after the grace period are left for a later run).
    const warehouse = new PgWarehouse({ url: empty.url });
    await compactLocalLake({
      dataDir: world.dataDir,
      warehouse,
      waitForDeletes: false,
      loadFirst: { warehouseUrl: empty.url },
    }).finally(() => warehouse.close());

    // Assess: DuckDB ran at the bounds and spilled to the data
    // dir's duckdb-tmp; every batch was read 7 rows at a time; and the load did happen.
    expect(settings).toHaveLength(1);
    expect(settings[0]![0]).toBe('64.0 MiB');
    expect(settings[0]![1]).toBe('1');
    expect(settings[0]![2]).toBe(join(world.dataDir, 'duckdb-tmp'));
    expect([...batchSizes]).toEqual([7]);
    const loaded = await withClient(empty.url, async (client) =>
      Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM fact_sales_order')).rows[0]?.n),
    );
    expect(loaded).toBeGreaterThan(7);
  });
});
