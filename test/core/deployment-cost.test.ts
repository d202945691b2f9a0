import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AWS_PRICES } from '../../core/cost/aws-prices.ts';
import {
  DEMO_DEPLOYMENT,
  DEPLOYMENT_WIDE_MONTHLY,
  deploymentWideItems,
  marketCollectorItems,
  marketCostMarkdown,
} from '../../core/cost/deployment-cost.ts';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const usd = (value: number) => `$${value.toFixed(2)}`;

describe('the deployment-wide cost items', () => {
  it('price the endpoints per AZ-hour and the RDS instances per hour over a 30-day month', () => {
    const p = AWS_PRICES.deployment;
    const [endpoints, , , , databases] = DEPLOYMENT_WIDE_MONTHLY;
    expect(endpoints?.usdPerMonth).toBeCloseTo(3 * 2 * p.interfaceEndpointPerAzHour * 720, 9);
    expect(databases?.usdPerMonth).toBeCloseTo(2 * (p.rdsT4gMicroPerHour * 720 + 20 * p.rdsGp3PerGbMonth), 9);
  });

  it('leave out what a deployment does not have', () => {
    const own = deploymentWideItems({
      ...DEMO_DEPLOYMENT,
      interfaceEndpoints: 0,
      natGateways: 1,
      demoDatabases: 0,
    });
    expect(own.map((i) => i.item)).toEqual([
      'NAT gateway × 1',
      `${DEMO_DEPLOYMENT.alarms} CloudWatch alarms`,
      '1 CloudWatch dashboard',
      '2 Secrets Manager secrets',
    ]);
  });

  it('are the ones the README quotes, to the cent', () => {
    for (const item of DEPLOYMENT_WIDE_MONTHLY) {
      expect(README).toContain(`| ${item.item} | ${usd(item.usdPerMonth)} |`);
    }
    const total = DEPLOYMENT_WIDE_MONTHLY.reduce((sum, i) => sum + i.usdPerMonth, 0);
    expect(README).toContain(`| **total** | **${usd(total)}** (about ${usd(total / 720)} an hour) |`);
  });
});

describe('the market data cost items', () => {
  it('count an alarm per collector, a secret per keyed one, their runs, and the forecast only with its series', () => {
    const p = AWS_PRICES;
    const [alarms, secrets, runs, forecast, forecastAlarms] = marketCollectorItems(['fx', 'crypto']);
    expect(alarms?.usdPerMonth).toBeCloseTo(2 * p.deployment.alarmPerMonth, 9);
    expect(secrets?.usdPerMonth).toBeCloseTo(p.deployment.secretPerMonth, 9);
    expect(runs?.item).toBe('750 collector runs (Lambda, Scheduler, Firehose)');
    expect(runs?.usdPerMonth).toBeGreaterThan(750 * 5 * 0.25 * p.lambda.arm64PerGbSecond);
    expect(forecast?.usdPerMonth).toBe(0);
    expect(forecastAlarms?.usdPerMonth).toBe(0);
    expect(marketCollectorItems(['equities', 'fred'])[3]?.usdPerMonth).toBeGreaterThan(0);
    expect(marketCollectorItems(['equities', 'fred'])[4]?.usdPerMonth).toBeCloseTo(
      2 * p.deployment.alarmPerMonth,
      9,
    );
  });

  it('are the table the README quotes', () => {
    expect(README).toContain(marketCostMarkdown());
  });
});
