/**
 * @module
 * One invocation of the transformation Lambda as Firehose makes it: the event shape, the 6 MB request
 * bound, and the checks Firehose applies to the response before it trusts any of it
 * (`firehose/README.md`). Any failed check fails the whole invocation, which is then retried.
 */
import { randomUUID } from 'node:crypto';
import type {
  FirehoseTransformationEvent,
  FirehoseTransformationResult,
  FirehoseTransformationResultRecord,
} from 'aws-lambda';

/** The transformation function: the real handler, called in-process. */
export type TransformFunction = (event: FirehoseTransformationEvent) => Promise<FirehoseTransformationResult>;

/**
 * Makes one invocation and checks its response: in-process by default ({@link inProcessInvoker}), or in a
 * worker thread (`LambdaWorkerPool.invoker`) so the encoding, the handler and the checks use another core.
 */
export type Invoker = (
  records: readonly InvocationRecord[],
  streamArn: string,
  region: string,
) => Promise<InvocationResult>;

/** Synchronous Lambda invocation payload limit (request and response). */
export const LAMBDA_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024;

/** JSON envelope bytes per record besides its base64 data: recordId, timestamp, field names. */
const ENVELOPE_BYTES_PER_RECORD = 160;

/** One record handed to the Lambda. */
export interface InvocationRecord {
  readonly recordId: string;
  readonly data: Uint8Array;
  readonly arrivalMs: number;
}

/** What one validated response says about one record. */
export type RecordOutcome =
  | {
      readonly result: 'Ok';
      readonly data: Uint8Array;
      readonly partitionKeys: Readonly<Record<string, string>>;
    }
  | { readonly result: 'Dropped' }
  | { readonly result: 'ProcessingFailed' };

/** The result of one invocation attempt. */
export type InvocationResult =
  | { readonly ok: true; readonly outcomes: readonly RecordOutcome[] }
  | { readonly ok: false; readonly errorCode: string; readonly errorMessage: string };

/** The base64 length of `bytes` bytes. */
export function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

/** The estimated size of an invocation request holding records of these sizes. */
export function estimatedRequestBytes(recordBytes: number): number {
  return 300 + base64Length(recordBytes) + ENVELOPE_BYTES_PER_RECORD;
}

const RESULTS = new Set(['Ok', 'Dropped', 'ProcessingFailed']);

/** Builds the event exactly as Firehose sends it for a Direct PUT stream. */
export function buildTransformationEvent(
  records: readonly InvocationRecord[],
  streamArn: string,
  region: string,
): FirehoseTransformationEvent {
  return {
    invocationId: randomUUID(),
    deliveryStreamArn: streamArn,
    region,
    records: records.map((record) => ({
      recordId: record.recordId,
      approximateArrivalTimestamp: record.arrivalMs,
      data: Buffer.from(record.data.buffer, record.data.byteOffset, record.data.byteLength).toString(
        'base64',
      ),
    })),
  };
}

function failure(errorCode: string, errorMessage: string): InvocationResult {
  return { ok: false, errorCode, errorMessage };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Invokes `transform` and validates its response against the request: every recordId exactly once, known,
 * a valid result, base64 `data`, string partition keys, response under 6 MB. Never throws.
 */
export async function invokeTransformation(
  transform: TransformFunction,
  records: readonly InvocationRecord[],
  streamArn: string,
  region: string,
): Promise<InvocationResult> {
  let response: unknown;
  try {
    response = await transform(buildTransformationEvent(records, streamArn, region));
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return failure(
      'Lambda.FunctionError',
      `The Lambda function was invoked but it returned an error: ${message}`,
    );
  }
  return validateResponse(response, records);
}

/** An {@link Invoker} that calls `transform` on this thread. */
export function inProcessInvoker(transform: TransformFunction): Invoker {
  return (records, streamArn, region) => invokeTransformation(transform, records, streamArn, region);
}

/**
 * Invokes as Firehose does: a failed invocation is retried `numberOfRetries` times; the last result is
 * returned with the attempts made (the error documents report them).
 */
export async function invokeWithRetries(
  invoke: Invoker,
  records: readonly InvocationRecord[],
  streamArn: string,
  region: string,
  numberOfRetries: number,
): Promise<{ result: InvocationResult; attempts: number }> {
  let attempts = 1;
  let result = await invoke(records, streamArn, region);
  while (!result.ok && attempts <= numberOfRetries) {
    attempts++;
    result = await invoke(records, streamArn, region);
  }
  return { result, attempts };
}

/** The response checks, separated for direct testing. */
export function validateResponse(response: unknown, records: readonly InvocationRecord[]): InvocationResult {
  if (!isObject(response) || !Array.isArray(response.records))
    return failure(
      'Lambda.JsonProcessingException',
      'The Lambda response is not a JSON object with a "records" array.',
    );
  const index = new Map<string, number>();
  for (const [i, record] of records.entries()) index.set(record.recordId, i);
  const outcomes: (RecordOutcome | undefined)[] = new Array(records.length).fill(undefined);
  let responseBytes = 20;
  for (const item of response.records as unknown[]) {
    if (!isObject(item))
      return failure(
        'Lambda.JsonProcessingException',
        'A record of the Lambda response is not a JSON object.',
      );
    const { recordId, result, data, metadata } = item as Partial<FirehoseTransformationResultRecord> &
      Record<string, unknown>;
    if (typeof recordId !== 'string' || recordId === '')
      return failure('Lambda.MissingRecordId', 'A record of the Lambda response has no recordId.');
    const at = index.get(recordId);
    if (at === undefined)
      return failure(
        'Lambda.MissingRecordId',
        `The Lambda response names recordId ${recordId}, which was not in the request.`,
      );
    if (outcomes[at] !== undefined)
      return failure('Lambda.DuplicatedRecordId', `The Lambda response returns recordId ${recordId} twice.`);
    if (typeof result !== 'string' || !RESULTS.has(result))
      return failure(
        'Lambda.JsonProcessingException',
        `Record ${recordId} has result ${JSON.stringify(result)}; expected Ok, Dropped or ProcessingFailed.`,
      );
    const decoded = typeof data === 'string' ? decodeBase64(data) : undefined;
    if (decoded === undefined)
      return failure(
        'Lambda.JsonProcessingException',
        `Record ${recordId} has no base64 "data"; Firehose needs it for every result, even Dropped.`,
      );
    const partitionKeys = metadata === undefined ? {} : readPartitionKeys(metadata);
    if (partitionKeys === undefined)
      return failure(
        'Lambda.JsonProcessingException',
        `Record ${recordId} has metadata that is not {"partitionKeys": {name: string}}.`,
      );
    responseBytes += (data as string).length + recordId.length + 80;
    outcomes[at] =
      result === 'Ok'
        ? { result, data: decoded, partitionKeys }
        : { result: result as 'Dropped' | 'ProcessingFailed' };
  }
  const missing = outcomes.indexOf(undefined);
  if (missing >= 0 || outcomes.length !== records.length)
    return failure(
      'Lambda.MissingRecordId',
      `The Lambda response does not return recordId ${records[missing]?.recordId}; every input record must come back once.`,
    );
  if (responseBytes > LAMBDA_PAYLOAD_LIMIT_BYTES)
    return failure(
      'Lambda.FunctionError',
      `The Lambda response is about ${responseBytes} bytes; the synchronous invocation limit is 6 MB.`,
    );
  return { ok: true, outcomes: outcomes as RecordOutcome[] };
}

/**
 * Decodes standard base64, or returns undefined when it is not. Node's decoder skips characters outside the
 * alphabet instead of failing, so a decoded length short of what the text length implies reveals them; this
 * is much cheaper than a regular expression over megabytes.
 */
function decodeBase64(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0) return undefined;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const decoded = Buffer.from(text, 'base64');
  if (decoded.length !== (text.length / 4) * 3 - padding) return undefined;
  if (text.includes('-') || text.includes('_')) return undefined;
  return decoded;
}

function readPartitionKeys(metadata: unknown): Readonly<Record<string, string>> | undefined {
  if (!isObject(metadata)) return undefined;
  const keys = metadata.partitionKeys;
  if (keys === undefined) return {};
  if (!isObject(keys)) return undefined;
  for (const value of Object.values(keys)) if (typeof value !== 'string') return undefined;
  return keys as Record<string, string>;
}
