import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AWS_PRICES } from '../../core/cost/aws-prices.ts';
import {
  athenaBilledBytes,
  firehoseBilledBytes,
  MONTH_SECONDS,
  monthlyCost,
  UsageTally,
} from '../../core/cost/cost-model.ts';
import { readMeasuredUsage, usageCostMarkdown } from '../../core/cost/measured-usage.ts';

const MB = 1024 * 1024;

describe('the cost model', () => {
  it('bills every Athena query at least 10 MB, rounded up to the MB', () => {
    expect(athenaBilledBytes(0)).toBe(10 * MB);
    expect(athenaBilledBytes(10 * MB + 1)).toBe(11 * MB);
  });

  it('bills every Firehose record rounded up to 5 KB', () => {
    expect(firehoseBilledBytes(300)).toBe(5120);
    expect(firehoseBilledBytes(5121)).toBe(10_240);
  });

  it('scales a measured day to a 30-day month at the listed prices', () => {
    // Prepare: a day with 1,440 loader runs of one watermark query and 1,000 S3 GETs.
    const tally = new UsageTally();
    for (let run = 0; run < 1440; run++) tally.athenaQuery(1024);
    tally.s3.gets = 1000;

    // Act
    const table = monthlyCost(tally.usage(86_400), [{ item: 'endpoints', usdPerMonth: 44 }]);

    // Assess: 43,200 queries × 10 MB at $5/TB, 30,000 GETs at $0.0004 per 1,000, plus the fixed item.
    const athena = table.usage.find((line) => line.item.startsWith('Athena'))!;
    expect(athena.usdPerMonth).toBeCloseTo(((43_200 * 10 * MB) / 1e12) * AWS_PRICES.athena.perTbScanned, 9);
    const gets = table.usage.find((line) => line.item === 'S3 GET requests')!;
    expect(gets.quantity).toBe(30_000);
    expect(table.totalUsd).toBeCloseTo(athena.usdPerMonth + gets.usdPerMonth + 44, 9);
    expect(MONTH_SECONDS).toBe(2_592_000);
  });

  it('refuses a period without duration', () => {
    expect(() => monthlyCost(new UsageTally().usage(0))).toThrow(/over 0 s/);
  });

  it("is what the README's usage table quotes, computed from the aging bench's recorded counts", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const run = readMeasuredUsage();
    expect(run.scenarios.map((s) => s.heading)).toHaveLength(3);
    expect(readme).toContain(usageCostMarkdown(run));
    expect(readme).toContain(
      `(${run.measuredOn}, a shared 2-core machine at a load average of ${run.loadAverage})`,
    );
  });
});
