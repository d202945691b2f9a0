import { describe, expect, it } from 'vitest';
import { AWS_PRICES } from '../../core/cost/aws-prices.ts';
import { smokeRunCost } from '../../smoke/smoke-cost.ts';

const MIB = 1024 * 1024;

describe('what npm run aws:smoke prints it cost', () => {
  it('charges an hour of the demo deployment and of its idle usage at the cost model’s rates', () => {
    const p = AWS_PRICES.deployment;
    // An hour of the deployment-wide items: 3 endpoints in 2 AZs, 2 RDS instances with 20 GB, and a 720th
    // of the month of 74 alarms, the dashboard and 2 secrets.
    const deploymentWide =
      3 * 2 * p.interfaceEndpointPerAzHour +
      2 * (p.rdsT4gMicroPerHour + (20 * p.rdsGp3PerGbMonth) / 720) +
      (74 * p.alarmPerMonth + p.dashboardPerMonth + 2 * p.secretPerMonth) / 720;
    // The reader all the hour at 1 GB, and 60 loads of 11 queries billed 10 MB each.
    const usage =
      3600 * AWS_PRICES.lambda.arm64PerGbSecond +
      (60 * AWS_PRICES.lambda.requestsPerMillion) / 1e6 +
      ((60 * 11 * 10 * MIB) / 1e12) * AWS_PRICES.athena.perTbScanned;

    const cost = smokeRunCost(3600);

    expect(cost.usd).toBeCloseTo(deploymentWide + usage, 9);
    expect(cost.line).toBe(
      `The run cost at most $${cost.usd.toFixed(2)} (60 min of the demo deployment at the cost model's ` +
        `us-east-1 list prices of ${AWS_PRICES.listedOn}: README "What it costs").`,
    );
  });
});
