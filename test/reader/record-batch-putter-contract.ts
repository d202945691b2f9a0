/**
 * @module
 * The RecordBatchPutter contract (core/ports/record-batch-putter.ts) as a test suite every implementation runs:
 * the AWS adapter over the SDK (a mocked Firehose that answers as the service documents), the local Firehose,
 * and the memory and fault-injecting doubles.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FirehoseRecord, RecordBatchPutter } from '../../core/ports/record-batch-putter.ts';

/** Failures an implementation can be told to produce, the way Firehose produces them. */
export interface PutterFaults {
  /** The next call is throttled: it rejects whole. */
  throttleNextCall(): void;
  /** The next call fails the entries at these indexes (and accepts the others). */
  failEntriesOfNextCall(indexes: readonly number[]): void;
}

/** One implementation with a stream that exists and a way to read back what it accepted. */
export interface RecordBatchPutterUnderTest {
  readonly putter: RecordBatchPutter;
  /** The name of a delivery stream that exists. */
  readonly stream: string;
  /** Absent for an implementation that never throttles nor fails an entry. */
  readonly faults?: PutterFaults;
  /**
   * Every payload `stream` accepted, as a process started after the one that put them finds them (what a
   * restart keeps is what was durable), in any order. Called once, at the end of a test.
   */
  acceptedAfterRestart(): Promise<Uint8Array[]>;
  close(): Promise<void>;
}

const text = (value: string): Uint8Array => new TextEncoder().encode(value);
const record = (bytes: number): FirehoseRecord => ({ Data: new Uint8Array(bytes).fill(120) });
const lines = (payloads: readonly Uint8Array[]): string[] =>
  payloads.map((payload) => new TextDecoder().decode(payload)).sort();

/**
 * Registers the contract for implementations from `fresh`, which returns a new, empty one each call. The
 * clauses about throttling and failed entries are registered only when `fresh` gives subjects with `faults`
 * (`withFaults`): an implementation that never fails has nothing to show there.
 */
export function describeRecordBatchPutterContract(
  name: string,
  fresh: () => Promise<RecordBatchPutterUnderTest>,
  options: { readonly withFaults: boolean },
): void {
  describe(`${name} (RecordBatchPutter contract)`, () => {
    const opened: RecordBatchPutterUnderTest[] = [];
    const open = async () => {
      const subject = await fresh();
      opened.push(subject);
      return subject;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((subject) => subject.close()));
    });

    it('answers one entry per record, in order, each with a RecordId, and keeps every record durably', async () => {
      const subject = await open();
      const payloads = ['{"n":1}\n', '{"n":2}\n', '{"n":3}\n'].map(text);

      const output = await subject.putter.putRecordBatch({
        DeliveryStreamName: subject.stream,
        Records: payloads.map((Data) => ({ Data })),
      });

      expect(output.FailedPutCount).toBe(0);
      expect(output.RequestResponses).toHaveLength(3);
      for (const entry of output.RequestResponses) {
        expect(entry.RecordId).toEqual(expect.any(String));
        expect(entry.ErrorCode).toBeUndefined();
      }
      expect(new Set(output.RequestResponses.map((entry) => entry.RecordId)).size).toBe(3);
      expect(lines(await subject.acceptedAfterRestart())).toEqual(['{"n":1}\n', '{"n":2}\n', '{"n":3}\n']);
    });

    it('accepts exactly 500 records and exactly 4 MiB in one call', async () => {
      const subject = await open();
      const most = await subject.putter.putRecordBatch({
        DeliveryStreamName: subject.stream,
        Records: Array.from({ length: 500 }, () => record(1)),
      });
      const largest = await subject.putter.putRecordBatch({
        DeliveryStreamName: subject.stream,
        Records: [
          ...Array.from({ length: 4 }, () => record(1000 * 1024)),
          record(4 * 1024 * 1024 - 4000 * 1024),
        ],
      });

      expect(most.RequestResponses).toHaveLength(500);
      expect(most.FailedPutCount).toBe(0);
      expect(largest.FailedPutCount).toBe(0);
    });

    it.each([
      ['no records', []],
      ['501 records', Array.from({ length: 501 }, () => record(1))],
      ['a record over 1,000 KiB', [record(10), record(1000 * 1024 + 1)]],
      [
        'over 4 MiB',
        [...Array.from({ length: 4 }, () => record(1000 * 1024)), record(4 * 1024 * 1024 - 4000 * 1024 + 1)],
      ],
    ])(
      'refuses a call of %s whole with InvalidArgumentException and accepts none of it',
      async (_, records) => {
        const subject = await open();
        await expect(
          subject.putter.putRecordBatch({ DeliveryStreamName: subject.stream, Records: records }),
        ).rejects.toMatchObject({ name: 'InvalidArgumentException' });
        expect(await subject.acceptedAfterRestart()).toEqual([]);
      },
    );

    it('refuses a stream that does not exist with ResourceNotFoundException', async () => {
      const subject = await open();
      await expect(
        subject.putter.putRecordBatch({ DeliveryStreamName: 'totesys-no_such_table', Records: [record(1)] }),
      ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    });

    const faultsOf = (subject: RecordBatchPutterUnderTest): PutterFaults => {
      if (!subject.faults)
        throw new Error(`${name} was registered with faults but gave a subject without them.`);
      return subject.faults;
    };
    if (!options.withFaults) return;

    it('rejects a throttled call whole with ServiceUnavailableException, then accepts the same call again', async () => {
      const subject = await open();
      faultsOf(subject).throttleNextCall();
      const call = { DeliveryStreamName: subject.stream, Records: [{ Data: text('{"n":1}\n') }] };

      await expect(subject.putter.putRecordBatch(call)).rejects.toMatchObject({
        name: 'ServiceUnavailableException',
      });
      expect((await subject.putter.putRecordBatch(call)).FailedPutCount).toBe(0);
      expect(lines(await subject.acceptedAfterRestart())).toEqual(['{"n":1}\n']);
    });

    it('answers a failed entry with an ErrorCode and no RecordId, counts it, and accepts only the others', async () => {
      const subject = await open();
      faultsOf(subject).failEntriesOfNextCall([1]);

      const output = await subject.putter.putRecordBatch({
        DeliveryStreamName: subject.stream,
        Records: ['{"n":1}\n', '{"n":2}\n', '{"n":3}\n'].map((line) => ({ Data: text(line) })),
      });

      expect(output.FailedPutCount).toBe(1);
      expect(output.RequestResponses[0]?.RecordId).toEqual(expect.any(String));
      expect(output.RequestResponses[1]).toMatchObject({ ErrorCode: expect.any(String) });
      expect(output.RequestResponses[1]?.RecordId).toBeUndefined();
      expect(output.RequestResponses[2]?.RecordId).toEqual(expect.any(String));
      expect(lines(await subject.acceptedAfterRestart())).toEqual(['{"n":1}\n', '{"n":3}\n']);
    });
  });
}
