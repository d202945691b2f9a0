/**
 * @module
 * Compaction of the lake: the small Parquet objects of each lake-table partition that the warehouse's cut
 * already covers are merged into objects of a target size, and the originals deleted. The market tables
 * (core/schema/market-lake-tables.ts) are compacted alike: they have no LSN and take no part in the cut, so
 * every small object of theirs is merged, rows as they are (the loader's market merge reads each key's newest
 * fetch by `dt`, which merging leaves unchanged). Core code over the
 * ObjectStore, StateStore and RoundLog ports: `totesys-stream compact`, `up`'s schedule and the compaction
 * Lambda run the same function.
 *
 * Why it is safe (README, "What it guarantees"):
 * - **Nothing is lost through a crash.** A run first records its plan (each output object and the inputs it
 *   replaces) in the state store, then writes every output, and deletes inputs only once every output of the
 *   plan is durable. A run killed anywhere leaves the plan; the next run finishes it (an output missing is
 *   rebuilt from its inputs, which are all still there), so every row is at all times in its original object
 *   or in a complete output, and an output is never written twice with different names.
 * - **Readers never miss a row.** Outputs are written before any input is deleted, and inputs are deleted a
 *   grace period after their outputs landed, longer than any reader's run, so a reader that listed the
 *   originals still finds them. In between a row may be read twice: the loader dedupes on (key, lsn, seq).
 *   The originals go at the first run after the grace period: a merge, or a delete pass
 *   ({@link deleteReplacedObjects}, on AWS every few minutes between two hourly merges).
 * - **The loader's reads stay bounded by new data.** Only objects whose every row is at or below the
 *   warehouse's cut are merged; newer objects stay as they are until the loader has read them.
 * - **Watermarks at or below the cut are dropped.** They proved what the cut already holds. The round log is
 *   pruned through the cut first, which records the cut as proven in the lake, so a loader starting from an
 *   empty warehouse never asks for them.
 * - **State snapshots follow.** After merging, each lake table's state snapshot is brought to the cut
 *   (lake/state-snapshots.ts), for the `_latest` views and the loader's joins.
 * - **Memory is bounded** by one input object (inputs are small by definition) plus one output (at most the
 *   target size), whatever the partition holds: rows are copied a row group at a time.
 */
import { randomUUID } from 'node:crypto';
import { LAKE_PREFIXES, PARTITION_KEY } from '../core/lake-layout.ts';
import type { Log } from '../core/ports/log.ts';
import type { ObjectInfo, ObjectStore } from '../core/ports/object-store.ts';
import type { RoundLog } from '../core/ports/round-log.ts';
import { type StateStore, stateKey } from '../core/ports/state-store.ts';
import {
  type AnyLakeTableName,
  anyLakeTable,
  LAKE_TABLE_NAMES,
  type LakeTableName,
  lakeColumns,
} from '../core/schema/lake-tables.ts';
import { MARKET_LAKE_TABLE_NAMES } from '../core/schema/market-lake-tables.ts';
import { openLakeParquet } from './lake-parquet-reader.ts';
import { LakeParquetStream, type ParquetCell } from './parquet-writer.ts';
import { writeStateSnapshots } from './state-snapshots.ts';

/** One output object of a plan and the objects it replaces. */
export interface PlannedOutput {
  readonly key: string;
  readonly inputs: readonly string[];
}

/** What one compaction run does, recorded before it writes anything. */
export interface CompactionPlan {
  readonly id: string;
  readonly partitions: readonly { readonly table: AnyLakeTableName; readonly dt: string }[];
  /** The warehouse cut the plan was made for (decimal LSN): every input's rows are at or below it. */
  readonly cutLsn: string;
  readonly outputs: readonly PlannedOutput[];
  /** When every output was durable (ISO-8601); inputs are deleted a grace period after it. */
  readonly outputsDurableAt?: string;
}

/** Every table compaction merges: the CDC tables and the market tables. */
const COMPACTED_TABLES: readonly AnyLakeTableName[] = [...LAKE_TABLE_NAMES, ...MARKET_LAKE_TABLE_NAMES];

/** The state document holding the plan of the run in progress. */
export const COMPACTION_PLAN_KEY = stateKey<CompactionPlan>('compaction/plan');

/** What a compaction run needs. */
export interface CompactionDeps {
  readonly store: ObjectStore;
  readonly state: StateStore;
  readonly roundLog: RoundLog;
  readonly log?: Log;
  /** Now, for the grace period (tests drive a manual clock). @default Date.now */
  readonly now?: () => number;
  /**
   * Quarantines an object the run cannot read and has its table re-read (lake/lake-object-recovery.ts, as the
   * loader does); the run then goes on without it. Without it such a run fails.
   */
  readonly unreadableObjects?: UnreadableObjectRecovery;
}

/** Moves an object a read failed on aside (true), or says the failure is not an unreadable object (false). */
export interface UnreadableObjectRecovery {
  recover(error: unknown): Promise<boolean>;
}

/** How a run compacts. */
export interface CompactionOptions {
  /** The warehouse's cut (null before the first load: nothing is compacted). */
  readonly cutLsn: bigint | null;
  /** The size merged objects grow to (core/compaction-schedule.ts has each runtime's). */
  readonly targetObjectBytes: number;
  /** How long replaced objects stay after their outputs landed (longer than any reader's run). */
  readonly graceMs: number;
  /** Only these tables (default every lake table, the market ones too). */
  readonly tables?: readonly AnyLakeTableName[];
  /** Commit time of the cut (the warehouse's), for the state snapshots' `changesFrom`. */
  readonly cutCommitTs?: string | null;
  /** Bring the state snapshots to the cut too (lake/state-snapshots.ts). @default true */
  readonly snapshots?: boolean;
}

/** What a run did. */
export interface CompactionOutcome {
  /** `waiting`: a plan's outputs are durable and its inputs wait for the grace period to end. */
  readonly status: 'compacted' | 'waiting' | 'nothing-to-do';
  readonly objectsWritten: number;
  readonly objectsDeleted: number;
  readonly partitions: number;
  /** When the waiting plan's inputs may be deleted (epoch ms), for `waiting`. */
  readonly deleteAfter?: number;
  /** Tables whose state snapshot moved to the cut. */
  readonly snapshots?: readonly LakeTableName[];
  /** Objects the run could not read and moved to `quarantine/` (their tables are re-read). */
  readonly quarantined?: number;
}

/**
 * One compaction run: finishes a plan a previous run left, then plans and carries out a new one. Safe to run
 * again after a crash at any point; never run two at once (callers take the `lake/compactor` lease). An object
 * it cannot read is quarantined by {@link CompactionDeps.unreadableObjects} and the run starts over without it
 * (a run is safe to repeat from any point, so what it did before is kept); an input of the plan that is gone
 * is left out of its output, its rows coming back with the table's re-read.
 */
export async function compactLake(
  deps: CompactionDeps,
  options: CompactionOptions,
): Promise<CompactionOutcome> {
  let quarantined = 0;
  for (;;) {
    try {
      const outcome = await compactOnce(deps, options);
      return quarantined === 0 ? outcome : { ...outcome, quarantined };
    } catch (error) {
      if (!(await deps.unreadableObjects?.recover(error))) throw error;
      quarantined++;
    }
  }
}

async function compactOnce(deps: CompactionDeps, options: CompactionOptions): Promise<CompactionOutcome> {
  const now = deps.now ?? Date.now;
  const outcome = await mergeSmallObjects(deps, options, now);
  if (options.cutLsn !== null && options.snapshots !== false) {
    const snapshots = await writeStateSnapshots(deps, {
      cutLsn: options.cutLsn,
      cutCommitTs: options.cutCommitTs ?? null,
      targetObjectBytes: options.targetObjectBytes,
      // Only CDC tables have state snapshots (a market table's `_latest` reads its few rows a day whole).
      ...(options.tables ? { tables: options.tables.filter(isCdcTable) } : {}),
    });
    return { ...outcome, snapshots };
  }
  return outcome;
}

/**
 * A delete pass: deletes the inputs of the plan a merge left waiting once the grace period after its outputs
 * has passed, and nothing else (no merge is planned, no output written, the cut is not needed). A plan whose
 * outputs are not all durable yet (a merge crashed while writing) is left to the next merge, which rebuilds
 * them: a delete pass never deletes an object whose rows are not in a durable output. Same lease as a merge.
 */
export async function deleteReplacedObjects(
  deps: CompactionDeps,
  options: Pick<CompactionOptions, 'graceMs'>,
): Promise<CompactionOutcome> {
  const idle: CompactionOutcome = {
    status: 'nothing-to-do',
    objectsWritten: 0,
    objectsDeleted: 0,
    partitions: 0,
  };
  const plan = await deps.state.get(COMPACTION_PLAN_KEY);
  if (plan?.outputsDurableAt === undefined) return idle;
  const done = await carryOut(deps, plan, options.graceMs, deps.now ?? Date.now);
  if (done.deleteAfter !== undefined) return { ...idle, status: 'waiting', deleteAfter: done.deleteAfter };
  return { ...idle, status: 'compacted', objectsDeleted: done.deleted, partitions: plan.partitions.length };
}

async function mergeSmallObjects(
  deps: CompactionDeps,
  options: CompactionOptions,
  now: () => number,
): Promise<CompactionOutcome> {
  let written = 0;
  let deleted = 0;
  const settled = (): CompactionOutcome => ({
    status: written + deleted > 0 ? 'compacted' : 'nothing-to-do',
    objectsWritten: written,
    objectsDeleted: deleted,
    partitions: 0,
  });
  const left = await deps.state.get(COMPACTION_PLAN_KEY);
  if (left !== undefined) {
    const finished = await carryOut(deps, left, options.graceMs, now);
    written += finished.written;
    deleted += finished.deleted;
    if (finished.deleteAfter !== undefined) {
      return { ...settled(), status: 'waiting', deleteAfter: finished.deleteAfter };
    }
  }
  if (options.cutLsn === null) return settled();
  // Prove the cut in the lake before any watermark at or below it goes (see the module comment).
  await deps.roundLog.pruneThrough(options.cutLsn);
  const plan = await planCompaction(deps.store, options);
  if (plan.outputs.length === 0) return settled();
  await deps.state.put(COMPACTION_PLAN_KEY, plan);
  const done = await carryOut(deps, plan, options.graceMs, now);
  return {
    status: done.deleteAfter === undefined ? 'compacted' : 'waiting',
    objectsWritten: written + done.written,
    objectsDeleted: deleted + done.deleted,
    partitions: plan.partitions.length,
    ...(done.deleteAfter === undefined ? {} : { deleteAfter: done.deleteAfter }),
  };
}

/** The objects a run would merge now: per partition, the small ones wholly at or below the cut. */
export async function planCompaction(
  store: ObjectStore,
  options: CompactionOptions,
): Promise<CompactionPlan> {
  const cut = options.cutLsn ?? -1n;
  const target = options.targetObjectBytes;
  const id = `${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`;
  const outputs: PlannedOutput[] = [];
  const partitions: { table: AnyLakeTableName; dt: string }[] = [];
  for (const name of options.tables ?? COMPACTED_TABLES) {
    for (const prefix of await store.listPrefixes(`${name}/${PARTITION_KEY}=`)) {
      // An object at least half the target is left alone: merging it again would rewrite it for little gain.
      // The key's table segment keeps quarantined or error objects (other prefixes) out by construction.
      const small = (await store.list(prefix)).filter(
        (object) => isLakeObject(object) && object.size < target / 2,
      );
      if (small.length < 2) continue;
      const eligible: ObjectInfo[] = [];
      for (const object of small) {
        const bytes = await store.get(object.key);
        if (bytes === undefined) continue; // deleted since the listing
        // A market object's maxLsn is null: it has no LSN for the cut to cover.
        const opened = await openLakeParquet(anyLakeTable(name), object.key, bytes);
        if (opened.maxLsn === null || opened.maxLsn <= cut) eligible.push(object);
      }
      if (eligible.length < 2) continue;
      const dt = prefix.slice(prefix.indexOf('=') + 1, -1);
      partitions.push({ table: name, dt });
      let group: string[] = [];
      let groupBytes = 0;
      for (const object of eligible) {
        if (group.length > 0 && groupBytes + object.size > target) {
          outputs.push({ key: outputKey(prefix, id, outputs.length), inputs: group });
          group = [];
          groupBytes = 0;
        }
        group.push(object.key);
        groupBytes += object.size;
      }
      // A last group of one object would be rewritten as it is: leave it for a later run.
      if (group.length > 1) {
        outputs.push({ key: outputKey(prefix, id, outputs.length), inputs: group });
      }
    }
  }
  return { id, partitions, cutLsn: String(cut), outputs };
}

/** Writes the plan's missing outputs, then deletes its inputs once the grace period after them has passed. */
async function carryOut(
  deps: CompactionDeps,
  plan: CompactionPlan,
  graceMs: number,
  now: () => number,
): Promise<{ written: number; deleted: number; deleteAfter?: number }> {
  let written = 0;
  let current = plan;
  if (plan.outputsDurableAt === undefined) {
    for (const output of plan.outputs) {
      if (await exists(deps.store, output.key)) continue;
      if (await writeOutput(deps, plan, output)) written++;
    }
    current = { ...plan, outputsDurableAt: new Date(now()).toISOString() };
    await deps.state.put(COMPACTION_PLAN_KEY, current);
  }
  const deleteAfter = Date.parse(current.outputsDurableAt!) + graceMs;
  if (now() < deleteAfter) return { written, deleted: 0, deleteAfter };
  let deleted = 0;
  for (const output of current.outputs) {
    for (const input of output.inputs) {
      await deps.store.delete(input);
      deleted++;
    }
  }
  await deps.state.delete(COMPACTION_PLAN_KEY);
  deps.log?.info('lake compacted', {
    stage: 'compaction',
    counts: { outputs: current.outputs.length, written, deleted },
  });
  return { written, deleted };
}

/**
 * Merges one output's inputs into it, row group by row group, leaving out watermarks at or below the plan's
 * cut. An output that would hold no row (inputs of watermarks only) is not written. True when it was written.
 */
async function writeOutput(
  deps: CompactionDeps,
  plan: CompactionPlan,
  output: PlannedOutput,
): Promise<boolean> {
  const name = tableOfKey(output.key);
  const table = anyLakeTable(name);
  const cut = BigInt(plan.cutLsn);
  const columns = lakeColumns(table);
  // A market table has no watermarks (no `_op`, no `_lsn`): every row is kept.
  const opAt = columns.findIndex((c) => c.name === '_op');
  const lsnAt = columns.findIndex((c) => c.name === '_lsn');
  const stream = new LakeParquetStream(table);
  for (const input of output.inputs) {
    const bytes = await deps.store.get(input);
    if (bytes === undefined) {
      // Inputs are deleted only after every output is durable, so only a hand (or the quarantine of an
      // unreadable object) removes one before: its rows are not in this lake any more either way.
      deps.log?.warn('a compaction input is gone; merging the others', {
        stage: 'compaction',
        object: input,
      });
      continue;
    }
    const opened = await openLakeParquet(table, input, bytes);
    for await (const group of opened.rowGroups()) {
      if (opAt < 0) {
        stream.append(group);
        continue;
      }
      const keep: number[] = [];
      const ops = group[opAt]!;
      const lsns = group[lsnAt]!;
      for (let row = 0; row < ops.length; row++) {
        const lsn = lsns[row];
        if (ops[row] === 'w' && typeof lsn === 'bigint' && lsn <= cut) continue;
        keep.push(row);
      }
      if (keep.length === ops.length) stream.append(group);
      else if (keep.length > 0)
        stream.append(group.map((cells) => keep.map((row) => cells[row] as ParquetCell)));
    }
  }
  if (stream.rows === 0) return false;
  await deps.store.put(output.key, stream.finish());
  return true;
}

async function exists(store: ObjectStore, key: string): Promise<boolean> {
  return (await store.list(key)).some((object) => object.key === key);
}

function isLakeObject(object: ObjectInfo): boolean {
  return object.key.endsWith('.parquet') && !object.key.startsWith(LAKE_PREFIXES.errors);
}

function outputKey(partitionPrefix: string, planId: string, index: number): string {
  return `${partitionPrefix}compacted-${planId}-${String(index).padStart(4, '0')}.parquet`;
}

function tableOfKey(key: string): AnyLakeTableName {
  const name = key.slice(0, key.indexOf('/'));
  if (!(COMPACTED_TABLES as readonly string[]).includes(name)) {
    throw new RangeError(`Compaction output ${key} is not under a lake table's prefix.`);
  }
  return name as AnyLakeTableName;
}

function isCdcTable(name: AnyLakeTableName): name is LakeTableName {
  return (LAKE_TABLE_NAMES as readonly string[]).includes(name);
}
