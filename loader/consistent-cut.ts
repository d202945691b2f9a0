/**
 * @module
 * The consistent cut from the reader's round log and the watermarks found in the lake (README, "What it
 * guarantees"). A round at `L` is complete once every partition it names holds a watermark at `L` or above:
 * each partition then delivered everything its stream put before `L`, whatever order Firehose delivered the
 * partitions in. The cut is the newest round of an unbroken run of complete rounds above the previous cut, or a
 * quiet mark above it (nothing was put since). Only the partitions the pending rounds name are ever read.
 *
 * A partition whose content was lost (an object of it quarantined, lake/unreadable-objects.ts) may never get
 * the watermark a round waits for: the watermark went with the object, and a day that is over, or a table that
 * rarely changes, receives no later one. Its table is re-read from the source (a complete read, authoritative
 * for the table's state), so a round below that read no longer needs the lost partition: the read replaces
 * what it held. Such a round is passed only when the same run's cut also reaches the read, so no cut ever
 * shows the table without both its lost changes and the read that replaces them.
 */
import type {
  CompleteRead,
  RoundLogContents,
  WaitingPartition,
  WatermarkRound,
} from '../core/ports/round-log.ts';
import type { LakeWatermark } from '../core/ports/warehouse.ts';
import { LAKE_TABLE_NAMES, type LakeTableName } from '../core/schema/lake-tables.ts';

/** The earliest `dt` when every partition may matter (a round was pruned before this loader saw it). */
export const EVERY_DAY = '1970-01-01';

/** Days per lake table that a set of rounds names. */
export type PartitionDays = ReadonlyMap<LakeTableName, ReadonlySet<string>>;

/** Newest watermark LSN per `table|dt` partition, as the watermark query found them. */
export type PartitionWatermarks = ReadonlyMap<string, bigint>;

/** The key of a partition in {@link PartitionWatermarks}. */
export function partitionId(table: LakeTableName, dt: string): string {
  return `${table}|${dt}`;
}

/** The rounds a run must check: every round above the previous cut, and what they name. */
export interface PendingRounds {
  readonly fromLsn: bigint;
  readonly log: RoundLogContents;
  /** Rounds above the previous cut (and above the proven LSN), in LSN order. */
  readonly rounds: readonly WatermarkRound[];
  /** Partitions whose watermarks decide those rounds. */
  readonly partitions: PartitionDays;
  /** True when rounds between the previous cut and the proven LSN were pruned: every table may have changed. */
  readonly prunedAboveCut: boolean;
}

/** What the log says a run has to look at. */
export function pendingRounds(fromLsn: bigint, log: RoundLogContents): PendingRounds {
  const proven = log.provenLsn === undefined ? -1n : BigInt(log.provenLsn);
  const known = proven > fromLsn ? proven : fromLsn;
  const rounds = log.rounds.filter((round) => BigInt(round.lsn) > known);
  return { fromLsn, log, rounds, partitions: daysOf(rounds), prunedAboveCut: proven > fromLsn };
}

/** The cut a run may move to, and what lies between the previous cut and it. */
export interface ProvenCut {
  /** The new cut, or null when it cannot move. */
  readonly lsn: bigint | null;
  /** Rounds in (previous cut, cut]. */
  readonly covered: readonly WatermarkRound[];
  /** First `dt` per lake table that holds a change in (previous cut, cut]; absent tables have none. */
  readonly changedFrom: ReadonlyMap<LakeTableName, string>;
  /** The first round that is not complete yet, if any, and the tables it waits for. */
  readonly waitingFor:
    | { readonly round: WatermarkRound; readonly tables: readonly LakeTableName[] }
    | undefined;
  /** Per lake table: how far it is proven and when that round was emitted (lake lag), for every table known. */
  readonly lake: readonly LakeWatermark[];
}

/** Partitions (`table|dt`, {@link partitionId}) whose content was lost: an object of theirs was quarantined. */
export type LostPartitions = ReadonlySet<string>;

/**
 * Computes the cut from the pending rounds and the watermarks found in their partitions; `lost` partitions are
 * excused below a complete read of their table (module comment).
 */
export function provenCut(
  pending: PendingRounds,
  watermarks: PartitionWatermarks,
  lost: LostPartitions = new Set(),
): ProvenCut {
  const { log } = pending;
  const proven = log.provenLsn === undefined ? -1n : BigInt(log.provenLsn);
  let known = proven > pending.fromLsn ? proven : pending.fromLsn;
  let knownAt = emittedAtOrBelow(log, known);
  const covered: WatermarkRound[] = [];
  let waitingFor: ProvenCut['waitingFor'];
  /** Where the cut stood before the first excused round, and the LSN it must reach to keep them. */
  let excused:
    | { readonly before: number; readonly known: bigint; readonly at: string | undefined; needs: bigint }
    | undefined;
  for (const round of pending.rounds) {
    // A round whose predecessor is not visible yet (its record races this read) must wait for it.
    if (round.previousLsn !== null && BigInt(round.previousLsn) > known) {
      waitingFor = { round, tables: [] };
      break;
    }
    const missing = missingTables(round, watermarks, lost, log.completeReads);
    if (missing.tables.length > 0) {
      waitingFor = { round, tables: missing.tables };
      break;
    }
    if (missing.excusedBy !== undefined) {
      excused ??= { before: covered.length, known, at: knownAt, needs: missing.excusedBy };
      if (missing.excusedBy > excused.needs) excused.needs = missing.excusedBy;
    }
    covered.push(round);
    known = BigInt(round.lsn);
    knownAt = round.emittedAt;
  }
  const quiet = log.quiet;
  if (
    quiet !== undefined &&
    BigInt(quiet.lsn) > known &&
    (quiet.afterRoundLsn === null || BigInt(quiet.afterRoundLsn) <= known)
  ) {
    known = BigInt(quiet.lsn);
    knownAt = quiet.emittedAt;
  }
  if (excused !== undefined && known < excused.needs) {
    // The reads that replace the lost partitions are not proven yet: stay before the first excused round.
    waitingFor = { round: covered[excused.before]!, tables: [] };
    covered.length = excused.before;
    known = excused.known;
    knownAt = excused.at;
  }
  const lsn = known > pending.fromLsn ? known : null;
  const changedFrom = new Map<LakeTableName, string>();
  if (lsn !== null && pending.prunedAboveCut)
    for (const table of LAKE_TABLE_NAMES) changedFrom.set(table, EVERY_DAY);
  for (const [table, days] of daysOf(covered)) {
    const first = [...days].sort()[0]!;
    const current = changedFrom.get(table);
    if (current === undefined || first < current) changedFrom.set(table, first);
  }
  return { lsn, covered, changedFrom, waitingFor, lake: lakeProgress(pending, watermarks, known, knownAt) };
}

/**
 * The partitions of the cut's waiting round that lack its watermark (lost ones left out: they wait for a
 * re-read instead). The local pipeline tells from them a watermark whose object is gone (local/pipeline.ts).
 */
export function waitingPartitions(
  cut: ProvenCut,
  watermarks: PartitionWatermarks,
  lost: LostPartitions = new Set(),
): WaitingPartition[] {
  const waiting: WaitingPartition[] = [];
  if (cut.waitingFor === undefined) return waiting;
  const { round, tables } = cut.waitingFor;
  const lsn = BigInt(round.lsn);
  for (const table of tables) {
    for (const dt of round.partitions[table] ?? []) {
      const id = partitionId(table, dt);
      if ((watermarks.get(id) ?? -1n) < lsn && !lost.has(id))
        waiting.push({ table, dt, roundLsn: round.lsn, emittedAt: round.emittedAt });
    }
  }
  return waiting;
}

/**
 * When the lake was last known complete at or below `lsn`: the emit time of the newest round or quiet mark
 * there (the log is read from just below the previous cut, so the round at the cut is in it).
 */
function emittedAtOrBelow(log: RoundLogContents, lsn: bigint): string | undefined {
  let best: { lsn: bigint; at: string } | undefined;
  const consider = (at: string, candidate: bigint) => {
    if (candidate <= lsn && (best === undefined || candidate > best.lsn)) best = { lsn: candidate, at };
  };
  for (const round of log.rounds) consider(round.emittedAt, BigInt(round.lsn));
  if (log.quiet) consider(log.quiet.emittedAt, BigInt(log.quiet.lsn));
  return best?.at;
}

/**
 * Tables some partition of `round` lacks its watermark in, and, when every partition that lacks one was lost
 * and its table read whole above the round, the LSN of the newest such read (the cut must reach it).
 */
function missingTables(
  round: WatermarkRound,
  watermarks: PartitionWatermarks,
  lost: LostPartitions,
  reads: readonly CompleteRead[],
): { readonly tables: LakeTableName[]; readonly excusedBy?: bigint } {
  const lsn = BigInt(round.lsn);
  const tables: LakeTableName[] = [];
  let excusedBy: bigint | undefined;
  for (const [table, days] of Object.entries(round.partitions) as [LakeTableName, readonly string[]][]) {
    // The read must lie above the round: its rows carry its own LSN, so a round at or above it covers them.
    const read = reads.find((candidate) => candidate.table === table && BigInt(candidate.lsn) > lsn);
    for (const dt of days) {
      const id = partitionId(table, dt);
      if ((watermarks.get(id) ?? -1n) >= lsn) continue;
      if (read === undefined || !lost.has(id)) {
        tables.push(table);
        break;
      }
      if (excusedBy === undefined || BigInt(read.lsn) > excusedBy) excusedBy = BigInt(read.lsn);
    }
  }
  return tables.length > 0 ? { tables } : { tables, ...(excusedBy !== undefined ? { excusedBy } : {}) };
}

/**
 * Per table, the newest LSN it is proven through and that round's emit time: past the cut, a table stays
 * proven through every later round that names it complete or does not name it, up to its first incomplete one.
 * `newestChangeLsn` is the newest round naming the table (a change waits there or below).
 */
function lakeProgress(
  pending: PendingRounds,
  watermarks: PartitionWatermarks,
  cut: bigint,
  cutAt: string | undefined,
): LakeWatermark[] {
  const progress: LakeWatermark[] = [];
  for (const table of LAKE_TABLE_NAMES) {
    let lsn = cut;
    let at = cutAt;
    let newestChange: string | null = null;
    let blocked = false;
    for (const round of pending.rounds) {
      const days = round.partitions[table];
      if (days !== undefined) newestChange = round.lsn;
      if (blocked || BigInt(round.lsn) <= lsn) continue;
      if (days?.some((dt) => (watermarks.get(partitionId(table, dt)) ?? -1n) < BigInt(round.lsn))) {
        blocked = true;
        continue;
      }
      lsn = BigInt(round.lsn);
      at = round.emittedAt;
    }
    if (at === undefined) continue;
    progress.push({ table, lsn: String(lsn), emittedAt: lakeTimestamp(at), newestChangeLsn: newestChange });
  }
  return progress;
}

function daysOf(rounds: readonly WatermarkRound[]): Map<LakeTableName, Set<string>> {
  const days = new Map<LakeTableName, Set<string>>();
  for (const round of rounds)
    for (const [table, dts] of Object.entries(round.partitions) as [LakeTableName, readonly string[]][]) {
      const set = days.get(table) ?? new Set<string>();
      for (const dt of dts) set.add(dt);
      days.set(table, set);
    }
  return days;
}

/** ISO-8601 UTC as the lake prints a timestamp (`YYYY-MM-DD HH:MM:SS.mmm`), the form lag samples read. */
function lakeTimestamp(iso: string): string {
  return iso.replace('T', ' ').replace('Z', '');
}
