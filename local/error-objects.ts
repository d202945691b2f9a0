/**
 * @module
 * The error location read back (`errors list`, `errors replay`): every object under `errors/`, its lake
 * table, error type, record count and the reason of each record (README, "Bad input flows aside").
 *
 * Firehose's response to the transformation has no field for a reason (`functions/transformer/handler.ts`
 * logs it instead), so a `processing-failed` document only says the Lambda returned ProcessingFailed. The
 * transformation is pure and deterministic, so the real reason is found again by running it on the record's
 * `rawData` (the original record, as the document keeps it); on AWS this reads the same objects in S3.
 *
 * Replay: a failed record is a change older than the warehouse's cut, and the loader loads each LSN once,
 * above the cut, so putting the record through the stream again would reach the lake and never the warehouse.
 * Replaying an object instead asks the reader to re-read its source table (`resnapshot`): the rows' current
 * state arrives at a new LSN, exactly once, and a row still bad lands in `errors/` again with its reason. The
 * replayed object moves to `errors-replayed/` (kept, no longer reported).
 */
import type { FirehoseTransformationEvent } from 'aws-lambda';
import {
  ERROR_OUTPUT_TYPES,
  type ErrorDocument,
  type ErrorOutputType,
  errorObjectLocation,
  PROCESSING_FAILED_MESSAGE,
  parseErrorDocuments,
  RECORD_ERROR_CODES,
} from '../core/error-documents.ts';
import { LAKE_PREFIXES } from '../core/lake-layout.ts';
import type { ObjectStore } from '../core/ports/object-store.ts';
import { LAKE_TABLE_NAMES, LAKE_TABLES, type LakeTableName } from '../core/schema/lake-tables.ts';
import { transformBatch } from '../transform/firehose-transformation.ts';

/** How many records of an object failed for one reason. */
export interface ReasonCount {
  readonly reason: string;
  readonly records: number;
}

/** One error object as `errors list` shows it. */
export interface ErrorObjectSummary {
  readonly key: string;
  /** The lake table whose stream wrote it. */
  readonly table: string;
  readonly type: ErrorOutputType;
  readonly records: number;
  /** Distinct reasons, most frequent first. */
  readonly reasons: readonly ReasonCount[];
}

/** The real reason of one record: the document's own, or the transformation's when Firehose gave none. */
export function recordReason(type: ErrorOutputType, document: ErrorDocument): string {
  const generic =
    document.errorCode === RECORD_ERROR_CODES.processingFailed &&
    (document.errorMessage === '' || document.errorMessage === PROCESSING_FAILED_MESSAGE);
  if (type !== ERROR_OUTPUT_TYPES.processing || !generic || document.rawData === undefined)
    return document.errorMessage || document.errorCode || 'no reason recorded';
  return (
    transformationFailure(document.rawData) ??
    'passes the transformation now (it failed under an older version): replay it'
  );
}

/**
 * Why the transformation refuses the record `data`, or undefined when it accepts it. The reason names the lake
 * table, column and LSN itself (transform/record-rejected-error.ts). The local Firehose writes it into the
 * error document (`DeliveryStreamConfig.failureReason`).
 */
export function transformationFailure(data: Uint8Array, streamName = 'failure-reason'): string | undefined {
  const event: FirehoseTransformationEvent = {
    invocationId: 'failure-reason',
    // The stream's name tells a market stream's observations from change events (core/delivery-stream-spec.ts).
    deliveryStreamArn: `arn:aws:firehose:local:000000000000:deliverystream/${streamName}`,
    region: 'local',
    records: [{ recordId: '1', approximateArrivalTimestamp: 0, data: Buffer.from(data).toString('base64') }],
  };
  return transformBatch(event).failures[0]?.reason;
}

/** Every error object under `errors/`, in key order, with its records' reasons. */
export async function listErrorObjects(store: ObjectStore): Promise<ErrorObjectSummary[]> {
  const summaries: ErrorObjectSummary[] = [];
  for (const { key } of await store.list(LAKE_PREFIXES.errors)) {
    const location = errorObjectLocation(key, LAKE_PREFIXES.errors);
    if (!location) continue;
    const body = await store.get(key);
    if (!body) continue;
    const counts = new Map<string, number>();
    const documents = parseErrorDocuments(body);
    for (const document of documents) {
      const reason = recordReason(location.type, document);
      counts.set(reason, (counts.get(reason) ?? 0) + 1);
    }
    summaries.push({
      key,
      table: location.table,
      type: location.type,
      records: documents.length,
      reasons: [...counts]
        .map(([reason, records]) => ({ reason, records }))
        .sort((a, b) => b.records - a.records),
    });
  }
  return summaries;
}

/** Where a replayed error object is kept. */
export function replayedKey(key: string): string {
  return `${LAKE_PREFIXES.replayedErrors}${key.slice(LAKE_PREFIXES.errors.length)}`;
}

/** The source tables a replay of `objects` re-reads (each lake table's source). */
export function sourceTablesOf(objects: readonly ErrorObjectSummary[]): string[] {
  const tables = new Set<string>();
  for (const { table } of objects)
    if ((LAKE_TABLE_NAMES as readonly string[]).includes(table))
      tables.add(LAKE_TABLES[table as LakeTableName].source);
  return [...tables].sort();
}

/**
 * Moves replayed objects to `errors-replayed/` once the re-read of their tables was requested (the caller's
 * `requestReread`, made durable first: a crash between the two re-reads again rather than losing the request).
 */
export async function replayErrorObjects(
  store: ObjectStore,
  objects: readonly ErrorObjectSummary[],
  requestReread: (sourceTables: readonly string[]) => Promise<void>,
): Promise<string[]> {
  const tables = sourceTablesOf(objects);
  if (tables.length === 0) return [];
  await requestReread(tables);
  for (const { key } of objects) {
    const body = await store.get(key);
    if (!body) continue;
    await store.put(replayedKey(key), body);
    await store.delete(key);
  }
  return tables;
}
