/**
 * @module
 * When and how the lake is compacted, by runtime: one definition read by the local pipeline (`up`), the
 * `compact` command, the compaction Lambda and its CDK schedule (`lake/lake-compaction.ts` does the work).
 */
import type { StreamRuntime } from './delivery-stream-spec.ts';

/** The lease that keeps two compaction runs from overlapping (core/ports/lease-store.ts). */
export const COMPACTOR_LEASE = 'lake/compactor';

/**
 * What a compaction run does: `merge` (the scheduled run: finish a waiting plan, merge, move the state
 * snapshots) or `delete-replaced` (a delete pass: only delete what a merge replaced once its grace passed).
 */
export type CompactionPass = 'merge' | 'delete-replaced';

/** The event of the delete-pass schedule; any other event (the merge schedule sends none) is a merge. */
export const DELETE_PASS_EVENT = { pass: 'delete-replaced' } as const satisfies { pass: CompactionPass };

/** How one runtime compacts. */
export interface CompactionSchedule {
  /** Minutes between two scheduled runs. */
  readonly everyMinutes: number;
  /** Size merged objects grow to. */
  readonly targetObjectBytes: number;
  /**
   * How long a replaced object stays after the objects that replace it landed: longer than any reader's run
   * (a loader run, an Athena query), so a reader that listed it still finds it.
   */
  readonly graceSeconds: number;
  /**
   * Minutes between two delete passes: short runs that only delete the objects a merge replaced once
   * `graceSeconds` has passed (lake/lake-compaction.ts, `deleteReplacedObjects`), so they go within this many
   * minutes after the grace period instead of at the next merge. Equal to `everyMinutes` where every run is
   * soon enough.
   */
  readonly deletePassEveryMinutes: number;
}

/**
 * AWS: hourly, 128 MiB objects (Athena reads best from objects of 128 MiB or more), replaced objects kept 20
 * minutes (the loader Lambda's 15-minute ceiling plus margin) and deleted by a delete pass every 5 minutes:
 * every loader run opens the replaced objects still in the lake (2 GETs each), so a pass (a lease, one state
 * GET, the deletes) costs far less than the GETs of the 40 minutes it saves them (README, What it costs).
 * Locally: every minute, the same target, replaced objects kept 30 seconds (a local loader run takes a second
 * or two) and deleted by the next run.
 */
export const COMPACTION_SCHEDULE: { readonly [R in StreamRuntime]: CompactionSchedule } = {
  aws: {
    everyMinutes: 60,
    targetObjectBytes: 128 * 1024 * 1024,
    graceSeconds: 20 * 60,
    deletePassEveryMinutes: 5,
  },
  local: {
    everyMinutes: 1,
    targetObjectBytes: 128 * 1024 * 1024,
    graceSeconds: 30,
    deletePassEveryMinutes: 1,
  },
};
