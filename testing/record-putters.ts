/**
 * @module
 * Record-batch putters for tests and the benchmark: one that accepts into memory, and a wrapper that injects
 * the failures Firehose really produces (failed entries in a successful response, throttled calls). Both keep
 * the port's limits (core/ports/record-batch-putter.ts), so a caller that breaks one fails here as on AWS.
 */
import {
  checkPutRecordBatchLimits,
  type PutRecordBatchInput,
  type PutRecordBatchOutput,
  type PutRecordBatchResponseEntry,
  type RecordBatchPutter,
  ResourceNotFoundError,
  ServiceUnavailableError,
} from '../core/ports/record-batch-putter.ts';

/** Options of {@link MemoryRecordPutter}. */
export interface MemoryRecordPutterOptions {
  /** Keep the accepted payloads in {@link MemoryRecordPutter.records}. @default true */
  readonly retain?: boolean;
  /** The delivery streams that exist; a call to another is refused. @default every name exists */
  readonly streams?: readonly string[];
}

/** Accepts every record into memory, per delivery stream. */
export class MemoryRecordPutter implements RecordBatchPutter {
  /** Accepted record payloads by delivery stream name. */
  readonly records = new Map<string, Uint8Array[]>();
  callCount = 0;
  readonly #retain: boolean;
  readonly #streams: ReadonlySet<string> | undefined;

  constructor(options: MemoryRecordPutterOptions = {}) {
    this.#retain = options.retain ?? true;
    this.#streams = options.streams ? new Set(options.streams) : undefined;
  }

  async putRecordBatch(input: PutRecordBatchInput): Promise<PutRecordBatchOutput> {
    this.callCount += 1;
    if (this.#streams && !this.#streams.has(input.DeliveryStreamName)) {
      throw new ResourceNotFoundError(`Firehose ${input.DeliveryStreamName} not found.`);
    }
    checkPutRecordBatchLimits(input);
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
  return new ServiceUnavailableError('Slow down.');
}

/**
 * Wraps a putter and injects the faults a plan chooses; failed entries are not passed to the inner putter.
 * A call over the limits is refused before any fault, as AWS validates a call before it accepts anything.
 */
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
    checkPutRecordBatchLimits(input);
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
