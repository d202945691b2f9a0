/**
 * @module
 * When a stage is behind: the one definition of the lag thresholds. The CloudWatch alarms on AWS
 * (cdk/lib/constructs/pipeline-monitoring.ts) take their defaults from here, and the dashboard turns a stage
 * red past the same figure, so what on-call is paged for and what the page shows in red cannot differ.
 */

const GIB = 1024 ** 3;

/** The threshold of each lag figure (architecture section 8), each the default of its alarm. */
export const ALARM_THRESHOLDS = {
  /** Seconds since the oldest commit not yet accepted by Firehose. */
  readerLagSeconds: 300,
  /** WAL bytes the replication slot holds back. */
  readerSlotLagBytes: GIB,
  /** Per lake table: now minus the emit time of the newest watermark that reached the lake. */
  lakeLagSeconds: 900,
  /** How long changes have waited above the warehouse's cut. */
  warehouseLagSeconds: 900,
  /** p95 of commit-to-warehouse latency per load. */
  endToEndP95Seconds: 900,
  /** Objects written under `errors/` of the lake (any failed record alarms). */
  errorObjects: 0,
  /** WAL bytes of the source's oldest replication slot (RDS OldestReplicationSlotLag). */
  rdsSlotLagBytes: 5 * GIB,
  /** Free storage of the source below which it alarms (RDS FreeStorageSpace). */
  rdsFreeStorageBytes: 5 * GIB,
} as const;

/** The name of a threshold. */
export type AlarmThresholdName = keyof typeof ALARM_THRESHOLDS;

/** True when `value` is past its threshold (an unknown value is not). */
export function isBehind(name: AlarmThresholdName, value: number | null | undefined): boolean {
  return value !== null && value !== undefined && value > ALARM_THRESHOLDS[name];
}
