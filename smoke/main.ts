/**
 * @module
 * `npm run aws:smoke`: the smoke run against the account and region of the user's AWS credentials (README
 * "Try it first: npm run aws:smoke"). Never run by the test suite; its orchestration is tested with mocked
 * clients (`test/smoke/`).
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { deploymentNames } from '../core/deployment-names.ts';
import { describeErrorChain } from '../core/error-chain.ts';
import { AthenaQueryEngine } from '../lake/athena-query-engine.ts';
import { processCdkCli } from './cdk-cli.ts';
import { abortOnCtrlC } from './ctrl-c.ts';
import { systemClock } from './smoke-clock.ts';
import { smokeRunCost } from './smoke-cost.ts';
import { runSmoke } from './smoke-run.ts';

const ADHOC_QUERY = 'top-counterparties.sql';

async function main(): Promise<number> {
  // A prefix of the run's own: no name in common with any other deployment (core/deployment-names.ts).
  const names = deploymentNames(`smoke-${randomBytes(4).toString('hex')}`);
  const sql = await readFile(new URL(`../queries/adhoc/${ADHOC_QUERY}`, import.meta.url), 'utf8');
  const signal = abortOnCtrlC(process, (line) => console.log(line));
  const outcome = await runSmoke({
    names,
    cdk: processCdkCli,
    cloudFormation: new CloudFormationClient({}),
    lambda: new LambdaClient({}),
    cloudWatch: new CloudWatchClient({}),
    logs: new CloudWatchLogsClient({}),
    s3: new S3Client({}),
    queryEngine: () =>
      new AthenaQueryEngine({
        client: new AthenaClient({}),
        workGroup: names.athenaWorkgroup,
        database: names.glueDatabase,
      }),
    adhocQuery: { name: `queries/adhoc/${ADHOC_QUERY}`, sql },
    clock: systemClock,
    signal,
    print: (line) => console.log(line),
  });
  const minutes = (outcome.endedAt - outcome.startedAt) / 60_000;
  console.log(`Run ${names.prefix} took ${minutes.toFixed(1)} min.`);
  console.log(smokeRunCost((outcome.endedAt - outcome.startedAt) / 1000).line);
  if (outcome.leftovers.length > 0) {
    console.error('Could not delete everything the run created; delete these by hand:');
    for (const line of outcome.leftovers) console.error(`  - ${line}`);
  } else {
    console.log('Everything the run created is deleted.');
  }
  if (outcome.failure) {
    console.error(
      `The smoke failed at ${outcome.failure.stage}: ${describeErrorChain(outcome.failure.error)}`,
    );
    return 1;
  }
  console.log('The smoke passed.');
  return outcome.leftovers.length > 0 ? 1 : 0;
}

process.exitCode = await main();
