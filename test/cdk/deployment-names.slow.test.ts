import { fileURLToPath } from 'node:url';
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_FLAGS } from '../../cdk/lib/feature-flags.ts';
import { buildPipeline, type Pipeline } from '../../cdk/lib/pipeline.ts';
import { PipelineSettingsError, readPipelineSettings } from '../../cdk/lib/pipeline-settings.ts';
import { DeploymentPrefixError, deploymentNames } from '../../core/deployment-names.ts';
import { ENV } from '../../core/operations.ts';
import { MARKET_LAKE_TABLE_NAMES } from '../../core/schema/market-lake-tables.ts';
import { SOURCE_TABLE_NAMES } from '../../core/schema/source-tables.ts';

const STUB = fileURLToPath(new URL('./fixtures/stub-handler.ts', import.meta.url));
const ENTRIES = { reader: STUB, transformer: STUB, loader: STUB, compaction: STUB, sourceLoader: STUB };
const PREFIX = 'smoke-0a1b2c3d';

/** The names that must be unique in an account and region, where each lives in the templates. */
interface AccountWideNames {
  readonly stacks: string[];
  readonly buckets: string[];
  readonly workgroups: string[];
  readonly glueDatabases: string[];
  readonly dashboards: string[];
  readonly deliveryStreams: string[];
  /** Custom metric namespaces the alarms read (AWS/ namespaces are the services'). */
  readonly metricNamespaces: string[];
  /** POWERTOOLS_METRICS_NAMESPACE of every function. */
  readonly functionNamespaces: string[];
}

function synthesize(context: Record<string, unknown>): Pipeline {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, postCliContext: FEATURE_FLAGS });
  const pipeline = buildPipeline(
    app,
    readPipelineSettings((key) => ({ demo: true, ...context })[key]),
    { entries: ENTRIES },
  );
  app.synth();
  return pipeline;
}

function propertiesOf(stacks: readonly Stack[], type: string): Record<string, unknown>[] {
  return stacks.flatMap((stack) =>
    Object.values(Template.fromStack(stack).findResources(type)).map(
      (r) => (r as { Properties: Record<string, unknown> }).Properties,
    ),
  );
}

/** Literal or `Fn::Join` names as comparable text. */
const text = (value: unknown): string =>
  typeof value === 'string' || value === undefined ? String(value) : JSON.stringify(value);

/**
 * The namespaces an alarm reads: its own metric's, or, for a metric-math alarm (one that sums the loader's and
 * the compactor's counts), each metric its expression reads.
 */
function alarmNamespaces(alarm: Record<string, unknown>): string[] {
  if (alarm.Namespace !== undefined) return [text(alarm.Namespace)];
  const metrics = (alarm.Metrics ?? []) as { MetricStat?: { Metric: { Namespace: unknown } } }[];
  return metrics.flatMap((m) => (m.MetricStat ? [text(m.MetricStat.Metric.Namespace)] : []));
}

function accountWideNames(pipeline: Pipeline): AccountWideNames {
  const stacks = [pipeline.lake, pipeline.ingest];
  const of = (type: string, pick: (p: Record<string, unknown>) => unknown) =>
    propertiesOf(stacks, type).map((p) => text(pick(p)));
  return {
    stacks: stacks.map((s) => s.stackName),
    buckets: of('AWS::S3::Bucket', (p) => p.BucketName).filter((n) => n !== 'undefined'),
    workgroups: of('AWS::Athena::WorkGroup', (p) => p.Name),
    glueDatabases: of('AWS::Glue::Database', (p) => (p.DatabaseInput as { Name: string }).Name),
    dashboards: of('AWS::CloudWatch::Dashboard', (p) => p.DashboardName),
    deliveryStreams: of('AWS::KinesisFirehose::DeliveryStream', (p) => p.DeliveryStreamName).sort(),
    metricNamespaces: [
      ...new Set(
        propertiesOf(stacks, 'AWS::CloudWatch::Alarm')
          .flatMap(alarmNamespaces)
          .filter((n) => !n.startsWith('AWS/')),
      ),
    ],
    functionNamespaces: [
      ...new Set(
        of(
          'AWS::Lambda::Function',
          (p) => (p.Environment as { Variables: Record<string, string> }).Variables[ENV.metricNamespace],
        ),
      ),
    ],
  };
}

let defaults: AccountWideNames;
let prefixed: AccountWideNames;

beforeAll(() => {
  defaults = accountWideNames(synthesize({}));
  prefixed = accountWideNames(synthesize({ prefix: PREFIX }));
});

describe('deployment names', () => {
  it('keeps the default deployment’s names exactly as they were, so an existing deployment is not replaced', () => {
    expect(defaults).toEqual({
      stacks: ['TotesysLake', 'TotesysIngest'],
      buckets: [
        JSON.stringify({
          'Fn::Join': ['', ['totesys-lake-', { Ref: 'AWS::AccountId' }, '-', { Ref: 'AWS::Region' }]],
        }),
      ],
      workgroups: ['totesys'],
      glueDatabases: ['totesys_lake'],
      dashboards: ['totesys-stream'],
      // The market streams came later, beside the source tables' ones, whose names stay as they were.
      deliveryStreams: [...SOURCE_TABLE_NAMES, ...MARKET_LAKE_TABLE_NAMES].map((t) => `totesys-${t}`).sort(),
      metricNamespaces: ['TotesysStream'],
      functionNamespaces: ['TotesysStream'],
    } satisfies AccountWideNames);
  });

  it('gives a prefixed deployment no account-wide name in common with the default one', () => {
    for (const key of Object.keys(defaults) as (keyof AccountWideNames)[]) {
      expect(prefixed[key].length, key).toBe(defaults[key].length);
      expect(
        prefixed[key].filter((name) => defaults[key].includes(name)),
        key,
      ).toEqual([]);
    }
    expect(prefixed.stacks).toEqual([`${PREFIX}-TotesysLake`, `${PREFIX}-TotesysIngest`]);
    expect(prefixed.glueDatabases).toEqual(['smoke_0a1b2c3d_totesys_lake']);
    expect(prefixed.functionNamespaces).toEqual(prefixed.metricNamespaces);
  });

  it('refuses a prefix S3 or CloudFormation would reject, saying what is allowed', () => {
    for (const bad of ['Smoke', 'smoke_1', '-smoke', 'smoke-', 'a', 'a-very-long-prefix-of-21']) {
      expect(() => deploymentNames(bad), bad).toThrow(DeploymentPrefixError);
      expect(() => readPipelineSettings((key) => ({ demo: true, prefix: bad })[key]), bad).toThrow(
        PipelineSettingsError,
      );
    }
    expect(() => deploymentNames('smoke_1')).toThrow(/lowercase letters, digits and inner hyphens/);
  });

  it('keeps the longest bucket name within S3’s 63 characters', () => {
    const longest = deploymentNames('a'.repeat(20)).lakeBucket('123456789012', 'ap-southeast-5');
    expect(longest.length).toBeLessThanOrEqual(63);
  });
});
