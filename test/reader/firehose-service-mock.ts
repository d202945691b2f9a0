/**
 * @module
 * Amazon Data Firehose's `PutRecordBatch` behind aws-sdk-client-mock, answering as the service documents it:
 * the SDK's own exceptions for a call over the limits, an unknown stream and throttling; per-entry failures in
 * a successful response; accepted records kept per stream (the service's durability, seen from outside).
 */
import {
  type FirehoseClient,
  InvalidArgumentException,
  PutRecordBatchCommand,
  type PutRecordBatchCommandInput,
  type PutRecordBatchCommandOutput,
  ResourceNotFoundException,
  ServiceUnavailableException,
} from '@aws-sdk/client-firehose';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { checkPutRecordBatchLimits } from '../../core/ports/record-batch-putter.ts';
import type { PutterFaults } from './record-batch-putter-contract.ts';

/** The service: which streams exist, what they accepted, and the faults the next call meets. */
export class FirehoseServiceMock implements PutterFaults {
  /** Accepted payloads by stream name. */
  readonly records = new Map<string, Uint8Array[]>();
  readonly #streams: ReadonlySet<string>;
  #throttleNext = false;
  #failNext: readonly number[] = [];
  #sequence = 0;

  constructor(streams: readonly string[]) {
    this.#streams = new Set(streams);
  }

  /** Makes `stub` (a `mockClient(FirehoseClient)`) answer with this service from now on. */
  install(stub: AwsClientStub<FirehoseClient>): void {
    stub.reset();
    stub.on(PutRecordBatchCommand).callsFake((input: PutRecordBatchCommandInput) => this.#answer(input));
  }

  throttleNextCall(): void {
    this.#throttleNext = true;
  }

  failEntriesOfNextCall(indexes: readonly number[]): void {
    this.#failNext = indexes;
  }

  #answer(input: PutRecordBatchCommandInput): Omit<PutRecordBatchCommandOutput, '$metadata'> {
    const name = input.DeliveryStreamName ?? '';
    if (!this.#streams.has(name)) {
      throw new ResourceNotFoundException({
        message: `Firehose ${name} under account 123456789012 not found.`,
        $metadata: { httpStatusCode: 400 },
      });
    }
    const records = (input.Records ?? []).map((record) => ({ Data: record.Data ?? new Uint8Array() }));
    try {
      checkPutRecordBatchLimits({ DeliveryStreamName: name, Records: records });
    } catch (error) {
      throw new InvalidArgumentException({
        message: (error as Error).message,
        $metadata: { httpStatusCode: 400 },
      });
    }
    if (this.#throttleNext) {
      this.#throttleNext = false;
      throw new ServiceUnavailableException({ message: 'Slow down.', $metadata: { httpStatusCode: 503 } });
    }
    const failing = new Set(this.#failNext);
    this.#failNext = [];
    const kept = this.records.get(name) ?? [];
    this.records.set(name, kept);
    const responses = records.map((record, index) => {
      if (failing.has(index)) {
        return { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' };
      }
      kept.push(new Uint8Array(record.Data));
      return { RecordId: `${++this.#sequence}`.padStart(56, '0') };
    });
    const failed = responses.filter((entry) => entry.ErrorCode !== undefined).length;
    return { FailedPutCount: failed, Encrypted: true, RequestResponses: responses };
  }
}
