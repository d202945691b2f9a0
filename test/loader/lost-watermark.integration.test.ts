import { rm, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AWS_DELIVERY_DEADLINE_MS } from '../../core/delivery-stream-spec.ts';
import { quarantineNotes } from '../../lake/unreadable-objects.ts';
import { ROWS, T0, watermarks, writeLake, writeLakeFiles } from './lake-fixtures.ts';
import {
  type LoaderHarness,
  openLoaderHarness,
  recoveringLoaderHandler,
  warehouseRows,
} from './loader-harness.ts';

const CONTEXT = { awsRequestId: 'lost-watermark', getRemainingTimeInMillis: () => 300_000 };
/** The day after T0's: the re-read lands there, and T0's day receives no more changes. */
const NEXT_DAY = '2022-11-04T09:00:00.000Z';

let harness: LoaderHarness;

beforeEach(async () => {
  harness = await openLoaderHarness();
});

afterEach(async () => {
  await harness.close();
});

describe('a quarantined object that held its partition’s newest watermark', () => {
  for (const withLostPartitions of [true, false])
    it(`${withLostPartitions ? 'is replaced by its table’s re-read and the cut moves on' : 'without the quarantined partitions, keeps the cut waiting (what the fix changes)'}`, async () => {
      // Prepare: a loaded design; then, on the same day, a change of it whose object (change and the round's
      // only watermark of that partition) is garbage by the time the loader reads it.
      await writeLake(harness.lakeDir, [
        { table: 'dim_design', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.design(1) },
        ...watermarks(150n, T0),
      ]);
      const { handler, rereads } = recoveringLoaderHandler(harness, { lostPartitions: withLostPartitions });
      expect(await handler({}, CONTEXT)).toMatchObject({ status: 'loaded', toCut: { lsn: '150' } });
      const [lost] = await writeLake(harness.lakeDir, [
        {
          table: 'dim_design',
          op: 'u',
          lsn: 200n,
          commitTs: T0,
          row: { ...ROWS.design(1), design_name: 'lost' },
        },
        { table: 'dim_design', op: 'w', lsn: 250n, commitTs: T0 },
      ]);
      await writeFile(lost!, 'not parquet '.repeat(20));

      // Act 1: the loader quarantines the object and asks for the table; the cut cannot pass round 250.
      expect(await handler({}, CONTEXT)).toMatchObject({ status: 'unchanged', cutLsn: '150' });
      expect(rereads).toEqual(['design']);

      // The re-read, as the reader does it the next day: the table's rows at 300 recorded as a complete read,
      // then a round naming only the partition that received them, with its watermark there.
      const nextDay = NEXT_DAY.slice(0, 10);
      await writeLakeFiles(harness.lakeDir, [
        {
          table: 'dim_design',
          op: 'r',
          lsn: 300n,
          commitTs: NEXT_DAY,
          row: { ...ROWS.design(1), design_name: 'now' },
        },
        { table: 'dim_design', op: 'w', lsn: 350n, commitTs: NEXT_DAY },
      ]);
      await harness.roundLog.recordCompleteRead({
        table: 'dim_design',
        lsn: '300',
        commitTs: NEXT_DAY,
        rows: 1,
      });
      await harness.roundLog.append({
        lsn: '350',
        previousLsn: '250',
        emittedAt: NEXT_DAY,
        partitions: { dim_design: [nextDay] },
      });

      // Act 2 and assess: the cut passes the lost partition with the read that replaces it, or waits for ever.
      const outcome = await handler({}, CONTEXT);
      const names = await warehouseRows(harness.database.url, 'SELECT design_name FROM dim_design');
      if (withLostPartitions) {
        expect(outcome).toMatchObject({ status: 'loaded', toCut: { lsn: '350' } });
        expect(names).toEqual([{ design_name: 'now' }]);
      } else {
        expect(outcome).toMatchObject({ status: 'unchanged', cutLsn: '150' });
        expect(names).toEqual([{ design_name: 'design 1' }]);
      }
    });
});

describe('an object deleted with the newest watermark of its partition, no read failing (the loader Lambda)', () => {
  it('keeps the cut waiting within the delivery deadline, then notes the partition missing and has its table re-read', async () => {
    // Prepare: a loaded design, then a change of it whose object (change and the round's only watermark of that
    // partition) is deleted before the loader lists it.
    await writeLake(harness.lakeDir, [
      { table: 'dim_design', op: 'r', lsn: 100n, commitTs: T0, row: ROWS.design(1) },
      ...watermarks(150n, T0),
    ]);
    let now = Date.parse(T0);
    const { handler, rereads, store } = recoveringLoaderHandler(harness, {
      lostPartitions: true,
      now: () => now,
    });
    expect(await handler({}, CONTEXT)).toMatchObject({ status: 'loaded', toCut: { lsn: '150' } });
    const [gone] = await writeLake(harness.lakeDir, [
      {
        table: 'dim_design',
        op: 'u',
        lsn: 200n,
        commitTs: T0,
        row: { ...ROWS.design(1), design_name: 'gone' },
      },
      { table: 'dim_design', op: 'w', lsn: 250n, commitTs: T0 },
    ]);
    await rm(gone!);

    // Act 1: an hour after the round the watermark may still be on its way: the cut waits, nothing is noted.
    now = Date.parse(T0) + 60 * 60 * 1000;
    expect(await handler({}, CONTEXT)).toMatchObject({ status: 'unchanged', cutLsn: '150' });
    expect(rereads).toEqual([]);

    // Act 2: past the deadline it is gone, not late.
    now = Date.parse(T0) + AWS_DELIVERY_DEADLINE_MS + 1;
    expect(await handler({}, CONTEXT)).toMatchObject({ status: 'unchanged', cutLsn: '150' });

    // Assess: noted once, its table re-read (the re-read then passes the round, as above).
    expect(rereads).toEqual(['design']);
    expect(await quarantineNotes(store)).toEqual([
      expect.objectContaining({
        table: 'dim_design',
        kind: 'missing',
        key: expect.stringMatching(/round-250$/),
      }),
    ]);
    await handler({}, CONTEXT);
    expect(rereads).toEqual(['design']);
  });
});
