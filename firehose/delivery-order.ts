/**
 * @module
 * How the local Firehose orders the deliveries of a stream's partitions. With dynamic partitioning AWS keeps
 * one buffer per partition, delivers each when its own size or interval is reached, and retries a failed S3
 * delivery while the other partitions go on: nothing orders deliveries across partitions. By default the local
 * Firehose delivers every partition as soon as it is due; a {@link DeliveryOrder} makes it delay partitions and
 * fail deliveries, so that a test (or a benchmark) sees the orders AWS allows.
 *
 * Within one partition deliveries stay in arrival order (a partition's next buffer waits for the one before
 * it); the pipeline's consistent cut relies on that, and on nothing across partitions (README, "What it
 * guarantees").
 *
 * @example
 * const random = new SeededRandom(7); // source/seed/seeded-random.ts, so a failing run can be replayed
 * const deliveryOrder = anyOrderAwsAllows({ random: () => random.next() });
 * const firehose = await LocalFirehose.open({ spoolDir, streams, deliveryOrder });
 */
/** One delivery attempt of one partition buffer. */
export interface PartitionDelivery {
  readonly streamName: string;
  /** The partition key values, e.g. `{ dt: '2026-01-01' }`. */
  readonly partitionKeys: Readonly<Record<string, string>>;
  /** 1 for the first attempt of this buffer. */
  readonly attempt: number;
  /** Records in the buffer. */
  readonly records: number;
}

/** Delays and failures to apply to partition deliveries. */
export interface DeliveryOrder {
  /** Milliseconds a due buffer waits before its delivery (0: none). Asked once per buffer. */
  delayMs(delivery: PartitionDelivery): number;
  /** True to fail this attempt as a failed S3 write would: the buffer is retried later, others go on. */
  failDelivery(delivery: PartitionDelivery): boolean;
  /** Milliseconds before a failed buffer is tried again. @default 1000 */
  retryDelayMs?(delivery: PartitionDelivery): number;
}

/** Options of {@link anyOrderAwsAllows}. */
export interface AnyOrderOptions {
  /** Numbers in [0, 1) behind every choice; give a seeded generator so a failing run can be replayed. */
  readonly random: () => number;
  /** Largest extra delay of a due buffer. @default 500 */
  readonly maxDelayMs?: number;
  /** Share of delivery attempts that fail. @default 0.2 */
  readonly failureRate?: number;
  /** Largest wait before a failed buffer is retried. @default 300 */
  readonly maxRetryDelayMs?: number;
}

/**
 * Random delays and failed deliveries per partition, within what AWS allows: any partition may land
 * before or after any other, a retried one late while others go on.
 */
export function anyOrderAwsAllows(options: AnyOrderOptions): DeliveryOrder {
  const { random } = options;
  const maxDelayMs = options.maxDelayMs ?? 500;
  const failureRate = options.failureRate ?? 0.2;
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 300;
  return {
    delayMs: () => Math.floor(random() * maxDelayMs),
    failDelivery: () => random() < failureRate,
    retryDelayMs: () => Math.floor(random() * maxRetryDelayMs),
  };
}
