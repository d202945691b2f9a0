/**
 * @module
 * Failed records of one stream waiting for the error prefix, written as Firehose writes them: one object per
 * error output type per round, newline-delimited error documents, keyed under the evaluated
 * `ErrorOutputPrefix` with the oldest record's arrival time.
 */

import {
  conversionFailedDocument,
  ERROR_OUTPUT_TYPES,
  type ErrorOutputType,
  type FailedRecord,
  processingFailedDocument,
} from '../core/error-documents.ts';
import type { ObjectStore } from '../core/ports/object-store.ts';
import type { AnyLakeTable } from '../core/schema/lake-tables.ts';
import { INITIAL_STREAM_VERSION, objectKey } from './object-key.ts';
import type { SpooledRecord } from './partition-buffers.ts';
import { type CompiledPrefix, evaluatePrefix } from './prefix-expression.ts';

/** A failed record bound for the error prefix. */
export interface ErrorRecord extends FailedRecord {
  readonly type: ErrorOutputType;
  /** The spooled record to release once the error document is written. */
  readonly source: SpooledRecord;
}

/** Where and how a stream writes its error objects. */
export interface ErrorOutputTarget {
  readonly store: ObjectStore;
  readonly prefix: CompiledPrefix;
  readonly streamName: string;
  readonly table: AnyLakeTable;
  readonly region: string;
  readonly lambdaArn: string;
}

/** The error records of one stream not yet written. */
export class ErrorOutput {
  #pending: ErrorRecord[] = [];

  readonly #target: ErrorOutputTarget;

  constructor(target: ErrorOutputTarget) {
    this.#target = target;
  }

  /** Queues a failed record; `data` is what failed (the original, or the transformed output). */
  add(
    type: ErrorOutputType,
    source: SpooledRecord,
    data: Uint8Array,
    errorCode: string,
    errorMessage: string,
    attemptsMade: number,
  ): void {
    this.#pending.push({
      type,
      source,
      data,
      arrivalMs: source.arrivalMs,
      errorCode,
      errorMessage,
      attemptsMade,
    });
  }

  /** Records waiting. */
  get count(): number {
    return this.#pending.length;
  }

  /** Arrival time of the oldest waiting record, or +Infinity when none. */
  oldestArrivalMs(): number {
    return this.#pending.reduce((min, record) => Math.min(min, record.arrivalMs), Number.POSITIVE_INFINITY);
  }

  /**
   * Writes every waiting record, one object per error output type, calling `written` with each object's
   * records once it is durable. Returns the objects written. When a write fails, its records and the ones
   * not reached stay queued (Firehose retries error writes forever) and the error is thrown.
   */
  async write(written: (records: readonly SpooledRecord[]) => Promise<void>): Promise<number> {
    const byType = new Map<ErrorOutputType, ErrorRecord[]>();
    for (const record of this.#pending.splice(0)) {
      const group = byType.get(record.type);
      if (group) group.push(record);
      else byType.set(record.type, [record]);
    }
    let objects = 0;
    const groups = [...byType.values()];
    for (const [index, group] of groups.entries()) {
      try {
        await this.#target.store.put(this.#keyFor(group), this.#body(group));
      } catch (error) {
        for (const unwritten of groups.slice(index)) this.#pending.push(...unwritten);
        throw error;
      }
      objects++;
      await written(group.map((record) => record.source));
    }
    return objects;
  }

  #keyFor(group: readonly ErrorRecord[]): string {
    const oldest = group.reduce((min, record) => Math.min(min, record.arrivalMs), Number.POSITIVE_INFINITY);
    const prefix = evaluatePrefix(this.#target.prefix, {
      arrivalMs: oldest,
      errorOutputType: group[0]!.type,
    });
    return objectKey(prefix, this.#target.streamName, INITIAL_STREAM_VERSION, oldest, '');
  }

  #body(group: readonly ErrorRecord[]): Uint8Array {
    const ended = Date.now();
    const { table, region, lambdaArn } = this.#target;
    const lines = group.map((record) =>
      record.type === ERROR_OUTPUT_TYPES.conversion
        ? conversionFailedDocument(record, table, region, ended)
        : processingFailedDocument(record, lambdaArn, ended),
    );
    return Buffer.from(`${lines.join('\n')}\n`);
  }
}
