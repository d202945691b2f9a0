import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../core/change-event.ts';
import { ERROR_OUTPUT_TYPES } from '../../core/error-documents.ts';
import { LAKE_PREFIXES } from '../../core/lake-layout.ts';
import { METRICS } from '../../core/operations.ts';
import { FsObjectStore } from '../../lake/fs-object-store.ts';
import { listErrorObjects } from '../../local/error-objects.ts';
import { FirehoseChangeStream } from '../../reader/firehose-change-stream.ts';
import { runReader } from '../../reader/reader-loop.ts';
import { pendingResnapshots } from '../../reader/resnapshot-requests.ts';
import { UNSHIPPABLE_ERROR_CODE, UnshippableChanges } from '../../reader/unshippable-changes.ts';
import { memoryMetrics } from '../../testing/memory-operations.ts';
import { MemoryStateStore } from '../../testing/memory-state-store.ts';
import { MemoryRecordPutter } from '../../testing/record-putters.ts';
import { createSourceDatabase, type TestDatabase, withClient } from '../support/test-databases.ts';
import { insertDepartments, memoryLog, primeSlot } from './reader-test-kit.ts';

/** 2 MB of text that does not compress, so PostgreSQL stores it out of line (TOAST) and an update may omit it. */
const HUGE_NAME_SQL = `(SELECT string_agg(md5(g::text), '') FROM generate_series(1, 62500) AS g)`;

function accepted(putter: MemoryRecordPutter): ChangeEvent[] {
  return [...putter.records.values()]
    .flat()
    .flatMap((data) => Buffer.from(data).toString('utf8').split('\n').filter(Boolean))
    .map((line) => JSON.parse(line) as ChangeEvent);
}

describe('a change too large to ship', () => {
  let database: TestDatabase;
  let lakeDir: string;
  beforeAll(async () => {
    database = await createSourceDatabase();
    lakeDir = await mkdtemp(join(tmpdir(), 'unshippable-'));
  });
  afterAll(async () => {
    await database.drop();
    await rm(lakeDir, { recursive: true, force: true });
  });

  it('goes to errors/ with its table, key and LSN, is counted, and the stream goes on; its next change settles it', async () => {
    // Prepare: a primed slot, then one transaction with a 2 MB design name between two ordinary changes,
    // and a later transaction.
    const stateStore = new MemoryStateStore();
    const { lines, log } = memoryLog();
    await primeSlot(database, stateStore, log);
    const store = new FsObjectStore(lakeDir, 'lake');
    const metrics = memoryMetrics();
    const putter = new MemoryRecordPutter();
    const run = async () => {
      const unshippable = new UnshippableChanges({ store, stateStore, log, metrics: metrics.metrics });
      const firehose = new FirehoseChangeStream({ putter, setAside: unshippable.setAside });
      return runReader({
        sourceUrl: database.url,
        slot: database.name,
        changeStream: unshippable.watching(firehose),
        stateStore,
        stopAtLsn: 'current',
        resnapshotPollMs: 3_600_000,
        reconnect: { maxAttempts: 2, baseDelayMs: 0, maxDelayMs: 0 },
        log,
      });
    };
    await withClient(database.url, async (client) => {
      await client.query('BEGIN');
      await insertDepartments(client, 1, 1);
      await client.query(
        `INSERT INTO design (design_id, design_name, file_location, file_name, created_at, last_updated)
         VALUES (7, ${HUGE_NAME_SQL}, '/x', 'x.json', now(), now())`,
      );
      await insertDepartments(client, 2, 1);
      await client.query('COMMIT');
      await insertDepartments(client, 3, 1);
    });

    // Act: the reader runs to the current WAL position, twice (a restart must not die on the same LSN).
    await run();
    await run();

    // Assess: every other change shipped, the big one is one error object under errors/dim_design/.
    const shipped = accepted(putter);
    const departments = shipped.filter((event) => event.table === 'department' && event.op === 'c');
    expect(new Set(departments.map((event) => JSON.stringify(event.key))).size).toBe(3);
    expect(shipped.some((event) => event.table === 'design' && event.op !== 'w')).toBe(false);
    const objects = await store.list(`${LAKE_PREFIXES.errors}dim_design/${ERROR_OUTPUT_TYPES.reader}/`);
    expect(objects).toHaveLength(1);
    const document = JSON.parse(Buffer.from((await store.get(objects[0]!.key))!).toString('utf8'));
    expect(document).toMatchObject({
      errorCode: UNSHIPPABLE_ERROR_CODE,
      table: 'design',
      key: { design_id: 7 },
      lsn: expect.stringMatching(/^[0-9A-F]+\/[0-9A-F]+$/),
      errorMessage: expect.stringMatching(
        /design at LSN [0-9A-F]+\/[0-9A-F]+ seq 1 is \d+ bytes, over the Firehose record limit/,
      ),
    });
    expect(document).toMatchObject({ seq: 1, bytes: expect.any(Number) });
    // In the one error-document format: `errors list` reads it like Firehose's own, with its reason.
    expect(await listErrorObjects(store)).toEqual([
      {
        key: objects[0]!.key,
        table: 'dim_design',
        type: ERROR_OUTPUT_TYPES.reader,
        records: 1,
        reasons: [{ reason: document.errorMessage, records: 1 }],
      },
    ]);
    const original = JSON.parse(Buffer.from(document.rawData, 'base64').toString('utf8'));
    expect(original.row.design_name).toHaveLength(2_000_000);
    expect(
      metrics.points.filter((point) => point.name === METRICS.unshippable.changesSetAside),
    ).not.toHaveLength(0);
    const warning = lines.find((line) => line.message.includes('set aside'));
    expect(warning).toMatchObject({
      level: 'WARN',
      table: 'design',
      key: '{"design_id":7}',
      lsn: document.lsn,
    });
    // Never the value: no entry holds a piece of the name.
    const piece = original.row.design_name.slice(1000, 1032);
    expect(lines.some((line) => JSON.stringify(line).includes(piece))).toBe(false);

    // Act: the row changes without its big (unchanged, TOASTed) column.
    await withClient(database.url, (client) =>
      client.query(`UPDATE design SET file_name = 'y.json' WHERE design_id = 7`),
    );
    await run();

    // Assess: the update ships, and the table is asked to be re-read (its rows carry every column).
    const update = accepted(putter).find((event) => event.table === 'design' && event.op === 'u');
    expect(update).toMatchObject({ unchanged: ['design_name'] });
    expect((await pendingResnapshots(stateStore)).map((request) => request.table)).toEqual(['design']);
    const unshippable = new UnshippableChanges({ store, stateStore });
    expect(await unshippable.waiting()).toEqual([]);
  });

  it('is a deterministic failure: without a place to set it aside the reader stops at once, not after ten reconnects', async () => {
    // Prepare: its own database, a primed slot, one oversized insert.
    const own = await createSourceDatabase();
    try {
      const stateStore = new MemoryStateStore();
      const { lines, log } = memoryLog();
      await primeSlot(own, stateStore, log);
      await withClient(own.url, (client) =>
        client.query(
          `INSERT INTO design (design_id, design_name, file_location, file_name, created_at, last_updated)
           VALUES (8, ${HUGE_NAME_SQL}, '/x', 'x.json', now(), now())`,
        ),
      );

      // Act
      const running = runReader({
        sourceUrl: own.url,
        slot: own.name,
        changeStream: new FirehoseChangeStream({ putter: new MemoryRecordPutter() }),
        stateStore,
        stopAtLsn: 'current',
        reconnect: { maxAttempts: 10, baseDelayMs: 0, maxDelayMs: 0 },
        log,
      });

      // Assess
      await expect(running).rejects.toThrow(
        /is not retried: .*design at LSN [0-9A-F]+\/[0-9A-F]+ seq 0 .*cannot be shipped/,
      );
      expect(lines.filter((line) => line.message.includes('reconnecting'))).toEqual([]);
    } finally {
      await own.drop();
    }
  });
});
