/**
 * @module
 * The usage `npm run bench -- aging --record` measured last (`core/cost/measured-usage.json`: per scenario,
 * the AWS-cadence request counts of a sampled window), and the README's usage cost table computed from it
 * with the cost model. The README quotes {@link usageCostMarkdown} verbatim (test/core/cost-model.test.ts
 * keeps them equal), so new counts or new prices are one bench run and one paste.
 */
import { readFileSync } from 'node:fs';
import { type CostLine, type MeasuredUsage, monthlyCost } from './cost-model.ts';

/** One scenario of a recorded run: the README column's heading and its window's usage. */
export interface MeasuredScenario {
  readonly heading: string;
  readonly usage: MeasuredUsage;
}

/** A recorded aging run. */
export interface MeasuredRun {
  /** When it ran (ISO-8601 date) and the machine's 1-minute load average as it ended. */
  readonly measuredOn: string;
  readonly loadAverage: number;
  readonly scenarios: readonly MeasuredScenario[];
}

/** Where the bench records its run. */
export const MEASURED_USAGE_FILE = new URL('./measured-usage.json', import.meta.url);

/** Reads the recorded run. */
export function readMeasuredUsage(file: URL = MEASURED_USAGE_FILE): MeasuredRun {
  return JSON.parse(readFileSync(file, 'utf8')) as MeasuredRun;
}

/** The README's rows: which cost lines each sums (storage is left out: it is quoted apart). */
const ROWS: readonly { readonly label: string; readonly of: (line: CostLine) => boolean }[] = [
  {
    label: 'S3 requests (PUT, LIST, GET)',
    of: (l) => l.item.startsWith('S3') && !l.item.includes('storage'),
  },
  { label: 'Athena (10 MB minimum per query)', of: (l) => l.item.startsWith('Athena') },
  {
    label: 'Firehose (ingestion, conversion, partitioning, objects)',
    of: (l) => l.item.startsWith('Firehose'),
  },
  { label: 'Lambda (reader, loader, compaction, transformation)', of: (l) => l.item.startsWith('Lambda') },
];

/** The README's monthly usage cost table of a recorded run, one column per scenario. */
export function usageCostMarkdown(run: MeasuredRun): string {
  const tables = run.scenarios.map((s) => monthlyCost(s.usage, []));
  const sums = ROWS.map((row) =>
    tables.map((table) => table.usage.filter(row.of).reduce((sum, line) => sum + line.usdPerMonth, 0)),
  );
  const totals = tables.map((_, column) => sums.reduce((sum, values) => sum + values[column]!, 0));
  const usd = (value: number) => `$${value.toFixed(2)}`;
  return [
    `| a month, usage only | ${run.scenarios.map((s) => s.heading).join(' | ')} |`,
    `|---|${run.scenarios.map(() => '---:').join('|')}|`,
    ...ROWS.map((row, at) => `| ${row.label} | ${sums[at]!.map(usd).join(' | ')} |`),
    `| **total** | ${totals.map((t) => `**${usd(t)}**`).join(' | ')} |`,
  ].join('\n');
}
