/**
 * @module
 * The deployment-wide part of the cost model (core/cost/cost-model.ts): what one deployment pays whatever its
 * source does (interface endpoints per AZ, alarms, the dashboard, the demo's secrets and RDS instances), from
 * what the CDK app deploys ({@link DeploymentShape}, checked against the synthesized templates by
 * `test/cdk/deployment-cost.slow.test.ts`) at the list prices of core/cost/aws-prices.ts. The README's cost
 * section and `npm run aws:smoke`'s cost print both come from here.
 */
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
  alarms: 71,
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
