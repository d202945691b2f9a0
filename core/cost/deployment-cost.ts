/**
 * @module
 * The deployment-wide part of the cost model (core/cost/cost-model.ts): what one deployment pays whatever its
 * source does (interface endpoints per AZ, alarms, the dashboard, the demo's secrets and RDS instances), from
 * what the CDK app deploys ({@link DeploymentShape}, checked against the synthesized templates by
 * `test/cdk/deployment-cost.slow.test.ts`) at the list prices of core/cost/aws-prices.ts. The README's cost
 * section and `npm run aws:smoke`'s cost print both come from here.
 */
import { type CollectorName, needsApiKey } from '../schema/market-lake-tables.ts';
import { AWS_PRICES, type FixedMonthlyItem, MONTH_SECONDS } from './aws-prices.ts';

/** What one deployment holds that is billed by the hour or the month. */
export interface DeploymentShape {
  /** Interface endpoints (Firehose, Secrets Manager, Athena with `vpcEndpoints=true`; 0 without). */
  readonly interfaceEndpoints: number;
  /** Availability zones each interface endpoint has a network interface in (billed per AZ-hour). */
  readonly availabilityZones: number;
  /** NAT gateways the stacks create (none: the demo's subnets are isolated; a VPC of your own may have one). */
  readonly natGateways: number;
  readonly alarms: number;
  readonly dashboards: number;
  /** Secrets the stacks create (the demo's two master secrets; bring-your-own ones are not counted). */
  readonly secrets: number;
  /** The demo's RDS PostgreSQL instances (`db.t4g.micro`, single-AZ, gp3). */
  readonly demoDatabases: number;
  /** Allocated storage of each demo instance. */
  readonly demoStorageGb: number;
}

/** The demo deployment of `cdk deploy --all -c demo=true` (the one `npm run aws:smoke` deploys). */
export const DEMO_DEPLOYMENT: DeploymentShape = {
  interfaceEndpoints: 3,
  availabilityZones: 2,
  natGateways: 0,
  alarms: 74,
  dashboards: 1,
  secrets: 2,
  demoDatabases: 2,
  demoStorageGb: 20,
};

/** Hours in the model's 30-day month. */
const MONTH_HOURS = MONTH_SECONDS / 3600;

/**
 * The deployment-wide monthly items of `shape` (items that cost nothing left out). Interface endpoints and NAT
 * gateways also bill per GB they carry (`interfaceEndpointPerGb`, `natGatewayPerGb`): at totesys volumes (the
 * Firehose records, Athena results) that is cents, so only their hours are listed.
 */
export function deploymentWideItems(shape: DeploymentShape): FixedMonthlyItem[] {
  const p = AWS_PRICES.deployment;
  const items: FixedMonthlyItem[] = [
    {
      item: `${shape.interfaceEndpoints} interface endpoints × ${shape.availabilityZones} AZ`,
      usdPerMonth:
        shape.interfaceEndpoints * shape.availabilityZones * p.interfaceEndpointPerAzHour * MONTH_HOURS,
    },
    {
      item: `NAT gateway × ${shape.natGateways}`,
      usdPerMonth: shape.natGateways * p.natGatewayPerHour * MONTH_HOURS,
    },
    { item: `${shape.alarms} CloudWatch alarms`, usdPerMonth: shape.alarms * p.alarmPerMonth },
    { item: `${shape.dashboards} CloudWatch dashboard`, usdPerMonth: shape.dashboards * p.dashboardPerMonth },
    { item: `${shape.secrets} Secrets Manager secrets`, usdPerMonth: shape.secrets * p.secretPerMonth },
    {
      item: `${shape.demoDatabases} demo RDS db.t4g.micro, ${shape.demoStorageGb} GB gp3 each`,
      usdPerMonth:
        shape.demoDatabases * (p.rdsT4gMicroPerHour * MONTH_HOURS + shape.demoStorageGb * p.rdsGp3PerGbMonth),
    },
  ];
  return items.filter((i) => i.usdPerMonth > 0);
}

/** The demo deployment's items: the cost table's default (`monthlyCost`), the README's and the smoke's. */
export const DEPLOYMENT_WIDE_MONTHLY: readonly FixedMonthlyItem[] = deploymentWideItems(DEMO_DEPLOYMENT);

/**
 * Runs a 30-day month of each collector's schedule (cdk/lib/constructs/market-collector.ts, checked by
 * test/cdk/market-data.slow.test.ts): the daily ones 30, crypto hourly, files every 15 minutes.
 */
export const COLLECTOR_RUNS_PER_MONTH: { readonly [C in CollectorName]: number } = {
  fx: 30,
  equities: 30,
  fred: 30,
  crypto: 720,
  files: 2880,
};

/**
 * What one collector run is billed as at most: its Lambda (256 MB) for 5 s (a fetch, or a files pass, and one
 * PutRecordBatch; an API's retries take longer, rarely), and one Firehose record per table it fills (a fetch is
 * well under the 5 KB a record is billed as).
 */
export const COLLECTOR_RUN = { seconds: 5, memoryMiB: 256, firehoseRecords: 1 } as const;

/**
 * The monthly items the market collectors of a deployment add (README, "Market data on AWS"): each one's
 * no-delivery alarm, each keyed one's API key secret, and their runs (Lambda time and requests, Scheduler
 * invocations at the price beyond the free tier, Firehose records at the 5 KB minimum with conversion and
 * partitioning), and with the forecast function its runs and two alarms (errors, no prediction for a day).
 * The demo's fx collector is in {@link DEMO_DEPLOYMENT}'s alarms too.
 */
export function marketCollectorItems(collectors: readonly CollectorName[]): FixedMonthlyItem[] {
  const forecast = collectors.includes('equities') && collectors.includes('fred');
  const p = AWS_PRICES;
  const runs = collectors.reduce((sum, name) => sum + COLLECTOR_RUNS_PER_MONTH[name], 0);
  const keyed = collectors.filter(needsApiKey).length;
  const gbSeconds = runs * COLLECTOR_RUN.seconds * (COLLECTOR_RUN.memoryMiB / 1024);
  const firehoseGb = (runs * COLLECTOR_RUN.firehoseRecords * p.firehose.recordIncrementBytes) / 1024 ** 3;
  return [
    {
      item: `${collectors.length} collector no-delivery alarms`,
      usdPerMonth: collectors.length * p.deployment.alarmPerMonth,
    },
    { item: `${keyed} API key secrets`, usdPerMonth: keyed * p.deployment.secretPerMonth },
    {
      item: `${runs.toLocaleString('en-US')} collector runs (Lambda, Scheduler, Firehose)`,
      usdPerMonth:
        gbSeconds * p.lambda.arm64PerGbSecond +
        (runs * p.lambda.requestsPerMillion) / 1e6 +
        (runs * p.deployment.schedulerPerMillionInvocations) / 1e6 +
        firehoseGb *
          (p.firehose.ingestionPerGb +
            p.firehose.formatConversionPerGb +
            p.firehose.dynamicPartitioningPerGb) +
        (runs * p.firehose.dynamicPartitioningPer1000Objects) / 1000,
    },
    {
      // Deployed with the equities and fred collectors (cdk/lib/stacks/ingest-stack.ts).
      item: `${forecast ? 30 : 0} forecast runs (Lambda, Athena)`,
      usdPerMonth: forecast
        ? 30 *
          (FORECAST_RUN.seconds * (FORECAST_RUN.memoryMiB / 1024) * p.lambda.arm64PerGbSecond +
            (FORECAST_RUN.athenaQueries * p.athena.minimumBytesPerQuery * p.athena.perTbScanned) / 1e12)
        : 0,
    },
    {
      item: `${forecast ? 2 : 0} forecast alarms (errors, no prediction for a day)`,
      usdPerMonth: forecast ? 2 * p.deployment.alarmPerMonth : 0,
    },
  ];
}

/**
 * One daily forecast run at most: a minute of its Lambda (1 GB) to read the market series and fit the model,
 * and five Athena queries (gold, the equity index, GBP/USD, two rates), each billed the 10 MB minimum.
 */
export const FORECAST_RUN = { seconds: 60, memoryMiB: 1024, athenaQueries: 5 } as const;

/** The README's market cost table: the default (fx alone) beside every source, from {@link marketCollectorItems}. */
export function marketCostMarkdown(): string {
  const columns = [
    marketCollectorItems(['fx']),
    marketCollectorItems(['fx', 'equities', 'fred', 'crypto', 'files']),
  ];
  const usd = (value: number) => `$${value.toFixed(2)}`;
  const total = (items: readonly FixedMonthlyItem[]) => items.reduce((sum, i) => sum + i.usdPerMonth, 0);
  return [
    '| market data, a month | `fx` alone (the default) | every source |',
    '|---|---:|---:|',
    ...columns[0]!.map(
      (item, at) =>
        `| ${item.item.replace(/^[\d,]+ /, '')} | ${item.item.match(/^[\d,]+/)?.[0]}: ${usd(item.usdPerMonth)} | ${columns[1]![at]!.item.match(/^[\d,]+/)?.[0]}: ${usd(columns[1]![at]!.usdPerMonth)} |`,
    ),
    `| **total** | **${usd(total(columns[0]!))}** | **${usd(total(columns[1]!))}** |`,
  ].join('\n');
}
