import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { terminalLog } from '../../local/terminal-log.ts';
import { runReader } from '../../reader/reader-loop.ts';
import { MemoryChangeStream } from '../../testing/memory-change-stream.ts';
import { MemoryStateStore } from '../../testing/memory-state-store.ts';
import { createSourceDatabase, type TestDatabase, withClient } from '../support/test-databases.ts';
import { currentWalLsn, insertDepartments, primeSlot } from './reader-test-kit.ts';

describe("the reader's warnings", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createSourceDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  it('reach the terminal printer `up` and `sync` use, even when it is told to print errors only', async () => {
    // Prepare: a primed slot, then a TRUNCATE (which the reader warns about) streamed to it.
    const stateStore = new MemoryStateStore();
    const lines: string[] = [];
    const log = terminalLog({ sink: { write: (text) => lines.push(text) }, minimum: 'ERROR' });
    await primeSlot(database, stateStore, log);
    await withClient(database.url, async (client) => {
      await insertDepartments(client, 1, 3);
      await client.query('TRUNCATE payment');
    });
    const target = await withClient(database.url, currentWalLsn);

    // Act
    await runReader({
      sourceUrl: database.url,
      slot: database.name,
      changeStream: new MemoryChangeStream(),
      stateStore,
      stopAtLsn: target,
      log,
    });

    // Assess
    expect(
      lines.some((line) => /WARN {2}reader table truncated at the source table=payment lsn=\d+/.test(line)),
    ).toBe(true);
  });
});
