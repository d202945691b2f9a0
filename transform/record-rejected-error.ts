/**
 * @module
 * Why the transformation refused one Firehose record. The record is returned `ProcessingFailed` (Firehose then
 * writes it under the error prefix) and the reason is logged for on-call; the rest of the batch goes on.
 */

/** Where in the record the problem is; every field is an identifier, never a row value. */
export interface RejectionContext {
  /** The source table the record's events name, when known. */
  readonly table?: string;
  /** The lake (or source) column at fault, when one is. */
  readonly column?: string;
  /** The commit LSN of the event at fault, when known. */
  readonly lsn?: string;
}

/** One record could not be transformed. The message is the logged reason: identifiers only, no values. */
export class RecordRejectedError extends Error {
  override readonly name = 'RecordRejectedError';
  readonly context: RejectionContext;

  constructor(reason: string, context: RejectionContext = {}, options?: { cause?: unknown }) {
    super(reason, options);
    this.context = context;
  }
}
