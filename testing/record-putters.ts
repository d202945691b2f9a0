/**
 * @module
 * Record-batch putters for tests and the benchmark: one that accepts into memory, and a wrapper that injects
 * the failures Firehose really produces (failed entries in a successful response, throttled calls).
 */
import type {
  PutRecordBatchInput,
  PutRecordBatchOutput,
  PutRecordBatchResponseEntry,
  RecordBatchPutter,
} from '../core/ports/record-batch-putter.ts';

/** Accepts every record into memory, per delivery stream. */
export class MemoryRecordPutter implements RecordBatchPutter {
  /** Accepted record payloads by delivery stream name. */
  readonly records = new Map<string, Uint8Array[]>();
  callCount = 0;
  readonly #retain: boolean;

  constructor(options: { retain?: boolean } = {}) {
    this.#retain = options.retain ?? true;
  }

  async putRecordBatch(input: PutRecordBatchInput): Promise<PutRecordBatchOutput> {
    this.callCount += 1;
    if (this.#retain) {
      let list = this.records.get(input.DeliveryStreamName);
      if (!list) {
        list = [];
        this.records.set(input.DeliveryStreamName, list);
      }
      for (const record of input.Records) list.push(record.Data);
    }
    return {
      FailedPutCount: 0,
      RequestResponses: input.Records.map((_, index) => ({ RecordId: `${this.callCount}-${index}` })),
    };
  }
}

/** What to do with one call: fail some entries (by index), throw, or pass it through. */
export type PutFault =
  | { readonly kind: 'fail-entries'; readonly indexes: readonly number[]; readonly errorCode?: string }
  | { readonly kind: 'throw'; readonly error: Error }
  | undefined;

/** Decides the fault of call number `call` (from 0). */
export type FaultPlan = (input: PutRecordBatchInput, call: number) => PutFault;

/** The throttling error Firehose throws, shaped as the AWS SDK shapes it. */
export function serviceUnavailable(): Error {
  const error = new Error('Slow down.');
  error.name = 'ServiceUnavailableException';
  return error;
}

/** Wraps a putter and injects the faults a plan chooses; failed entries are not passed to the inner putter. */
export class FaultyRecordPutter implements RecordBatchPutter {
  callCount = 0;
  failedEntries = 0;
  thrownCalls = 0;
  readonly #inner: RecordBatchPutter;
  readonly #plan: FaultPlan;

  constructor(inner: RecordBatchPutter, plan: FaultPlan) {
    this.#inner = inner;
    this.#plan = plan;
  }

  async putRecordBatch(input: PutRecordBatchInput): Promise<PutRecordBatchOutput> {
    const fault = this.#plan(input, this.callCount++);
    if (fault?.kind === 'throw') {
      this.thrownCalls += 1;
      throw fault.error;
    }
    if (fault?.kind !== 'fail-entries') return this.#inner.putRecordBatch(input);
    const failing = new Set(fault.indexes.filter((index) => index < input.Records.length));
    const passed = input.Records.filter((_, index) => !failing.has(index));
    const inner =
      passed.length > 0 ? await this.#inner.putRecordBatch({ ...input, Records: passed }) : undefined;
    let next = 0;
    const responses: PutRecordBatchResponseEntry[] = input.Records.map((_, index) => {
      if (failing.has(index)) {
        return {
          ErrorCode: fault.errorCode ?? 'ServiceUnavailableException',
          ErrorMessage: 'injected failure',
        };
      }
      return inner!.RequestResponses[next++]!;
    });
    this.failedEntries += failing.size;
    return {
      FailedPutCount: responses.filter((entry) => entry.ErrorCode).length,
      RequestResponses: responses,
    };
  }
}
