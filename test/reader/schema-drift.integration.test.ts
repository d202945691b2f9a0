import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS } from '../../core/operations.ts';
import { runReader } from '../../reader/reader-loop.ts';
import { METRICS_STATE_KEY } from '../../reader/reader-metrics.ts';
import { driftedTables } from '../../reader/schema-drift.ts';
import { MemoryChangeStream } from '../../testing/memory-change-stream.ts';
import { memoryMetrics } from '../../testing/memory-operations.ts';
import { MemoryStateStore } from '../../testing/memory-state-store.ts';
import { createSourceDatabase, type TestDatabase, withClient } from '../support/test-databases.ts';
import { insertCurrency, memoryLog, primeSlot, waitFor } from './reader-test-kit.ts';

describe('schema drift at the source', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createSourceDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  it('is seen in the replication stream and in the catalog, recorded per table, told once, counted, and cleared once fixed', async () => {
    // Prepare: a primed slot, and a reader streaming while the source's DDL changes under it.
    const stateStore = new MemoryStateStore();
    const { lines, log } = memoryLog();
    await primeSlot(database, stateStore, log);
    const metrics = memoryMetrics();
    await stateStore.delete(METRICS_STATE_KEY);
    const abort = new AbortController();
    const reading = runReader({
      sourceUrl: database.url,
      slot: database.name,
      changeStream: new MemoryChangeStream(),
      stateStore,
      signal: abort.signal,
      log,
      metrics: metrics.metrics,
      watermarkIntervalMs: 50,
    });
    // Streaming (past its catalog check at start) once it publishes its first figures.
    await waitFor('the reader streaming', () => stateStore.get(METRICS_STATE_KEY));

    // Act: a column added (then a row written), another renamed.
    await withClient(database.url, async (client) => {
      await client.query('ALTER TABLE currency ADD COLUMN symbol text');
      await insertCurrency(client, 90, 'CHF');
      await client.query('ALTER TABLE department RENAME COLUMN manager TO head');
      await client.query(
        `INSERT INTO department (department_id, department_name, location, head, created_at, last_updated)
         VALUES (91, 'Dept 91', 'Leeds', 'H', now(), now())`,
      );
    });

    // Assess: both are recorded from the stream's relation messages while the reader runs.
    const drifts = await waitFor('both drifts recorded', async () => {
      const found = await driftedTables(stateStore);
      return found.length === 2 ? found : undefined;
    });
    abort.abort();
    await reading;
    expect(drifts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ table: 'currency', added: ['symbol'], dropped: [], seenIn: 'stream' }),
        expect.objectContaining({
          table: 'department',
          added: ['head'],
          dropped: ['manager'],
          renamed: { from: 'manager', to: 'head' },
        }),
      ]),
    );
    const warnings = lines.filter((line) => line.message.includes("no longer matches the pipeline's schema"));
    expect(warnings.map((line) => line.table).sort()).toEqual(['currency', 'department']);
    expect(
      metrics.points.filter((point) => point.name === METRICS.schemaDrift.tablesDrifted).at(-1)?.value,
    ).toBe(2);

    // Act: the rename undone, a type changed; the next reader start looks at the catalog.
    await withClient(database.url, async (client) => {
      await client.query('ALTER TABLE department RENAME COLUMN head TO manager');
      await client.query('ALTER TABLE design ALTER COLUMN file_name TYPE varchar(200)');
    });
    await runReader({
      sourceUrl: database.url,
      slot: database.name,
      changeStream: new MemoryChangeStream(),
      stateStore,
      stopAtLsn: 'current',
      log,
    });

    // Assess
    const after = await driftedTables(stateStore);
    expect(after.map((drift) => drift.table).sort()).toEqual(['currency', 'design']);
    expect(after.find((drift) => drift.table === 'design')).toMatchObject({
      retyped: [{ column: 'file_name', expected: 'text', actual: 'character varying(200)' }],
      seenIn: 'catalog',
    });
  });
});
