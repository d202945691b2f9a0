/**
 * @module
 * `npm run aws:smoke` (README "Try it first: npm run aws:smoke"): deploy both stacks with the demo into a
 * prefix of the run's own, load the demo source, make one change per source table and time each to the
 * warehouse, put one alarm in ALARM and see its topic publish, run one ad-hoc query on Athena, and in every
 * case (success, failure at any stage, Ctrl-C) remove everything it created.
 *
 * The warehouse sits in isolated subnets: the smoke reaches both databases through the smoke probe Lambda
 * deployed in the VPC with it (`functions/smoke-probe/`), so no network is opened for the run.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  type CloudWatchClient,
  DescribeAlarmHistoryCommand,
  GetMetricStatisticsCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DeploymentNames } from '../core/deployment-names.ts';
import { describeErrorChain } from '../core/error-chain.ts';
import type { QueryEngine } from '../core/ports/query-engine.ts';
import type { SourceTableName } from '../core/schema/source-tables.ts';
import type { SmokeProbeRequest } from '../functions/smoke-probe/handler.ts';
import type { ProbeChange, ProbeInspection } from '../functions/smoke-probe/probe-changes.ts';
import type { CdkCli } from './cdk-cli.ts';
import { pollUntil, type SmokeClock } from './smoke-clock.ts';
import { describeStack, tearDownSmoke } from './smoke-teardown.ts';

/** The stages in the order they run; the teardown follows whichever was reached. */
export const SMOKE_STAGES = ['deploy', 'load', 'first-load', 'change', 'arrival', 'alarm', 'query'] as const;
export type SmokeStage = (typeof SMOKE_STAGES)[number];

/** The scale of the demo data the source loader seeds: enough rows in every table, loaded in seconds. */
export const SMOKE_SEED_SCALE = 0.1;

/** Deadlines of the waits: generous next to the one-minute reader and loader schedules. */
export const SMOKE_WAITS = {
  firstLoad: { timeoutMs: 30 * 60_000, intervalMs: 20_000 },
  arrival: { timeoutMs: 20 * 60_000, intervalMs: 10_000 },
  /** CloudWatch records the alarm's SNS action within seconds of the state change. */
  action: { timeoutMs: 5 * 60_000, intervalMs: 10_000 },
  /** SNS publishes its metrics to CloudWatch each minute, visible a few minutes later. */
  published: { timeoutMs: 15 * 60_000, intervalMs: 30_000 },
} as const;

/** What a run calls: the AWS SDK clients and adapters, the CDK CLI, a clock and an abort signal. */
export interface SmokeDependencies {
  readonly names: DeploymentNames;
  readonly cdk: CdkCli;
  readonly cloudFormation: CloudFormationClient;
  readonly lambda: LambdaClient;
  readonly cloudWatch: CloudWatchClient;
  readonly logs: CloudWatchLogsClient;
  readonly s3: S3Client;
  /** The pipeline's Athena QueryEngine in the run's workgroup and Glue database. */
  queryEngine(): QueryEngine;
  /** One `queries/adhoc/` file. */
  readonly adhocQuery: { readonly name: string; readonly sql: string };
  readonly clock: SmokeClock;
  /** Aborts on Ctrl-C: the stage under way stops and the teardown runs. */
  readonly signal: AbortSignal;
  readonly print: (line: string) => void;
}

/** One change and how long after its commit the warehouse showed it. */
export interface SmokeArrival {
  readonly table: SourceTableName;
  /** From the change's commit to the load that made it visible (the warehouse cut's `loaded_at`). */
  readonly commitToWarehouseMs: number;
}

/** What a run did. */
export interface SmokeOutcome {
  /** The stages that finished. */
  readonly completed: readonly SmokeStage[];
  /** The stage that failed or was interrupted, with its error; absent when all passed. */
  readonly failure?: { readonly stage: SmokeStage; readonly error: unknown };
  readonly arrivals: readonly SmokeArrival[];
  /** What the teardown could not delete, with how to; empty when everything is gone. */
  readonly leftovers: readonly string[];
  readonly startedAt: number;
  readonly endedAt: number;
}

/** A stack output the smoke needs is missing, or a Lambda answered with an error. */
export class SmokeStepError extends Error {
  override readonly name = 'SmokeStepError';
}

/** The `-c` arguments of both the deploy and the destroy (the destroy synthesizes the same app). */
export function smokeContext(names: DeploymentNames): string[] {
  return ['demo=true', `prefix=${names.prefix}`, 'smokeProbe=true', 'destroyOnRemoval=true'].flatMap(
    (value) => ['-c', value],
  );
}

interface IngestOutputs {
  readonly sourceLoader: string;
  readonly probe: string;
  readonly alarmName: string;
  readonly topicName: string;
}

/** Output keys are CDK logical ids: the construct path and a hash (`SourceLoaderFunctionName1A2B3C4D`). */
const OUTPUT_KEYS: Record<keyof IngestOutputs, string> = {
  sourceLoader: 'SourceLoaderFunctionName',
  probe: 'SmokeProbeFunctionName',
  alarmName: 'SmokeProbeAlarmName',
  topicName: 'SmokeProbeAlarmTopicName',
};

async function ingestOutputs(deps: SmokeDependencies): Promise<IngestOutputs> {
  const stack = await describeStack(deps.cloudFormation, deps.names.ingestStack);
  const found = (key: string) => stack?.Outputs?.find((o) => o.OutputKey?.startsWith(key))?.OutputValue;
  const outputs = Object.fromEntries(
    Object.entries(OUTPUT_KEYS).map(([field, key]) => {
      const value = found(key);
      if (!value) {
        throw new SmokeStepError(
          `Stack ${deps.names.ingestStack} has no output ${key}…: was it deployed with -c smokeProbe=true?`,
        );
      }
      return [field, value];
    }),
  );
  return outputs as unknown as IngestOutputs;
}

/** Invokes `functionName` with a JSON payload and returns its JSON answer; a function error rejects. */
async function invokeJson<T>(deps: SmokeDependencies, functionName: string, payload: unknown): Promise<T> {
  const answer = await deps.lambda.send(
    new InvokeCommand({
      FunctionName: functionName,
      Payload: new TextEncoder().encode(JSON.stringify(payload)),
    }),
  );
  const text = new TextDecoder().decode(answer.Payload ?? new Uint8Array());
  if (answer.FunctionError) {
    const message = (JSON.parse(text || '{}') as { errorMessage?: string }).errorMessage ?? text;
    throw new SmokeStepError(`Lambda ${functionName} failed: ${message} (its log group has the details).`);
  }
  return JSON.parse(text) as T;
}

const probe = <T>(deps: SmokeDependencies, outputs: IngestOutputs, request: SmokeProbeRequest) =>
  invokeJson<T>(deps, outputs.probe, request);

/** Runs every stage, then the teardown, and reports what happened; never throws for a stage's failure. */
export async function runSmoke(deps: SmokeDependencies): Promise<SmokeOutcome> {
  const { names, clock, signal, print } = deps;
  const startedAt = clock.now();
  const completed: SmokeStage[] = [];
  const arrivals: SmokeArrival[] = [];
  let failure: SmokeOutcome['failure'];
  let stage: SmokeStage = 'deploy';
  let leftovers: string[] = [];
  const begin = (next: SmokeStage, line: string) => {
    signal.throwIfAborted();
    if (next !== 'deploy') completed.push(stage);
    stage = next;
    print(line);
  };
  try {
    begin('deploy', `Deploying ${names.lakeStack} and ${names.ingestStack} (demo, smoke probe)…`);
    await deps.cdk.run(
      ['deploy', names.lakeStack, names.ingestStack, '--require-approval', 'never', ...smokeContext(names)],
      signal,
    );
    const outputs = await ingestOutputs(deps);

    begin('load', `Seeding the demo source (scale ${SMOKE_SEED_SCALE})…`);
    await invokeJson(deps, outputs.sourceLoader, { action: 'seed', scale: SMOKE_SEED_SCALE });

    begin('first-load', 'Waiting for the first warehouse load…');
    await pollUntil(
      async () => {
        const seen = await probe<ProbeInspection>(deps, outputs, { action: 'inspect', changes: [] });
        return seen.cutLoadedAt ?? undefined;
      },
      { what: 'the first warehouse load', ...SMOKE_WAITS.firstLoad, clock, signal },
    );

    begin('change', 'Making one change per source table…');
    const { changes } = await probe<{ changes: ProbeChange[] }>(deps, outputs, {
      action: 'change',
      marker: names.prefix,
    });

    begin('arrival', 'Waiting for every change in the warehouse…');
    const visibleAt = new Map<SourceTableName, number>();
    await pollUntil(
      async () => {
        const seen = await probe<ProbeInspection>(deps, outputs, { action: 'inspect', changes });
        const loadedAt = seen.cutLoadedAt === null ? clock.now() : Date.parse(seen.cutLoadedAt);
        for (const table of seen.visible) if (!visibleAt.has(table)) visibleAt.set(table, loadedAt);
        return visibleAt.size === changes.length ? true : undefined;
      },
      { what: 'every change to reach the warehouse', ...SMOKE_WAITS.arrival, clock, signal },
    );
    for (const change of changes) {
      const arrival = {
        table: change.table,
        commitToWarehouseMs: (visibleAt.get(change.table) ?? 0) - Date.parse(change.committedAt),
      };
      arrivals.push(arrival);
      print(`  ${arrival.table.padEnd(16)} ${(arrival.commitToWarehouseMs / 1000).toFixed(1)} s`);
    }

    begin('alarm', `Setting alarm ${outputs.alarmName} to ALARM…`);
    const setAt = clock.now();
    await deps.cloudWatch.send(
      new SetAlarmStateCommand({
        AlarmName: outputs.alarmName,
        StateValue: 'ALARM',
        StateReason: `npm run aws:smoke (${names.prefix}) checks that the alarm topic accepts a publish`,
      }),
    );
    // The alarm's history says whether its action (the publish to the topic) succeeded or was refused.
    const action = await pollUntil(
      async () => {
        const { AlarmHistoryItems } = await deps.cloudWatch.send(
          new DescribeAlarmHistoryCommand({
            AlarmName: outputs.alarmName,
            HistoryItemType: 'Action',
            StartDate: new Date(setAt - 60_000),
          }),
        );
        return AlarmHistoryItems?.[0]?.HistorySummary;
      },
      { what: `alarm ${outputs.alarmName} to run its action`, ...SMOKE_WAITS.action, clock, signal },
    );
    if (!action.startsWith('Successfully')) {
      throw new SmokeStepError(
        `Alarm ${outputs.alarmName} could not notify topic ${outputs.topicName}: "${action}". Does the ` +
          "topic's policy let cloudwatch.amazonaws.com publish (cdk/lib/constructs/pipeline-monitoring.ts)?",
      );
    }
    print(`  ${action}`);
    // The metric's minute starts at or before the publish: count from the minute the state was set.
    const from = new Date(Math.floor(setAt / 60_000) * 60_000);
    const published = await pollUntil(
      async () => {
        const { Datapoints } = await deps.cloudWatch.send(
          new GetMetricStatisticsCommand({
            Namespace: 'AWS/SNS',
            MetricName: 'NumberOfMessagesPublished',
            Dimensions: [{ Name: 'TopicName', Value: outputs.topicName }],
            StartTime: from,
            EndTime: new Date(clock.now() + 60_000),
            Period: 60,
            Statistics: ['Sum'],
          }),
        );
        const sum = (Datapoints ?? []).reduce((total, point) => total + (point.Sum ?? 0), 0);
        return sum > 0 ? sum : undefined;
      },
      { what: `topic ${outputs.topicName} to publish the alarm`, ...SMOKE_WAITS.published, clock, signal },
    );
    print(`  topic ${outputs.topicName} published ${published} message(s) (NumberOfMessagesPublished)`);

    begin('query', `Running ${deps.adhocQuery.name} on Athena…`);
    const engine = deps.queryEngine();
    try {
      const result = await engine.query(deps.adhocQuery.sql);
      print(`  ${result.rows.length} rows of ${result.columns.join(', ')}`);
    } finally {
      await engine.close();
    }
    completed.push(stage);
  } catch (error) {
    failure = { stage, error };
    print(
      signal.aborted
        ? `Interrupted during ${stage}; cleaning up (this takes minutes, Ctrl-C again does not stop it).`
        : `Stage ${stage} failed: ${describeErrorChain(error)}`,
    );
  } finally {
    // Whatever stage was reached, whatever was created is destroyed.
    leftovers = await tearDownSmoke({ ...deps, context: smokeContext(names) });
  }
  return { completed, failure, arrivals, leftovers, startedAt, endedAt: clock.now() };
}
