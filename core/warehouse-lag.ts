/**
 * @module
 * The one definition of warehouse lag (architecture section 8), used by the loader's metric and alarm, by
 * the lag samples it records in `pipeline.lag_sample`, and by `status`: how long the oldest change the
 * warehouse does not have yet has been waiting, measured from the commit time of the warehouse's cut. When
 * nothing is behind the cut the lag is 0, however old the cut's commit is: an idle source is not late (its WAL
 * still moves with heartbeats and watermarks, which are not changes).
 */
import type { Cut, LakeWatermark } from './ports/warehouse.ts';

/**
 * Whether some lake table holds a change above `cutLsn`. An engine that does not report newest changes
 * (`newestChangeLsn` undefined) counts as behind, the conservative answer.
 */
export function changesAboveCut(watermarks: readonly LakeWatermark[], cutLsn: string): boolean {
  const cut = BigInt(cutLsn);
  return watermarks.some(
    (w) => w.newestChangeLsn === undefined || (w.newestChangeLsn !== null && BigInt(w.newestChangeLsn) > cut),
  );
}

/** Warehouse lag in seconds at `nowMs`: 0 unless changes wait above the cut; null without a cut. */
export function warehouseLagSeconds(
  cut: Pick<Cut, 'commitTs'> | null | undefined,
  behind: boolean,
  nowMs: number,
): number | null {
  if (!cut) return null;
  if (!behind || !cut.commitTs) return 0;
  return Math.max(0, (nowMs - Date.parse(cut.commitTs)) / 1000);
}

/**
 * The lag now from the newest recorded sample (`lagSeconds` taken at `sampledAtMs`): a lag that was 0 stays 0
 * until the next sample; one that was positive keeps growing with the clock.
 */
export function warehouseLagFromSample(
  sample: { lagSeconds: number; sampledAtMs: number },
  nowMs: number,
): number {
  return sample.lagSeconds > 0 ? sample.lagSeconds + Math.max(0, (nowMs - sample.sampledAtMs) / 1000) : 0;
}
