import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../core/change-event.ts';
import type {
  PutRecordBatchInput,
  PutRecordBatchOutput,
  RecordBatchPutter,
} from '../../core/ports/record-batch-putter.ts';
import {
  ChangeStreamPutError,
  FirehoseChangeStream,
  OversizedEventError,
} from '../../reader/firehose-change-stream.ts';
import { FaultyRecordPutter, MemoryRecordPutter, serviceUnavailable } from '../../testing/record-putters.ts';

const noWait = { sleep: async () => undefined };

function departmentEvent(
  seq: number,
  commitTs = '2026-11-22T10:00:00.000Z',
  padding = 0,
): ChangeEvent & { op: 'c' } {
  return {
    table: 'department',
    op: 'c',
    key: { department_id: seq },
    row: { department_id: seq, department_name: `Dept ${seq}${'x'.repeat(padding)}` },
    lsn: '123456',
    seq,
    xid: 77,
    commit_ts: commitTs,
  };
}

function decode(records: readonly Uint8Array[]): ChangeEvent[] {
  return records.flatMap((data) =>
    Buffer.from(data)
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as ChangeEvent),
  );
}

/** The memory putter (which refuses calls over the hard limits, as Firehose does), keeping every call it accepted. */
class CallRecordingPutter extends MemoryRecordPutter {
  readonly calls: PutRecordBatchInput[] = [];
  override async putRecordBatch(input: PutRecordBatchInput): Promise<PutRecordBatchOutput> {
    const output = await super.putRecordBatch(input);
    this.calls.push(input);
    return output;
  }
}

describe('FirehoseChangeStream', () => {
  it('routes each event to its table stream and packs events of one table and commit date into newline-terminated records', async () => {
    const putter = new CallRecordingPutter();
    const stream = new FirehoseChangeStream({ putter, streamPrefix: 'test-' });
    const events: ChangeEvent[] = [
      departmentEvent(0),
      departmentEvent(1),
      departmentEvent(2, '2026-11-23T00:00:00.001Z'),
      { ...departmentEvent(3), table: 'currency', key: { currency_id: 3 }, row: { currency_id: 3 } },
    ];

    const report = await stream.put(events);

    expect([...putter.records.keys()].sort()).toEqual(['test-currency', 'test-department']);
    const departmentRecords = putter.records.get('test-department')!;
    expect(departmentRecords).toHaveLength(2);
    expect(Buffer.from(departmentRecords[0]!).toString('utf8').endsWith('\n')).toBe(true);
    expect(decode([departmentRecords[0]!]).map((e) => e.seq)).toEqual([0, 1]);
    expect(decode(putter.records.get('test-currency')!)).toEqual([events[3]]);
    expect(report).toMatchObject({ eventCount: 4, recordCount: 3, retryCount: 0 });
  });

  it('keeps every call within 500 records and 4 MiB and every record within its size target', async () => {
    const putter = new CallRecordingPutter();
    const stream = new FirehoseChangeStream({ putter, recordTargetBytes: 900 * 1024 });
    const large = Array.from({ length: 30 }, (_, seq) => departmentEvent(seq, undefined, 300 * 1024));
    const small = Array.from({ length: 2000 }, (_, seq) => ({
      ...departmentEvent(seq),
      table: 'currency' as const,
    }));
    const tinyRecords = new FirehoseChangeStream({ putter, recordTargetBytes: 1 });

    await stream.put(large);
    await tinyRecords.put(small);

    expect(decode(putter.records.get('totesys-department')!)).toHaveLength(30);
    expect(decode(putter.records.get('totesys-currency')!)).toHaveLength(2000);
    expect(putter.records.get('totesys-currency')).toHaveLength(2000);
    expect(putter.calls.filter((call) => call.DeliveryStreamName === 'totesys-currency').length).toBe(4);
    expect(putter.calls.every((call) => call.Records.every((r) => r.Data.byteLength <= 900 * 1024))).toBe(
      true,
    );
  });

  it('retries only the failed entries until they are accepted', async () => {
    const inner = new MemoryRecordPutter();
    const faulty = new FaultyRecordPutter(inner, (_input, call) =>
      call < 2 ? { kind: 'fail-entries', indexes: [1, 3] } : undefined,
    );
    const stream = new FirehoseChangeStream({ putter: faulty, recordTargetBytes: 1, ...noWait });
    const events = Array.from({ length: 5 }, (_, seq) => departmentEvent(seq));

    const report = await stream.put(events);

    // Call 0 fails entries 1 and 3; call 1 resends just those two and fails index 1 (event 3); call 2 sends it.
    expect(faulty.callCount).toBe(3);
    expect(
      decode(inner.records.get('totesys-department')!)
        .map((e) => e.seq)
        .sort(),
    ).toEqual([0, 1, 2, 3, 4]);
    expect(report.retryCount).toBe(3);
  });

  it('treats a thrown ServiceUnavailableException as throttling and tries again', async () => {
    const inner = new MemoryRecordPutter();
    const faulty = new FaultyRecordPutter(inner, (_input, call) =>
      call === 0 ? { kind: 'throw', error: serviceUnavailable() } : undefined,
    );
    const stream = new FirehoseChangeStream({ putter: faulty, ...noWait });

    await stream.put([departmentEvent(0)]);

    expect(faulty.thrownCalls).toBe(1);
    expect(decode(inner.records.get('totesys-department')!)).toHaveLength(1);
  });

  it('rejects after the bounded attempts and on errors that retrying cannot fix', async () => {
    const alwaysFailing = new FaultyRecordPutter(new MemoryRecordPutter(), () => ({
      kind: 'fail-entries',
      indexes: [0],
    }));
    const delays: number[] = [];
    const stream = new FirehoseChangeStream({
      putter: alwaysFailing,
      retry: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 250 },
      random: () => 0.999,
      sleep: async (ms) => void delays.push(ms),
    });
    const missing = new FaultyRecordPutter(new MemoryRecordPutter(), () => {
      const error = new Error('Stream totesys-department not found.');
      error.name = 'ResourceNotFoundException';
      return { kind: 'throw', error };
    });

    await expect(stream.put([departmentEvent(0)])).rejects.toThrow(ChangeStreamPutError);
    await expect(
      new FirehoseChangeStream({ putter: missing, ...noWait }).put([departmentEvent(0)]),
    ).rejects.toThrow(/totesys-department.*firehose:PutRecordBatch/s);
    expect(alwaysFailing.callCount).toBe(4);
    // Full jitter under an exponential cap: 100, 200, then capped at 250 (random close to 1).
    expect(delays).toEqual([99, 199, 249]);
    expect(missing.callCount).toBe(1);
  });

  it('refuses an event larger than a Firehose record, naming its table and LSN', async () => {
    const stream = new FirehoseChangeStream({ putter: new MemoryRecordPutter() });
    await expect(stream.put([departmentEvent(9, undefined, 1024 * 1024)])).rejects.toThrow(
      OversizedEventError,
    );
    await expect(stream.put([departmentEvent(9, undefined, 1024 * 1024)])).rejects.toThrow(
      /department at LSN 0\/1E240 seq 9/,
    );
  });

  it('hands an event larger than a Firehose record to setAside, once, and ships the rest of the batch', async () => {
    const putter = new MemoryRecordPutter();
    const setAside: unknown[] = [];
    const stream = new FirehoseChangeStream({
      putter,
      setAside: async (events) => void setAside.push(...events),
    });

    const report = await stream.put([
      departmentEvent(1),
      departmentEvent(9, undefined, 1024 * 1024),
      departmentEvent(2),
    ]);

    expect(decode(putter.records.get('totesys-department') ?? []).map((event) => event.seq)).toEqual([1, 2]);
    expect(setAside).toEqual([
      expect.objectContaining({
        event: expect.objectContaining({ seq: 9 }),
        bytes: expect.any(Number),
        reason: expect.stringMatching(/department at LSN 0\/1E240 seq 9 is \d+ bytes/),
      }),
    ]);
    expect(report.eventCount).toBe(3);
  });

  it('does not resolve before the set-aside events are durable, and rejects when setting them aside fails', async () => {
    let release: () => void = () => undefined;
    const stream = new FirehoseChangeStream({
      putter: new MemoryRecordPutter(),
      setAside: () => new Promise<void>((resolve) => (release = resolve)),
    });
    let resolved = false;
    const put = stream.put([departmentEvent(9, undefined, 1024 * 1024)]).then(() => {
      resolved = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(resolved).toBe(false);
    release();
    await put;
    expect(resolved).toBe(true);

    const failing = new FirehoseChangeStream({
      putter: new MemoryRecordPutter(),
      setAside: async () => {
        throw new Error('bucket unreachable');
      },
    });
    await expect(failing.put([departmentEvent(9, undefined, 1024 * 1024)])).rejects.toThrow(
      /bucket unreachable/,
    );
  });

  it('waits while the bytes in flight are at the bound', async () => {
    const releases: (() => void)[] = [];
    const inner = new MemoryRecordPutter();
    const slow: RecordBatchPutter = {
      putRecordBatch: async (input) => {
        await new Promise<void>((resolve) => releases.push(resolve));
        return inner.putRecordBatch(input);
      },
    };
    const stream = new FirehoseChangeStream({ putter: slow, maxInFlightBytes: 1 });
    const first = stream.put([departmentEvent(0)]);
    const second = stream.put([{ ...departmentEvent(1), table: 'currency' }]);
    await new Promise((resolve) => setImmediate(resolve));

    // Only the first call is out; the second waits for room.
    expect(releases).toHaveLength(1);
    releases[0]!();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    expect(releases).toHaveLength(2);
    releases[1]!();
    await second;
    await stream.close();
  });
});
