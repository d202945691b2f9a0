/**
 * @module
 * RoundLog: the reader's durable account of its watermark rounds, read by the loader to decide how far the
 * lake is complete (the consistent cut). On AWS and locally it is a few small objects of the lake bucket
 * (`lake/object-store-round-log.ts`).
 *
 * Why it exists: a watermark in the lake proves only its own partition. With dynamic partitioning each `dt`
 * partition of a stream has its own buffer, and Firehose orders nothing across partitions, so a watermark
 * proves the changes before it only in the partition it landed in. A round therefore puts a watermark into
 * every partition that received changes since the rounds before it, and records which ones they are: the
 * loader moves its cut to a round only once every partition the round names holds that round's watermark.
 * A stream (or partition) that received nothing needs no watermark at all, so an idle source writes nothing
 * to the lake.
 */
import { LAKE_PREFIXES } from '../lake-layout.ts';
import type { LakeTableName } from '../schema/lake-tables.ts';

/** The key prefix of the round log in the lake bucket. */
export const ROUND_LOG_PREFIX = LAKE_PREFIXES.rounds;

/**
 * One watermark round: every change with a commit LSN at or below `lsn` was accepted by Firehose, and every
 * partition that received one of them since the previous round is named in `partitions` and was given a
 * watermark at `lsn`.
 */
export interface WatermarkRound {
  /** The round's LSN (decimal). */
  readonly lsn: string;
  /**
   * The LSN of the round recorded before this one, or null when none was known: a loader that sees a round
   * whose predecessor it has not seen yet waits for it (a round record can become visible late).
   */
  readonly previousLsn: string | null;
  /** When the round was emitted (UTC ISO-8601): its age is the lake lag of the partitions it waits for. */
  readonly emittedAt: string;
  /** The partitions (`dt` values) per lake table that hold this round's watermark; tables absent had none. */
  readonly partitions: Readonly<Partial<Record<LakeTableName, readonly string[]>>>;
  /**
   * Per lake table and partition, how many distinct changes (by LSN and position) with a commit LSN above
   * `previousLsn` and at or below `lsn` the reader put there: the lake must hold at least these, or an object
   * went missing (loader/round-records.ts). Partitions absent were not counted (a round owed after a crash).
   */
  readonly records?: Readonly<Partial<Record<LakeTableName, Readonly<Record<string, number>>>>>;
}

/**
 * A quiet mark: nothing was put with a commit LSN in (`afterRoundLsn`, `lsn`]. It lets the cut follow a
 * source that changes nothing (heartbeats, writes of other databases) without a lake object: the mark is one
 * document, replaced each time.
 */
export interface QuietMark {
  readonly lsn: string;
  /** The newest round recorded before the mark (null: none ever). */
  readonly afterRoundLsn: string | null;
  readonly emittedAt: string;
}

/**
 * A table read whole from the source under one exact point (the initial snapshot, or a re-read), recorded once
 * every row of it was accepted: its `r` rows at `lsn` are then every row the source table held at that point,
 * so a key of the table absent from them was deleted before it (README, "What it guarantees").
 */
export interface CompleteRead {
  readonly table: LakeTableName;
  /** The LSN the read's rows carry (decimal). */
  readonly lsn: string;
  /** The commit time the read's rows carry (UTC ISO-8601): a delete it implies is dated so. */
  readonly commitTs: string;
  /** How many rows the read put. */
  readonly rows: number;
}

/** A partition of a round that holds fewer changes than the round says the reader put there: an object is gone. */
export interface MissingRecords {
  readonly table: LakeTableName;
  readonly dt: string;
  /** The round's LSN (decimal). */
  readonly roundLsn: string;
  /** The round's predecessor (decimal, -1 for none): its changes have a commit LSN in (this, roundLsn]. */
  readonly afterLsn: string;
  readonly expected: number;
  readonly found: number;
}

/**
 * A partition whose watermark the cut waits for, and the round that needs it (loader/consistent-cut.ts
 * `waitingPartitions`); the loader's host tells from it a watermark that is gone (lake/lake-object-recovery.ts).
 */
export interface WaitingPartition {
  readonly table: LakeTableName;
  readonly dt: string;
  /** The waiting round's LSN (decimal). */
  readonly roundLsn: string;
  /** When the reader recorded that round (ISO 8601). */
  readonly emittedAt: string;
}

/** Everything a loader needs from the log. */
export interface RoundLogContents {
  /** Rounds with an LSN above the `afterLsn` asked for, in LSN order. */
  readonly rounds: readonly WatermarkRound[];
  /** Complete reads with an LSN above the `afterLsn` asked for, in LSN order. */
  readonly completeReads: readonly CompleteRead[];
  readonly quiet: QuietMark | undefined;
  /**
   * Rounds at or below this LSN were proven complete by a loader and removed (compaction prunes them): the lake
   * holds everything up to it.
   */
  readonly provenLsn: string | undefined;
}

/**
 * The round log.
 *
 * Contract:
 * - **Durability.** Once `append` or `markQuiet` resolves, a later `read` returns it, after a crash too.
 * - **Order.** The reader appends rounds in increasing LSN order and marks quiet only above its newest round;
 *   `read` returns rounds sorted by LSN. A round may be missing from a `read` that races its `append`: readers
 *   detect that through `previousLsn`.
 * - **Quiet mark.** One document, replaced whole (a reader sees the old mark or the new one).
 * - **Complete reads.** `recordCompleteRead` is durable once it resolves, like `append`; recording the same
 *   read twice leaves one.
 * - **Pruning.** `pruneThrough(lsn)` records `lsn` as proven (never lowering it) before removing the rounds
 *   and complete reads at or below it, so a crash in between leaves extra rounds, never a gap.
 */
export interface RoundLog {
  append(round: WatermarkRound): Promise<void>;
  recordCompleteRead(read: CompleteRead): Promise<void>;
  markQuiet(mark: QuietMark): Promise<void>;
  /** Rounds above `afterLsn` (all when omitted), the quiet mark and the proven LSN. */
  read(afterLsn?: bigint): Promise<RoundLogContents>;
  pruneThrough(lsn: bigint): Promise<void>;
}
