/**
 * @module
 * What the loader needs from a warehouse beyond the Warehouse port: a batch may carry the lake's watermark
 * emit times (for lake lag samples), and a load reports the members it had to infer and the latency of the
 * changes it made visible.
 */
import type { LoadBatch, LoadReport, Warehouse } from '../core/ports/warehouse.ts';
import type { LakeTableName } from '../glue/index.ts';

/** Columns the loader adds to star rows so the warehouse can apply them exactly once. */
export const VERSION_COLUMNS = ['_op', '_lsn', '_seq', '_commit_ts', '_unchanged'] as const;

/** The newest watermark of one lake table: its LSN and emit time (UTC `YYYY-MM-DD HH:MM:SS.mmm`). */
export interface LakeWatermark {
  readonly table: LakeTableName;
  readonly lsn: string;
  readonly emittedAt: string | null;
  /** LSN of the newest change (not watermark) in the scanned partitions, if any. */
  readonly newestChangeLsn?: string | null;
}

/** A load batch with the watermarks the cut was computed from. */
export interface LoaderBatch extends LoadBatch {
  readonly watermarks?: readonly LakeWatermark[];
}

/** A dimension row the warehouse invented because a fact referenced a key neither lake nor warehouse had. */
export interface InferredMember {
  readonly dimension: string;
  readonly memberId: string;
}

/** Commit-to-visible latency of the changes one load made visible, in seconds. */
export interface LoadLatency {
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
  readonly changes: number;
}

/** What a load changed, with its inferred members and latency. */
export interface LoaderReport extends LoadReport {
  readonly inferredMembers: readonly InferredMember[];
  readonly latency: LoadLatency | null;
}

/** The warehouse as the loader drives it. */
export interface LoaderWarehouse extends Warehouse {
  load(batch: LoaderBatch): Promise<LoaderReport>;
}

/** The warehouse's cut moved between reading it and loading: another run got there first. */
export class CutMovedError extends Error {
  override readonly name = 'CutMovedError';
}
