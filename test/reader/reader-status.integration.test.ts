import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS } from '../../core/operations.ts';
import { stateKey } from '../../core/ports/state-store.ts';
import { SOURCE_TABLE_NAMES } from '../../core/schema/source-tables.ts';
import { runReader } from '../../reader/reader-loop.ts';
import { readerStatus } from '../../reader/reader-status.ts';
import { requestResnapshot } from '../../reader/resnapshot-requests.ts';
import { FileStateStore } from '../../reader/state/file-state-store.ts';
import { MemoryChangeStream } from '../../testing/memory-change-stream.ts';
import { memoryMetrics } from '../../testing/memory-operations.ts';
import { createSourceDatabase, type TestDatabase, withClient } from '../support/test-databases.ts';
import { insertDepartments, memoryLog } from './reader-test-kit.ts';

describe('reader status and file state', () => {
  let database: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    database = await createSourceDatabase();
    dir = await mkdtemp(join(tmpdir(), 'reader-state-'));
  });
  afterAll(async () => {
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('shows slot lag, persisted metrics and pending work to another process through the state store', async () => {
    // Prepare: one run persists its figures in a file state store; then the source moves on without a reader.
    const { lines, log } = memoryLog();
    const { points, metrics } = memoryMetrics();
    await withClient(database.url, (client) => insertDepartments(client, 1, 100));
    await runReader({
      sourceUrl: database.url,
      slot: database.name,
      changeStream: new MemoryChangeStream(),
      stateStore: new FileStateStore(dir),
      stopAtLsn: 'current',
      log,
      metrics,
    });
    await withClient(database.url, (client) => insertDepartments(client, 1000, 100));
    await requestResnapshot(new FileStateStore(dir), ['currency']);

    // Act: "status" reads through its own store object, as another process would.
    const status = await readerStatus({
      sourceUrl: database.url,
      slot: database.name,
      stateStore: new FileStateStore(dir),
    });

    // Assess
    expect(status.slot).toMatchObject({
      name: database.name,
      exists: true,
      active: false,
      walStatus: 'reserved',
    });
    expect(status.slot.lagBytes).toBeGreaterThan(0);
    expect(status.metrics?.eventsShipped).toBeGreaterThanOrEqual(100);
    expect(status.snapshotPending).toEqual([]);
    expect(status.tables.map((table) => [table.table, table.state])).toEqual(
      SOURCE_TABLE_NAMES.map((table) => [table, 'copied']),
    );
    for (const table of status.tables) {
      expect(table.lsn).toMatch(/^\d+$/);
      expect(Date.parse(table.since ?? '')).toBeGreaterThan(Date.parse('2020-01-01T00:00:00Z'));
    }
    expect(status.resnapshotRequested).toEqual(['currency']);
    expect(points.some((p) => p.name === METRICS.reader.eventsShipped && p.value >= 100)).toBe(true);
    expect(JSON.stringify(lines)).not.toContain('Dept 1');
  });

  it('rejects unknown tables in a re-read request and state keys that could escape the directory', async () => {
    await expect(requestResnapshot(new FileStateStore(dir), ['pg_authid'])).rejects.toThrow(/Unknown table/);
    await expect(new FileStateStore(dir).put(stateKey('../outside'), {})).rejects.toThrow(
      /not a short slash-separated name/,
    );
  });
});
