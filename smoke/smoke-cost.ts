/**
 * @module
 * What a smoke run cost, at the cost model's rates (core/cost/): the demo deployment's deployment-wide items
 * for as long as the run lasted, plus the usage a deployment has whatever its source does, estimated per
 * minute of the run as the README's cost section counts it: the reader's Lambda runs all the time at 1 GB,
 * and each load runs the watermark query and up to 10 window queries on Athena, each billed at least 10 MB.
 * An upper bound: the stacks exist for only part of the run, and the loader often runs fewer queries.
 */
import { AWS_PRICES } from '../core/cost/aws-prices.ts';
import { periodCostUsd, UsageTally } from '../core/cost/cost-model.ts';
import { DEPLOYMENT_WIDE_MONTHLY } from '../core/cost/deployment-cost.ts';

/** Queries one load runs at most: the watermark query and one per lake table it loads. */
const QUERIES_PER_LOAD = 11;
/** The reader's memory (cdk/lib/constructs/cdc-reader.ts). */
const READER_MEMORY_MIB = 1024;

/** The run's cost in US dollars, and the line that says it. */
export function smokeRunCost(seconds: number): { readonly usd: number; readonly line: string } {
  const tally = new UsageTally();
  const minutes = Math.ceil(seconds / 60);
  for (let minute = 0; minute < minutes; minute++) {
    tally.lambdaRun(60, READER_MEMORY_MIB);
    for (let q = 0; q < QUERIES_PER_LOAD; q++) tally.athenaQuery(0);
  }
  const usd = periodCostUsd(tally.usage(Math.max(seconds, 1)), DEPLOYMENT_WIDE_MONTHLY);
  return {
    usd,
    line:
      `The run cost at most $${usd.toFixed(2)} (${Math.round(seconds / 60)} min of the demo deployment at the ` +
      `cost model's ${AWS_PRICES.region} list prices of ${AWS_PRICES.listedOn}: README "What it costs").`,
  };
}
