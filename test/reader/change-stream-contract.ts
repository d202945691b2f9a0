/**
 * @module
 * The ChangeStream contract (core/ports/change-stream.ts) as a test suite every implementation runs: the
 * Firehose change stream over each RecordBatchPutter, and the memory stream.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type ChangeEvent, dedupeKey } from '../../core/change-event.ts';
import type { ChangeStream } from '../../core/ports/change-stream.ts';
import { SOURCE_TABLE_NAMES, type SourceTableName } from '../../core/schema/source-tables.ts';
import { watermarkEvents } from '../../reader/change-events.ts';

/** An accepted event and the table whose stream it reached. */
export interface RoutedEvent {
  readonly stream: SourceTableName;
  readonly event: ChangeEvent;
}

/** One implementation, a switch that makes its puts fail, and a way to read back what it accepted. */
export interface ChangeStreamUnderTest {
  readonly stream: ChangeStream;
  /** While on, the store behind the stream refuses every put (as an expired credential or a deleted stream). */
  refusePuts(on: boolean): void;
  /**
   * Every event the stream's store accepted, as a process started after this one finds them (what a restart
   * keeps is what was durable), in any order. Called once, at the end of a test.
   */
  acceptedAfterRestart(): Promise<RoutedEvent[]>;
  /** Releases what the subject holds (directories, mocks); the stream itself is closed by the test. */
  dispose(): Promise<void>;
}

/** Changes of three tables on two commit dates, one transaction each date, as the reader emits them. */
export function sampleChanges(): ChangeEvent[] {
  const change = (
    table: SourceTableName,
    id: number,
    lsn: string,
    seq: number,
    commitTs: string,
    op: 'c' | 'u' = 'c',
  ): ChangeEvent => ({
    table,
    op,
    key: { [`${table}_id`]: id },
    row: { [`${table}_id`]: id, last_updated: '2022-11-03 14:20:49.962' },
    lsn,
    seq,
    xid: Number(lsn),
    commit_ts: commitTs,
  });
  return [
    change('currency', 1, '1000', 0, '2022-11-03T14:20:49.962Z'),
    change('currency', 2, '1000', 1, '2022-11-03T14:20:49.962Z'),
    change('department', 1, '1000', 2, '2022-11-03T14:20:49.962Z'),
    change('currency', 1, '2000', 0, '2022-11-04T00:00:00.001Z', 'u'),
    change('design', 7, '2000', 1, '2022-11-04T00:00:00.001Z'),
  ];
}

/** Registers the contract for implementations from `fresh`, which returns a new, empty one each call. */
export function describeChangeStreamContract(
  name: string,
  fresh: () => Promise<ChangeStreamUnderTest>,
): void {
  describe(`${name} (ChangeStream contract)`, () => {
    const opened: ChangeStreamUnderTest[] = [];
    const open = async () => {
      const subject = await fresh();
      opened.push(subject);
      return subject;
    };
    afterEach(async () => {
      for (const subject of opened.splice(0)) {
        await subject.stream.close();
        await subject.dispose();
      }
    });

    it('resolves once every event is accepted, each in its table’s stream, counted once, kept over a restart', async () => {
      const subject = await open();
      const events = sampleChanges();

      const report = await subject.stream.put(events);
      await subject.stream.close();

      expect(report.eventCount).toBe(events.length);
      const accepted = await subject.acceptedAfterRestart();
      for (const { stream, event } of accepted) expect(stream).toBe(event.table);
      expect(new Set(accepted.map(({ event }) => dedupeKey(event)))).toEqual(new Set(events.map(dedupeKey)));
      expect(accepted.map(({ event }) => event)).toEqual(expect.arrayContaining(events));
    });

    it('puts a watermark once into every table’s stream', async () => {
      const subject = await open();

      await subject.stream.put(watermarkEvents(4242n, new Date('2022-11-05T10:00:00.000Z')));
      await subject.stream.close();

      const accepted = await subject.acceptedAfterRestart();
      const marks = accepted.filter(({ event }) => event.op === 'w');
      expect(marks.map(({ stream }) => stream).sort()).toEqual([...SOURCE_TABLE_NAMES].sort());
      expect(new Set(marks.map(({ event }) => event.lsn))).toEqual(new Set(['4242']));
    });

    it('rejects a put its store refused, and delivers every event at least once when it is put again', async () => {
      const subject = await open();
      const events = sampleChanges();

      subject.refusePuts(true);
      await expect(subject.stream.put(events)).rejects.toThrow();
      subject.refusePuts(false);
      await subject.stream.put(events);
      await subject.stream.close();

      const accepted = await subject.acceptedAfterRestart();
      expect(new Set(accepted.map(({ event }) => dedupeKey(event)))).toEqual(new Set(events.map(dedupeKey)));
    });

    it('closes only after every put still in flight has settled', async () => {
      const subject = await open();
      const [first, second] = [sampleChanges().slice(0, 3), sampleChanges().slice(3)];
      const settled: string[] = [];

      const puts = [
        subject.stream.put(first).finally(() => settled.push('first')),
        subject.stream.put(second).finally(() => settled.push('second')),
      ];
      await subject.stream.close();

      expect(settled.sort()).toEqual(['first', 'second']);
      await Promise.all(puts);
    });
  });
}
