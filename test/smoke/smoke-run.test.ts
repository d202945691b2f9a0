import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import {
  CloudFormationClient,
  DescribeStacksCommand,
  ListStackResourcesCommand,
  type StackStatus,
} from '@aws-sdk/client-cloudformation';
import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  GetMetricStatisticsCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsClient,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  DeleteObjectsCommand,
  HeadBucketCommand,
  ListObjectVersionsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { deploymentNames } from '../../core/deployment-names.ts';
import { SOURCE_TABLE_NAMES } from '../../core/schema/source-tables.ts';
import { AthenaQueryEngine } from '../../lake/athena-query-engine.ts';
import type { CdkCli } from '../../smoke/cdk-cli.ts';
import type { SmokeClock } from '../../smoke/smoke-clock.ts';
import { runSmoke, type SmokeOutcome, type SmokeStage, smokeContext } from '../../smoke/smoke-run.ts';

const names = deploymentNames('smoke-0a1b2c3d');
const LAKE = names.lakeStack;
const INGEST = names.ingestStack;
const BUCKETS = ['smoke-0a1b2c3d-totesys-lake-111122223333-eu-west-2', 'smoke-0a1b2c3d-accesslogs-x1'];
const LOG_GROUP = '/aws/lambda/smoke-0a1b2c3d-TotesysIngest-SmokeProbeFunction';
const T0 = Date.parse('2026-12-01T17:00:00.000Z');
const iso = (offsetMs: number) => new Date(T0 + offsetMs).toISOString();
const OUTPUTS = {
  SourceLoaderFunctionName0A1B2C3D: 'loader-fn',
  SmokeProbeFunctionName4E5F6A7B: 'probe-fn',
  SmokeProbeAlarmName8C9D0E1F: 'smoke-0a1b2c3d-TotesysIngest-ReaderLag',
  SmokeProbeAlarmTopicName2A3B4C5D: 'smoke-0a1b2c3d-alarms',
};

const cloudFormation = mockClient(CloudFormationClient);
const lambda = mockClient(LambdaClient);
const cloudWatch = mockClient(CloudWatchClient);
const logs = mockClient(CloudWatchLogsClient);
const s3 = mockClient(S3Client);
const athena = mockClient(AthenaClient);

/** Every call of the run, in order: AWS commands, `cdk` commands and the smoke's waits. */
let calls: string[];
/** Where the fake account stands: which stacks exist, and in which state. */
let stacks: Map<string, StackStatus>;
let bucketsExist: boolean;
let logGroupExists: boolean;
/** The call (0-based, in {@link calls}) that rejects: a failure injected at a stage. */
let failAt: number | undefined;
/** The controller whose abort stands for Ctrl-C, and the call during which it is pressed. */
let interrupt: AbortController;
let interruptAt: number | undefined;
let destroyFailures: number;
/** What the alarm's history says its SNS action did. */
let alarmAction: string;

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const missingStack = (name: string) =>
  Object.assign(new Error(`Stack with id ${name} does not exist`), { name: 'ValidationError' });

/** Records the call, then fails or interrupts it if the test asked for that here. */
function reach(label: string): void {
  const index = calls.push(label) - 1;
  if (index === interruptAt) interrupt.abort(new Error('Interrupted by Ctrl-C.'));
  if (index === failAt) throw new Error(`injected failure at ${label}`);
}

const CHANGES = SOURCE_TABLE_NAMES.map((table, i) => ({
  table,
  key: i + 1,
  value: `smoke-0a1b2c3d ${table}`,
  committedAt: iso(20 * 60_000 + i * 1000),
}));

function answerProbe(request: { action: string; changes?: unknown[] }, inspections: number) {
  if (request.action === 'change') return { changes: CHANGES };
  if ((request.changes ?? []).length === 0) {
    return { visible: [], cutLoadedAt: inspections === 1 ? null : iso(15 * 60_000) };
  }
  // The first look after the changes sees the first five tables, the second all of them.
  const tables = CHANGES.map((c) => c.table);
  return inspections === 3
    ? { visible: tables.slice(0, 5), cutLoadedAt: iso(21 * 60_000) }
    : { visible: tables, cutLoadedAt: iso(22 * 60_000) };
}

beforeEach(() => {
  calls = [];
  stacks = new Map();
  bucketsExist = true;
  logGroupExists = true;
  failAt = undefined;
  interrupt = new AbortController();
  interruptAt = undefined;
  destroyFailures = 0;
  alarmAction = 'Successfully executed action arn:aws:sns:eu-west-2:111122223333:smoke-0a1b2c3d-alarms';
  for (const mock of [cloudFormation, lambda, cloudWatch, logs, s3, athena]) mock.reset();

  cloudFormation.on(DescribeStacksCommand).callsFake(({ StackName }) => {
    reach(`DescribeStacks ${StackName}`);
    const status = stacks.get(StackName);
    if (status === undefined) throw missingStack(StackName);
    // A stack seen in progress has finished by the next look.
    if (status.endsWith('_IN_PROGRESS')) stacks.set(StackName, 'ROLLBACK_COMPLETE');
    const outputs = StackName === INGEST ? OUTPUTS : {};
    return {
      Stacks: [
        {
          StackName,
          StackStatus: status,
          CreationTime: new Date(T0),
          Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
        },
      ],
    };
  });
  cloudFormation.on(ListStackResourcesCommand).callsFake(({ StackName }) => {
    reach(`ListStackResources ${StackName}`);
    return {
      StackResourceSummaries: [
        ...BUCKETS.map((id, i) => ({
          LogicalResourceId: `Bucket${i}`,
          PhysicalResourceId: id,
          ResourceType: 'AWS::S3::Bucket',
          ResourceStatus: 'CREATE_COMPLETE' as const,
          LastUpdatedTimestamp: new Date(T0),
        })),
        {
          LogicalResourceId: 'Database',
          PhysicalResourceId: 'smoke_0a1b2c3d_totesys_lake',
          ResourceType: 'AWS::Glue::Database',
          ResourceStatus: 'CREATE_COMPLETE' as const,
          LastUpdatedTimestamp: new Date(T0),
        },
      ],
    };
  });
  let inspections = 0;
  lambda.on(InvokeCommand).callsFake(({ FunctionName, Payload }) => {
    const request = JSON.parse(new TextDecoder().decode(Payload as Uint8Array)) as {
      action: string;
      changes?: unknown[];
    };
    reach(`Invoke ${FunctionName} ${request.action}`);
    if (FunctionName === 'loader-fn') return { StatusCode: 200, Payload: encode({ totalRows: 1200 }) };
    if (request.action === 'inspect') inspections += 1;
    return { StatusCode: 200, Payload: encode(answerProbe(request, inspections)) };
  });
  cloudWatch.on(SetAlarmStateCommand).callsFake(() => reach('SetAlarmState'));
  cloudWatch.on(DescribeAlarmHistoryCommand).callsFake(() => {
    reach('DescribeAlarmHistory');
    return {
      AlarmHistoryItems: [
        {
          AlarmName: OUTPUTS.SmokeProbeAlarmName8C9D0E1F,
          HistoryItemType: 'Action',
          HistorySummary: alarmAction,
        },
      ],
    };
  });
  let metricLooks = 0;
  cloudWatch.on(GetMetricStatisticsCommand).callsFake(() => {
    reach('GetMetricStatistics');
    metricLooks += 1;
    return { Datapoints: metricLooks === 1 ? [] : [{ Sum: 1, Timestamp: new Date(T0) }] };
  });
  athena.on(StartQueryExecutionCommand).callsFake(() => {
    reach('StartQueryExecution');
    return { QueryExecutionId: 'q-1' };
  });
  athena.on(GetQueryExecutionCommand).callsFake(() => {
    reach('GetQueryExecution');
    return {
      QueryExecution: { QueryExecutionId: 'q-1', StatementType: 'DML', Status: { State: 'SUCCEEDED' } },
    };
  });
  athena.on(GetQueryResultsCommand).callsFake(() => {
    reach('GetQueryResults');
    return {
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: [{ Name: 'counterparty_id', Type: 'integer' }] },
        Rows: [{ Data: [{ VarCharValue: 'counterparty_id' }] }, { Data: [{ VarCharValue: '7' }] }],
      },
    };
  });
  s3.on(ListObjectVersionsCommand).callsFake(({ Bucket }) => {
    reach(`ListObjectVersions ${Bucket}`);
    return Bucket === BUCKETS[0]
      ? {
          Versions: [{ Key: 'state/reader.json', VersionId: 'v1' }],
          DeleteMarkers: [{ Key: 'a', VersionId: 'd1' }],
        }
      : {};
  });
  s3.on(DeleteObjectsCommand).callsFake(({ Bucket }) => {
    reach(`DeleteObjects ${Bucket}`);
    return { Deleted: [] };
  });
  s3.on(HeadBucketCommand).callsFake(({ Bucket }) => {
    reach(`HeadBucket ${Bucket}`);
    if (!bucketsExist) throw Object.assign(new Error('Not Found'), { name: 'NotFound' });
    return {};
  });
  logs.on(DescribeLogGroupsCommand).callsFake(() => {
    reach('DescribeLogGroups');
    return { logGroups: logGroupExists ? [{ logGroupName: LOG_GROUP }] : [] };
  });
  logs.on(DeleteLogGroupCommand).callsFake(({ logGroupName }) => {
    reach(`DeleteLogGroup ${logGroupName}`);
    logGroupExists = false;
  });
});

/** The CDK CLI as the account sees it: a deploy creates the stacks, a destroy deletes them. */
const cdk: CdkCli & { args: string[][] } = {
  args: [],
  async run(args, signal) {
    cdk.args.push([...args]);
    const command = args[0];
    if (command === 'deploy') {
      stacks.set(LAKE, 'CREATE_COMPLETE');
      reach('cdk deploy');
      // Ctrl-C during a deploy: the CLI stops, CloudFormation goes on with the ingest stack for a while.
      if (signal?.aborted) {
        stacks.set(INGEST, 'CREATE_IN_PROGRESS');
        throw new Error('"npx cdk deploy" was stopped by SIGINT');
      }
      stacks.set(INGEST, 'CREATE_COMPLETE');
      return;
    }
    reach('cdk destroy');
    if (destroyFailures > 0) {
      destroyFailures -= 1;
      throw new Error('"npx cdk destroy" exited with 1');
    }
    stacks.clear();
    bucketsExist = false;
  },
};

/** Time moves only when the smoke waits. */
function manualClock(): SmokeClock & { time: number } {
  const clock = {
    time: T0,
    now: () => clock.time,
    async sleep(ms: number, signal: AbortSignal) {
      signal.throwIfAborted();
      calls.push(`wait ${ms / 1000} s`);
      clock.time += ms;
    },
  };
  return clock;
}

async function run(): Promise<{ outcome: SmokeOutcome; printed: string[] }> {
  cdk.args = [];
  const printed: string[] = [];
  const clock = manualClock();
  const outcome = await runSmoke({
    names,
    cdk,
    cloudFormation: new CloudFormationClient({ region: 'eu-west-2' }),
    lambda: new LambdaClient({ region: 'eu-west-2' }),
    cloudWatch: new CloudWatchClient({ region: 'eu-west-2' }),
    logs: new CloudWatchLogsClient({ region: 'eu-west-2' }),
    s3: new S3Client({ region: 'eu-west-2' }),
    queryEngine: () =>
      new AthenaQueryEngine({
        client: new AthenaClient({ region: 'eu-west-2' }),
        workGroup: names.athenaWorkgroup,
        database: names.glueDatabase,
        sleep: async () => {},
      }),
    adhocQuery: { name: 'queries/adhoc/top-counterparties.sql', sql: 'SELECT 1' },
    clock,
    signal: interrupt.signal,
    print: (line) => printed.push(line),
  });
  return { outcome, printed };
}

/** Each stage's calls when everything answers as it should. */
const STAGE_CALLS: Record<SmokeStage, string[]> = {
  deploy: ['cdk deploy', `DescribeStacks ${INGEST}`],
  load: ['Invoke loader-fn seed'],
  'first-load': ['Invoke probe-fn inspect', 'wait 20 s', 'Invoke probe-fn inspect'],
  change: ['Invoke probe-fn change'],
  arrival: ['Invoke probe-fn inspect', 'wait 10 s', 'Invoke probe-fn inspect'],
  alarm: ['SetAlarmState', 'DescribeAlarmHistory', 'GetMetricStatistics', 'wait 30 s', 'GetMetricStatistics'],
  query: ['StartQueryExecution', 'GetQueryExecution', 'GetQueryResults'],
};
const STAGES = Object.keys(STAGE_CALLS) as SmokeStage[];

/** The teardown's calls once the lake stack exists (its buckets emptied, both stacks destroyed, checked). */
function teardownCalls(ingestExists: 'exists' | 'missing' | 'in progress'): string[] {
  return [
    `DescribeStacks ${INGEST}`,
    ...(ingestExists === 'in progress' ? ['wait 15 s', `DescribeStacks ${INGEST}`] : []),
    `DescribeStacks ${LAKE}`,
    `DescribeStacks ${LAKE}`,
    `ListStackResources ${LAKE}`,
    `ListObjectVersions ${BUCKETS[0]}`,
    `DeleteObjects ${BUCKETS[0]}`,
    `ListObjectVersions ${BUCKETS[1]}`,
    'cdk destroy',
    'DescribeLogGroups',
    `DeleteLogGroup ${LOG_GROUP}`,
    `DescribeStacks ${INGEST}`,
    `DescribeStacks ${LAKE}`,
    `HeadBucket ${BUCKETS[0]}`,
    `HeadBucket ${BUCKETS[1]}`,
    'DescribeLogGroups',
  ];
}

describe('npm run aws:smoke', () => {
  it('deploys, loads, changes every table, times each to the warehouse, alarms, queries, then destroys all', async () => {
    const { outcome, printed } = await run();

    expect(calls).toEqual([...STAGES.flatMap((stage) => STAGE_CALLS[stage]), ...teardownCalls('exists')]);
    expect(outcome.failure).toBeUndefined();
    expect(outcome.completed).toEqual(STAGES);
    expect(outcome.leftovers).toEqual([]);
    // Deploy and destroy name both stacks of the run's prefix, with the same context.
    expect(cdk.args).toEqual([
      ['deploy', LAKE, INGEST, '--require-approval', 'never', ...smokeContext(names)],
      ['destroy', INGEST, LAKE, '--force', ...smokeContext(names)],
    ]);
    expect(smokeContext(names)).toEqual([
      '-c',
      'demo=true',
      '-c',
      'prefix=smoke-0a1b2c3d',
      '-c',
      'smokeProbe=true',
      '-c',
      'destroyOnRemoval=true',
    ]);
    // Commit to warehouse: the first five tables were in the load at 17:21, the others in the one at 17:22.
    expect(outcome.arrivals.map((a) => a.table)).toEqual(SOURCE_TABLE_NAMES);
    expect(outcome.arrivals[0]?.commitToWarehouseMs).toBe(60_000);
    expect(outcome.arrivals[10]?.commitToWarehouseMs).toBe(2 * 60_000 - 10_000);
    expect(printed).toContain(`  ${SOURCE_TABLE_NAMES[10].padEnd(16)} 110.0 s`);
    expect(printed.some((line) => line.includes('published 1 message(s)'))).toBe(true);
    // The alarm set and the metric read are the run's own.
    const [setAlarm] = cloudWatch.commandCalls(SetAlarmStateCommand);
    expect(setAlarm?.args[0].input).toMatchObject({
      AlarmName: OUTPUTS.SmokeProbeAlarmName8C9D0E1F,
      StateValue: 'ALARM',
    });
    const [metric] = cloudWatch.commandCalls(GetMetricStatisticsCommand);
    expect(metric?.args[0].input).toMatchObject({
      Namespace: 'AWS/SNS',
      MetricName: 'NumberOfMessagesPublished',
      Dimensions: [{ Name: 'TopicName', Value: OUTPUTS.SmokeProbeAlarmTopicName2A3B4C5D }],
    });
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input).toMatchObject({
      WorkGroup: 'smoke-0a1b2c3d-totesys',
      QueryExecutionContext: { Database: 'smoke_0a1b2c3d_totesys_lake' },
    });
    const [emptied] = s3.commandCalls(DeleteObjectsCommand);
    expect(emptied?.args[0].input.Delete?.Objects).toEqual([
      { Key: 'state/reader.json', VersionId: 'v1' },
      { Key: 'a', VersionId: 'd1' },
    ]);
  });

  it.each(STAGES)('cleans up everything after a failure during %s', async (stage) => {
    const before = STAGES.slice(0, STAGES.indexOf(stage)).flatMap((s) => STAGE_CALLS[s]);
    const first = STAGE_CALLS[stage][0] ?? '';
    failAt = before.length;

    const { outcome, printed } = await run();

    expect(calls).toEqual([...before, first, ...teardownCalls(stage === 'deploy' ? 'missing' : 'exists')]);
    expect(outcome.failure?.stage).toBe(stage);
    expect(outcome.completed).toEqual(STAGES.slice(0, STAGES.indexOf(stage)));
    expect(outcome.leftovers).toEqual([]);
    expect(printed.some((line) => line.startsWith(`Stage ${stage} failed: `))).toBe(true);
  });

  it('stops at Ctrl-C during a deploy, waits for CloudFormation to settle, and destroys what it created', async () => {
    interruptAt = 0;

    const { outcome } = await run();

    expect(calls).toEqual(['cdk deploy', ...teardownCalls('in progress')]);
    expect(outcome.failure?.stage).toBe('deploy');
    expect(outcome.leftovers).toEqual([]);
  });

  it.each(['first-load', 'arrival', 'alarm'] as const)(
    'stops at Ctrl-C while waiting during %s and destroys everything',
    async (stage) => {
      const before = STAGES.slice(0, STAGES.indexOf(stage)).flatMap((s) => STAGE_CALLS[s]);
      interruptAt = before.length;

      const { outcome, printed } = await run();

      // The look under way when Ctrl-C came ends; no wait, no later stage.
      expect(calls).toEqual([...before, STAGE_CALLS[stage][0], ...teardownCalls('exists')]);
      expect(outcome.failure?.stage).toBe(stage);
      expect(outcome.leftovers).toEqual([]);
      expect(printed).toContain(
        `Interrupted during ${stage}; cleaning up (this takes minutes, Ctrl-C again does not stop it).`,
      );
    },
  );

  it('fails the alarm stage when the topic refused the alarm’s publish, saying where its policy is', async () => {
    alarmAction =
      'Failed to execute action arn:aws:sns:eu-west-2:111122223333:smoke-0a1b2c3d-alarms. Received error: "CloudWatch Alarms does not have authorization to access the SNS topic encryption key."';

    const { outcome } = await run();

    expect(outcome.failure?.stage).toBe('alarm');
    expect(String(outcome.failure?.error)).toContain(
      `could not notify topic ${OUTPUTS.SmokeProbeAlarmTopicName2A3B4C5D}`,
    );
    expect(calls).not.toContain('GetMetricStatistics');
    expect(calls).not.toContain('StartQueryExecution');
    expect(calls.at(-1)).toBe('DescribeLogGroups');
    expect(outcome.leftovers).toEqual([]);
  });

  it('retries a failed destroy once after emptying the buckets again, then lists what it could not delete', async () => {
    destroyFailures = 2;

    const { outcome } = await run();

    // The teardown as in a full run, with its emptying of the buckets and the destroy done twice.
    const once = teardownCalls('exists');
    const destroyAt = once.indexOf('cdk destroy');
    const emptyThenDestroy = once.slice(destroyAt - 3, destroyAt + 1);
    expect(calls).toEqual([
      ...STAGES.flatMap((stage) => STAGE_CALLS[stage]),
      ...once.slice(0, destroyAt + 1),
      ...emptyThenDestroy,
      ...once.slice(destroyAt + 1),
    ]);
    expect(outcome.failure).toBeUndefined();
    expect(outcome.leftovers).toEqual([
      `stack ${INGEST} (CREATE_COMPLETE): cd cdk && npx cdk destroy ${INGEST} --force ${smokeContext(names).join(' ')}`,
      `stack ${LAKE} (CREATE_COMPLETE): cd cdk && npx cdk destroy ${LAKE} --force ${smokeContext(names).join(' ')}`,
      `bucket ${BUCKETS[0]}: empty it with its versions (S3 console "Empty"), then delete it`,
      `bucket ${BUCKETS[1]}: empty it with its versions (S3 console "Empty"), then delete it`,
      'not checked or not done, cdk destroy: "npx cdk destroy" exited with 1',
    ]);
  });
});
