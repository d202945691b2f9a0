/**
 * @module
 * The cost model: the monthly AWS cost of the pipeline from measured request counts (the aging benchmark's,
 * `npm run bench -- aging`), at the list prices of core/cost/aws-prices.ts. Counts are tallied while the
 * benchmark drives the real local Firehose, round log and loader ({@link UsageTally}), then scaled from the
 * measured period to a 30-day month ({@link monthlyCost}). Billing rules applied here, not at the call sites:
 * Firehose bills each record rounded up to 5 KB, Athena each query rounded up to the MB with a 10 MB minimum.
 */
import { AWS_PRICES, type FixedMonthlyItem, MONTH_SECONDS } from './aws-prices.ts';
import { DEPLOYMENT_WIDE_MONTHLY } from './deployment-cost.ts';

export { MONTH_SECONDS };

/** What a measured period used, in the units AWS bills. */
export interface MeasuredUsage {
  /** How long the period lasted (simulated seconds): the counts are scaled from it to a month. */
  readonly seconds: number;
  readonly s3: {
    readonly puts: number;
    readonly gets: number;
    readonly lists: number;
    readonly deletes: number;
  };
  /** Bytes stored at the end of the period (priced as a month of storage, not scaled). */
  readonly storedBytes: number;
  readonly athena: { readonly queries: number; readonly billedBytes: number };
  readonly firehose: {
    readonly records: number;
    /** Record bytes after rounding each record up to the 5 KB increment. */
    readonly billedBytes: number;
    /** Bytes ingested as they are (format conversion and dynamic partitioning bill these). */
    readonly ingestedBytes: number;
    readonly objectsDelivered: number;
  };
  readonly lambda: { readonly requests: number; readonly gbSeconds: number };
}

/** Counts usage as it happens; {@link UsageTally.usage} reads it out. */
export class UsageTally {
  readonly s3 = { puts: 0, gets: 0, lists: 0, deletes: 0 };
  storedBytes = 0;
  readonly athena = { queries: 0, billedBytes: 0 };
  readonly firehose = { records: 0, billedBytes: 0, ingestedBytes: 0, objectsDelivered: 0 };
  readonly lambda = { requests: 0, gbSeconds: 0 };

  /** One Athena query that scanned `scannedBytes`. */
  athenaQuery(scannedBytes: number): void {
    this.athena.queries += 1;
    this.athena.billedBytes += athenaBilledBytes(scannedBytes);
  }

  /** One Firehose record of `bytes` (a PutRecordBatch entry). */
  firehoseRecord(bytes: number): void {
    this.firehose.records += 1;
    this.firehose.ingestedBytes += bytes;
    this.firehose.billedBytes += firehoseBilledBytes(bytes);
  }

  /** One Lambda invocation of `seconds` at `memoryMiB`. */
  lambdaRun(seconds: number, memoryMiB: number): void {
    this.lambda.requests += 1;
    this.lambda.gbSeconds += seconds * (memoryMiB / 1024);
  }

  /** Starts counting again from zero. */
  reset(): void {
    for (const counts of [this.s3, this.athena, this.firehose, this.lambda])
      for (const key of Object.keys(counts)) (counts as Record<string, number>)[key] = 0;
    this.storedBytes = 0;
  }

  usage(seconds: number): MeasuredUsage {
    return {
      seconds,
      s3: { ...this.s3 },
      storedBytes: this.storedBytes,
      athena: { ...this.athena },
      firehose: { ...this.firehose },
      lambda: { ...this.lambda },
    };
  }
}

/** The bytes Athena bills for a query that scanned `scannedBytes`: rounded up to the MB, at least 10 MB. */
export function athenaBilledBytes(scannedBytes: number): number {
  const { minimumBytesPerQuery, roundingBytes } = AWS_PRICES.athena;
  return Math.max(minimumBytesPerQuery, Math.ceil(scannedBytes / roundingBytes) * roundingBytes);
}

/** The bytes Firehose bills for one record: rounded up to the next 5 KB. */
export function firehoseBilledBytes(recordBytes: number): number {
  const increment = AWS_PRICES.firehose.recordIncrementBytes;
  return Math.max(1, Math.ceil(recordBytes / increment)) * increment;
}

/** One line of a cost table. */
export interface CostLine {
  readonly item: string;
  /** The monthly quantity it bills, in the unit named. */
  readonly quantity: number;
  readonly unit: string;
  readonly usdPerMonth: number;
}

/** A month's cost: the usage-driven lines, then the deployment-wide ones. */
export interface CostTable {
  readonly usage: readonly CostLine[];
  readonly deploymentWide: readonly FixedMonthlyItem[];
  readonly usageUsd: number;
  readonly totalUsd: number;
}

const GB = 1024 ** 3;

/** The monthly cost of `usage`, scaled from its period to {@link MONTH_SECONDS}. */
export function monthlyCost(
  usage: MeasuredUsage,
  deploymentWide: readonly FixedMonthlyItem[] = DEPLOYMENT_WIDE_MONTHLY,
): CostTable {
  if (!(usage.seconds > 0))
    throw new RangeError(`A measured period must last over 0 s (got ${usage.seconds}).`);
  const scale = MONTH_SECONDS / usage.seconds;
  const { s3, athena, firehose, lambda } = AWS_PRICES;
  const line = (item: string, quantity: number, unit: string, usdPerUnit: number): CostLine => ({
    item,
    quantity,
    unit,
    usdPerMonth: quantity * usdPerUnit,
  });
  const ingestedGb = (usage.firehose.ingestedBytes * scale) / GB;
  const lines = [
    line(
      'S3 PUT + LIST requests',
      (usage.s3.puts + usage.s3.lists) * scale,
      'requests',
      s3.putCopyPostListPer1000 / 1000,
    ),
    line('S3 GET requests', usage.s3.gets * scale, 'requests', s3.getPer1000 / 1000),
    line('S3 storage', usage.storedBytes / GB, 'GB-month', s3.storagePerGbMonth),
    line(
      'Athena scanned (10 MB minimum per query)',
      (usage.athena.billedBytes * scale) / 1e12,
      'TB',
      athena.perTbScanned,
    ),
    line(
      'Firehose ingestion (5 KB per record)',
      (usage.firehose.billedBytes * scale) / GB,
      'GB',
      firehose.ingestionPerGb,
    ),
    line('Firehose format conversion', ingestedGb, 'GB', firehose.formatConversionPerGb),
    line('Firehose dynamic partitioning', ingestedGb, 'GB', firehose.dynamicPartitioningPerGb),
    line(
      'Firehose objects delivered',
      usage.firehose.objectsDelivered * scale,
      'objects',
      firehose.dynamicPartitioningPer1000Objects / 1000,
    ),
    line('Lambda compute (arm64)', usage.lambda.gbSeconds * scale, 'GB-s', lambda.arm64PerGbSecond),
    line('Lambda requests', usage.lambda.requests * scale, 'requests', lambda.requestsPerMillion / 1e6),
  ];
  const usageUsd = lines.reduce((sum, l) => sum + l.usdPerMonth, 0);
  const fixedUsd = deploymentWide.reduce((sum, l) => sum + l.usdPerMonth, 0);
  return { usage: lines, deploymentWide, usageUsd, totalUsd: usageUsd + fixedUsd };
}

/**
 * What a deployment cost over a period shorter than a month (a smoke run): the month of `usage`, which covers
 * `usage.seconds`, with `deploymentWide`, times the share of the month the period lasted.
 */
export function periodCostUsd(usage: MeasuredUsage, deploymentWide: readonly FixedMonthlyItem[]): number {
  return (monthlyCost(usage, deploymentWide).totalUsd * usage.seconds) / MONTH_SECONDS;
}

/** The table as text: one line per item, dollars to the cent. */
export function formatCostTable(title: string, table: CostTable): string {
  const rows = [
    ...table.usage.map((l) => [l.item, `${formatQuantity(l.quantity)} ${l.unit}`, usd(l.usdPerMonth)]),
    ...table.deploymentWide.map((l) => [l.item, 'deployment-wide', usd(l.usdPerMonth)]),
    ['total a month', '', usd(table.totalUsd)],
  ];
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  const text = rows.map(
    (r) => `  ${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padStart(widths[1]!)}  ${r[2]!.padStart(widths[2]!)}`,
  );
  return [`${title} (${AWS_PRICES.region} list prices of ${AWS_PRICES.listedOn})`, ...text].join('\n');
}

function usd(value: number): string {
  return `$${value.toFixed(2)}`;
}

function formatQuantity(value: number): string {
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(3);
}
