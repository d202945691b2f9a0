/**
 * @module
 * When and how the lake is compacted, by runtime: one definition read by the local pipeline (`up`), the
 * `compact` command, the compaction Lambda and its CDK schedule (`lake/lake-compaction.ts` does the work).
 */
import type { StreamRuntime } from './delivery-stream-spec.ts';

/** The lease that keeps two compaction runs from overlapping (core/ports/lease-store.ts). */
export const COMPACTOR_LEASE = 'lake/compactor';

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
}

/**
 * AWS: hourly, 128 MiB objects (Athena reads best from objects of 128 MiB or more), replaced objects kept 20
 * minutes (the loader Lambda's 15-minute ceiling plus margin). Locally: every minute, the same target, replaced
 * objects kept 30 seconds (a local loader run takes a second or two).
 */
export const COMPACTION_SCHEDULE: { readonly [R in StreamRuntime]: CompactionSchedule } = {
  aws: { everyMinutes: 60, targetObjectBytes: 128 * 1024 * 1024, graceSeconds: 20 * 60 },
  local: { everyMinutes: 1, targetObjectBytes: 128 * 1024 * 1024, graceSeconds: 30 },
};
