/**
 * @module
 * The AWS list prices the cost model (core/cost/cost-model.ts) applies: us-east-1, on-demand, first pricing
 * tier, in US dollars, as listed on the date below. Every price the project quotes comes from here, so a
 * change of price is one edit (and the README's cost section is regenerated with
 * `npm run bench -- aging --history-step 86400 --record`, see core/cost/measured-usage.ts).
 *
 * The usage-driven prices and the deployment-wide ones (what a deployment pays by the hour or the month
 * whatever its source does) are both in {@link AWS_PRICES}; core/cost/deployment-cost.ts turns the latter into
 * the items of one deployment.
 */

/** Seconds in the month the model prices (30 days). */
export const MONTH_SECONDS = 30 * 86_400;

/** One deployment-wide monthly item (not driven by the change rate). */
export interface FixedMonthlyItem {
  /** What it is, as the cost table prints it (`3 interface endpoints × 2 AZ`). */
  readonly item: string;
  /** US dollars a 30-day month. */
  readonly usdPerMonth: number;
}

/** Usage prices, us-east-1 list prices on {@link AWS_PRICES.listedOn}. */
export const AWS_PRICES = {
  region: 'us-east-1',
  /** When these list prices were taken from the AWS pricing pages. */
  listedOn: '2026-12-01',
  s3: {
    /** S3 Standard PUT, COPY, POST and LIST requests, per 1,000. */
    putCopyPostListPer1000: 0.005,
    /** S3 Standard GET, SELECT and all other requests, per 1,000. */
    getPer1000: 0.0004,
    /** DELETE requests are free. */
    deletePer1000: 0,
    /** S3 Standard storage, per GB-month (first 50 TB). */
    storagePerGbMonth: 0.023,
  },
  athena: {
    /** Per TB scanned (10^12 bytes), each query rounded up to the MB with a 10 MB minimum. */
    perTbScanned: 5,
    minimumBytesPerQuery: 10 * 1024 * 1024,
    roundingBytes: 1024 * 1024,
  },
  firehose: {
    /** Direct PUT ingestion per GB (first 500 TB a month); every record is billed rounded up to 5 KB. */
    ingestionPerGb: 0.029,
    recordIncrementBytes: 5 * 1024,
    /** Format conversion (JSON to Parquet), per GB of ingested data. */
    formatConversionPerGb: 0.018,
    /** Dynamic partitioning: per GB processed and per 1,000 S3 objects delivered. */
    dynamicPartitioningPerGb: 0.02,
    dynamicPartitioningPer1000Objects: 0.005,
  },
  lambda: {
    /** Arm64 compute per GB-second (first 7.5 billion GB-s a month). */
    arm64PerGbSecond: 0.0000133334,
    /** Per million requests. */
    requestsPerMillion: 0.2,
  },
  /** Deployment-wide prices (core/cost/deployment-cost.ts). */
  deployment: {
    /** An interface VPC endpoint, per AZ it is in, per hour; plus {@link interfaceEndpointPerGb}. */
    interfaceEndpointPerAzHour: 0.01,
    interfaceEndpointPerGb: 0.01,
    /** A NAT gateway (the alternative to the endpoints, `vpcEndpoints=false`), per hour and per GB. */
    natGatewayPerHour: 0.045,
    natGatewayPerGb: 0.045,
    /** A standard-resolution CloudWatch alarm, per month. */
    alarmPerMonth: 0.1,
    /** A CloudWatch dashboard, per month (beyond the free three). */
    dashboardPerMonth: 3,
    /** A Secrets Manager secret, per month. */
    secretPerMonth: 0.4,
    /** RDS for PostgreSQL db.t4g.micro, single-AZ, on demand, per hour. */
    rdsT4gMicroPerHour: 0.016,
    /** RDS gp3 storage, single-AZ, per GB-month. */
    rdsGp3PerGbMonth: 0.115,
    /** EventBridge Scheduler invocations, per million (the first 14 million a month are free; not counted). */
    schedulerPerMillionInvocations: 1,
  },
  glue: {
    /** Data Catalog requests beyond the free million, per million (Athena's GetTable/GetPartitions calls). */
    requestsPerMillion: 1,
  },
} as const;
