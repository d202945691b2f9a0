import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReader } from '../../reader/reader-loop.ts';
import { MemoryChangeStream } from '../../testing/memory-change-stream.ts';
import { MemoryStateStore } from '../../testing/memory-state-store.ts';
import { createSourceDatabase, type TestDatabase, withClient } from '../support/test-databases.ts';
import { confirmedFlush, currentWalLsn, insertDepartments, memoryLog } from './reader-test-kit.ts';

const ROWS = 1_000_000;
const BOUND = 4 * 1024 * 1024;

describe('reader on a huge transaction', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createSourceDatabase();
    await withClient(database.url, (client) => insertDepartments(client, 1, ROWS));
  }, 300_000);
  afterAll(async () => {
    await database.drop();
  });

  it('streams a one-million-row UPDATE in one transaction with its buffered bytes under the bound', {
    timeout: 300_000,
  }, async () => {
    // Prepare: snapshot the million rows (not retained, only counted).
    const counts = { r: 0, u: 0, putsDuringUpdate: 0 };
    const stream = new MemoryChangeStream({
      retain: false,
      afterPut: (events) => {
        let updates = 0;
        for (const event of events) {
          if (event.op === 'r') counts.r += 1;
          if (event.op === 'u') updates += 1;
        }
        counts.u += updates;
        if (updates > 0) counts.putsDuringUpdate += 1;
      },
    });
    const stateStore = new MemoryStateStore();
    const options = {
      sourceUrl: database.url,
      slot: database.name,
      changeStream: stream,
      stateStore,
      maxBufferedBytes: BOUND,
      log: memoryLog().log,
    };
    await runReader({ ...options, stopAtLsn: 'current' });
    const wal = await withClient(database.url, async (client) => {
      await client.query(`UPDATE department SET manager = 'Manager ' || (department_id + 1)`);
      return await currentWalLsn(client);
    });

    // Act
    const summary = await runReader({ ...options, stopAtLsn: 'current' });

    // Assess
    expect(counts.r).toBe(ROWS);
    expect(counts.u).toBe(ROWS);
    expect(counts.putsDuringUpdate).toBeGreaterThan(10);
    expect(summary.peakBufferedBytes).toBeGreaterThan(0);
    expect(summary.peakBufferedBytes).toBeLessThanOrEqual(BOUND);
    expect(
      await withClient(database.url, (client) => confirmedFlush(client, database.name)),
    ).toBeGreaterThanOrEqual(wal);
  });
});
