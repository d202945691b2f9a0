import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { COLLECTOR_SILENT_HOURS } from '../../cdk/lib/constructs/pipeline-monitoring.ts';
import { FEATURE_FLAGS } from '../../cdk/lib/feature-flags.ts';
import { buildPipeline, type Pipeline } from '../../cdk/lib/pipeline.ts';
import { PipelineSettingsError, readPipelineSettings } from '../../cdk/lib/pipeline-settings.ts';
import { COLLECTOR_RUNS_PER_MONTH } from '../../core/cost/deployment-cost.ts';
import {
  deliveryStreamSpecs,
  marketDeliveryStreamName,
  marketDeliveryStreamSpecs,
} from '../../core/delivery-stream-spec.ts';
import { marketLatestViewSelect } from '../../core/latest-view-sql.ts';
import {
  COLLECTOR_DIMENSION,
  ENV,
  MARKET_API_KEY_FIELD,
  METRIC_NAMESPACE,
  METRICS,
  SERVICE_DIMENSION,
  SERVICES,
} from '../../core/operations.ts';
import { GLUE_DATABASE, PARTITION_COLUMN } from '../../core/schema/lake-tables.ts';
import {
  COLLECTOR_NAMES,
  COLLECTOR_TABLES,
  KEYED_COLLECTOR_NAMES,
  MARKET_LAKE_TABLE_NAMES,
  MARKET_LAKE_TABLES,
  needsApiKey,
} from '../../core/schema/market-lake-tables.ts';

type Resource = { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] };
type Resources = Record<string, Resource>;

const STUB = fileURLToPath(new URL('./fixtures/stub-handler.ts', import.meta.url));
const ENTRIES = {
  reader: STUB,
  transformer: STUB,
  loader: STUB,
  compaction: STUB,
  sourceLoader: STUB,
  collector: STUB,
};
const FRED_SECRET = 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:fred-key-AbCdEf';
const FRED_KEY = 'arn:aws:kms:eu-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
/** Every collector; fred with a secret of the user's own under a customer-managed key. */
const CONTEXT: Record<string, unknown> = {
  demo: true,
  marketCollectors: 'fx,equities,fred,crypto,files',
  fredApiKeySecretArn: FRED_SECRET,
  fredApiKeySecretKeyArn: FRED_KEY,
};

let pipeline: Pipeline;
let lake: Template;
let ingest: Template;

// One synthesis with cdk-nag's AwsSolutions pack: an unacknowledged finding fails every test below.
beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, postCliContext: FEATURE_FLAGS });
  pipeline = buildPipeline(
    app,
    readPipelineSettings((key) => CONTEXT[key]),
    { entries: ENTRIES },
  );
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
  lake = Template.fromStack(pipeline.lake);
  ingest = Template.fromStack(pipeline.ingest);
});

const resourcesOf = (template: Template, type: string) => template.findResources(type) as Resources;
const asList = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

function streamNamed(name: string): Resource {
  const stream = Object.values(resourcesOf(ingest, 'AWS::KinesisFirehose::DeliveryStream')).find(
    (r) => r.Properties?.DeliveryStreamName === name,
  );
  if (!stream) throw new Error(`No delivery stream ${name}`);
  return stream;
}

function glueTableNamed(name: string): { id: string; input: Record<string, unknown> } {
  const match = Object.entries(resourcesOf(lake, 'AWS::Glue::Table')).find(
    ([, r]) => (r.Properties?.TableInput as { Name?: string } | undefined)?.Name === name,
  );
  if (!match) throw new Error(`No Glue table ${name}`);
  return { id: match[0], input: match[1].Properties!.TableInput as Record<string, unknown> };
}

/** A destination's processors, less the RoleArn parameter (each stream has its own role). */
function processing(destination: Record<string, unknown>) {
  const config = destination.ProcessingConfiguration as {
    Processors: { Type: string; Parameters: { ParameterName: string }[] }[];
  };
  return config.Processors.map((p) => ({
    ...p,
    Parameters: p.Parameters.filter((x) => x.ParameterName !== 'RoleArn'),
  }));
}

describe('the market lake tables on AWS', () => {
  it('are Glue tables of Parquet files with exactly the columns of the market schema, dt projected', () => {
    for (const name of MARKET_LAKE_TABLE_NAMES) {
      const { input } = glueTableNamed(name);
      expect(input).toMatchObject({
        TableType: 'EXTERNAL_TABLE',
        PartitionKeys: [{ Name: PARTITION_COLUMN.name, Type: 'date' }],
        Parameters: { 'projection.enabled': 'true', 'projection.dt.type': 'date' },
      });
      const storage = input.StorageDescriptor as { Columns: { Name: string; Type: string }[] };
      expect(storage.Columns.map((c) => [c.Name, c.Type])).toEqual(
        MARKET_LAKE_TABLES[name].columns.map((c) => [c.name, c.type]),
      );
      expect(JSON.stringify(input.Parameters)).toContain(`/${name}/dt=\${dt}/`);
    }
  });

  it('each have a _latest view over the same SELECT the local DuckDB catalog runs', () => {
    for (const name of MARKET_LAKE_TABLE_NAMES) {
      const { input } = glueTableNamed(`${name}_latest`);
      expect(input.TableType).toBe('VIRTUAL_VIEW');
      const encoded = /^\/\* Presto View: (.+) \*\/$/.exec(String(input.ViewOriginalText))?.[1] ?? '';
      const presto = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
      expect(presto.originalSql).toBe(marketLatestViewSelect(name));
      expect(presto.columns.map((c: { name: string }) => c.name)).toEqual([
        ...MARKET_LAKE_TABLES[name].columns.map((c) => c.name),
        'dt',
      ]);
    }
    // No snapshot tables: compaction never snapshots observations.
    for (const name of MARKET_LAKE_TABLE_NAMES) expect(() => glueTableNamed(`${name}_snapshot`)).toThrow();
  });
});

describe('the market delivery streams', () => {
  it('are one per market table, configured exactly like a totesys stream but for their own table', () => {
    const totesys = deliveryStreamSpecs({ runtime: 'aws' })[0]!;
    const reference = streamNamed(totesys.name).Properties!.ExtendedS3DestinationConfiguration as Record<
      string,
      unknown
    >;
    for (const spec of marketDeliveryStreamSpecs({ runtime: 'aws' })) {
      expect(spec.name).toBe(marketDeliveryStreamName(spec.lakeTable));
      const stream = streamNamed(spec.name).Properties!;
      expect(stream.DeliveryStreamType).toBe('DirectPut');
      const destination = stream.ExtendedS3DestinationConfiguration as Record<string, unknown>;
      expect(destination).toMatchObject({
        Prefix: `${spec.lakeTable}/dt=!{partitionKeyFromLambda:dt}/`,
        ErrorOutputPrefix: `errors/${spec.lakeTable}/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/`,
        DynamicPartitioningConfiguration: { Enabled: true, RetryOptions: { DurationInSeconds: 300 } },
        BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 64 },
      });
      // The same transformation Lambda, retries, processor buffering and Parquet conversion.
      expect(processing(destination)).toEqual(processing(reference));
      const conversion = destination.DataFormatConversionConfiguration as Record<string, unknown>;
      const referenceConversion = reference.DataFormatConversionConfiguration as Record<string, unknown>;
      expect(conversion.OutputFormatConfiguration).toEqual(referenceConversion.OutputFormatConfiguration);
      expect(conversion.InputFormatConfiguration).toEqual(referenceConversion.InputFormatConfiguration);
      // The table reference crosses stacks as an export named after the Glue table's logical id.
      const schema = conversion.SchemaConfiguration as { DatabaseName: string; TableName: unknown };
      expect(schema.DatabaseName).toBe(GLUE_DATABASE);
      expect(JSON.stringify(schema.TableName)).toContain(glueTableNamed(spec.lakeTable).id);
    }
  });

  it("give each stream's role its own table's prefixes only", () => {
    for (const table of MARKET_LAKE_TABLE_NAMES) {
      const role = Object.entries(resourcesOf(ingest, 'AWS::IAM::Role')).find(([, r]) =>
        String(r.Properties?.Description).startsWith(`Firehose ${marketDeliveryStreamName(table)}:`),
      )![0];
      const policy = Object.values(resourcesOf(ingest, 'AWS::IAM::Policy')).find((p) =>
        JSON.stringify(p.Properties?.Roles).includes(role),
      );
      const text = JSON.stringify(policy);
      expect(text).toContain(`/${table}/*`);
      expect(text).toContain(`/errors/${table}/*`);
      for (const other of MARKET_LAKE_TABLE_NAMES.filter((t) => t !== table))
        expect(text).not.toContain(`/${other}/`);
    }
  });

  it('are alarmed on freshness, processing and conversion, and never on lake lag (no watermarks)', () => {
    const alarms = Object.values(resourcesOf(ingest, 'AWS::CloudWatch::Alarm'));
    for (const table of MARKET_LAKE_TABLE_NAMES) {
      const name = marketDeliveryStreamName(table);
      const onStream = alarms.filter((a) =>
        asList(a.Properties?.Dimensions as { Name: string; Value: string }[]).some(
          (d) => d?.Name === 'DeliveryStreamName' && d.Value === name,
        ),
      );
      expect(onStream.map((a) => a.Properties?.MetricName).sort()).toEqual([
        'DeliveryToS3.DataFreshness',
        'ExecuteProcessing.Success',
        'FailedConversion.Records',
      ]);
      const lakeLag = alarms.filter((a) =>
        asList(a.Properties?.Dimensions as { Name: string; Value: string }[]).some(
          (d) => d?.Name === 'Table' && d.Value === table,
        ),
      );
      expect(lakeLag).toEqual([]);
    }
  });
});

/** The collector Lambda of `name`, its logical id and its role's policy statements. */
function collector(name: string) {
  const [id, fn] = Object.entries(resourcesOf(ingest, 'AWS::Lambda::Function')).find(([, r]) =>
    String(r.Properties?.Description).startsWith(`totesys-stream ${name} collector`),
  )!;
  const role = (fn.Properties!.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
  const statements = Object.values(resourcesOf(ingest, 'AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties?.Roles).includes(role))
    .flatMap((p) => (p.Properties!.PolicyDocument as { Statement: Statement[] }).Statement);
  return { id, props: fn.Properties!, statements };
}
type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown; Sid?: string };

const streamId = (table: string) =>
  Object.entries(resourcesOf(ingest, 'AWS::KinesisFirehose::DeliveryStream')).find(
    ([, r]) => r.Properties?.DeliveryStreamName === marketDeliveryStreamName(table as never),
  )![0];

/** An alarm on a daily job's count metric: a day of hourly periods with none, missing data breaching. */
const SILENT_FOR_A_DAY = {
  Namespace: METRIC_NAMESPACE,
  Statistic: 'Sum',
  Period: 3600,
  EvaluationPeriods: COLLECTOR_SILENT_HOURS,
  Threshold: 1,
  ComparisonOperator: 'LessThanThreshold',
  TreatMissingData: 'breaching',
};

describe('the collector Lambdas', () => {
  it('are one per configured collector, outside any VPC, told which collector to run and never a key', () => {
    for (const name of COLLECTOR_NAMES) {
      const { props } = collector(name);
      expect(props).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
      expect(props.VpcConfig).toBeUndefined();
      const env = (props.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env[ENV.collectorName]).toBe(name);
      expect(Object.keys(env).filter((k) => /API_KEY$/.test(k))).toEqual([]);
      expect(env[ENV.marketApiKeySecretArn] !== undefined).toBe(needsApiKey(name));
    }
  });

  it('may put to their own tables’ delivery streams only, with PutRecordBatch only', () => {
    for (const name of COLLECTOR_NAMES) {
      const { statements } = collector(name);
      const firehose = statements.filter((s) => asList(s.Action).some((a) => a.startsWith('firehose:')));
      expect(firehose.flatMap((s) => asList(s.Action))).toEqual(['firehose:PutRecordBatch']);
      expect(
        asList(firehose[0]!.Resource)
          .map((r) => JSON.stringify(r))
          .sort(),
      ).toEqual(
        COLLECTOR_TABLES[name].map((t) => JSON.stringify({ 'Fn::GetAtt': [streamId(t), 'Arn'] })).sort(),
      );
    }
    const everything = Object.values(COLLECTOR_TABLES).flat();
    expect(new Set(everything)).toEqual(new Set(MARKET_LAKE_TABLE_NAMES));
  });

  it('read a keyed collector’s key from one secret each, created empty or the user’s, kms:Decrypt only for a customer key', () => {
    const created = Object.entries(resourcesOf(ingest, 'AWS::SecretsManager::Secret'));
    // equities and crypto get a secret of the stack's; fred brings its own.
    expect(created).toHaveLength(2);
    for (const [, secret] of created) {
      expect(secret.Properties?.SecretString).toBe(JSON.stringify({ [MARKET_API_KEY_FIELD]: '' }));
      expect(secret.Properties?.GenerateSecretString).toBeUndefined();
    }
    for (const name of KEYED_COLLECTOR_NAMES) {
      const { props, statements } = collector(name);
      const arn = (props.Environment as { Variables: Record<string, unknown> }).Variables[
        ENV.marketApiKeySecretArn
      ];
      const read = statements.find((s) => asList(s.Action).includes('secretsmanager:GetSecretValue'))!;
      expect(read.Resource).toEqual(arn);
      const decrypt = statements.filter((s) => asList(s.Action).includes('kms:Decrypt'));
      if (name === 'fred') {
        expect(arn).toBe(FRED_SECRET);
        expect(decrypt).toMatchObject([{ Resource: FRED_KEY, Condition: { StringEquals: {} } }]);
      } else {
        expect(created.map(([id]) => id)).toContain((arn as { Ref: string }).Ref);
        expect(decrypt).toEqual([]);
      }
    }
    for (const name of COLLECTOR_NAMES.filter((n) => !needsApiKey(n))) {
      expect(
        collector(name).statements.filter((s) => JSON.stringify(s.Action).includes('secretsmanager')),
      ).toEqual([]);
    }
  });

  it('let files take objects under drop/ only and write refused files under its tables’ files-failed/ only', () => {
    const { statements } = collector('files');
    const s3 = statements.filter((s) => asList(s.Action).some((a) => a.startsWith('s3:')));
    const text = JSON.stringify(s3);
    expect(text).toContain('"s3:prefix":["drop/*"]');
    const objectResources = s3
      .filter((s) => !asList(s.Action).includes('s3:ListBucket'))
      .flatMap((s) => asList(s.Resource))
      .map((r) => JSON.stringify(r).match(/\/([^"]*)"\]\]\}$/)?.[1]);
    expect(objectResources.sort()).toEqual(
      ['drop/*', ...MARKET_LAKE_TABLE_NAMES.map((t) => `errors/${t}/files-failed/*`)].sort(),
    );
    for (const name of COLLECTOR_NAMES.filter((n) => n !== 'files')) {
      expect(collector(name).statements.filter((s) => JSON.stringify(s.Action).includes('s3:'))).toEqual([]);
    }
  });

  it('each run on an EventBridge Scheduler schedule of its own: fx, equities and fred daily, crypto hourly, files every 15 min', () => {
    const expected = {
      fx: 'cron(30 16 * * ? *)',
      equities: 'cron(30 22 * * ? *)',
      fred: 'cron(0 14 * * ? *)',
      crypto: 'rate(1 hour)',
      files: 'rate(15 minutes)',
    };
    const schedules = Object.values(resourcesOf(ingest, 'AWS::Scheduler::Schedule'));
    for (const name of COLLECTOR_NAMES) {
      const mine = schedules.filter(
        (s) =>
          JSON.stringify((s.Properties?.Target as { Arn: unknown } | undefined)?.Arn) ===
          JSON.stringify({ 'Fn::GetAtt': [collector(name).id, 'Arn'] }),
      );
      expect(mine).toHaveLength(1);
      // The cost model's runs a month (core/cost/deployment-cost.ts) follow the same schedule.
      const runs = { 'rate(1 hour)': 720, 'rate(15 minutes)': 2880 }[expected[name] as string] ?? 30;
      expect(COLLECTOR_RUNS_PER_MONTH[name]).toBe(runs);
      expect(mine[0]!.Properties).toMatchObject({
        ScheduleExpression: expected[name],
        ScheduleExpressionTimezone: 'Etc/UTC',
        Target: { RetryPolicy: { MaximumRetryAttempts: 0 } },
      });
    }
  });

  it('each alarm on the alarm topic once the collector has delivered nothing for a day, silence included', () => {
    const topic = Object.keys(resourcesOf(ingest, 'AWS::SNS::Topic'))[0]!;
    const alarms = Object.values(resourcesOf(ingest, 'AWS::CloudWatch::Alarm')).filter(
      (a) => a.Properties?.MetricName === METRICS.collector.runsDelivered,
    );
    expect(alarms).toHaveLength(COLLECTOR_NAMES.length);
    for (const name of COLLECTOR_NAMES) {
      const alarm = alarms.find((a) =>
        ((a.Properties?.Dimensions ?? []) as { Name: string; Value: string }[]).some(
          (d) => d.Name === COLLECTOR_DIMENSION && d.Value === name,
        ),
      );
      expect(alarm?.Properties).toMatchObject({ ...SILENT_FOR_A_DAY, AlarmActions: [{ Ref: topic }] });
      expect(alarm?.Properties?.Dimensions).toContainEqual({
        Name: SERVICE_DIMENSION,
        Value: SERVICES.collector,
      });
      expect(COLLECTOR_SILENT_HOURS * 3600).toBeGreaterThanOrEqual(86_400);
    }
  });
});

/** The Lambda whose description starts with `description`: its logical id, properties and role's statements. */
function functionDescribed(description: string) {
  const [id, fn] = Object.entries(resourcesOf(ingest, 'AWS::Lambda::Function')).find(([, r]) =>
    String(r.Properties?.Description).startsWith(description),
  )!;
  const role = (fn.Properties!.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
  // A role's statements past the inline policy's size limit overflow into managed policies of its own.
  const statements = [
    ...Object.values(resourcesOf(ingest, 'AWS::IAM::Policy')),
    ...Object.values(resourcesOf(ingest, 'AWS::IAM::ManagedPolicy')),
  ]
    .filter((p) => JSON.stringify(p.Properties?.Roles).includes(role))
    .flatMap((p) => (p.Properties!.PolicyDocument as { Statement: Statement[] }).Statement);
  return { id, props: fn.Properties!, statements };
}

/** The Glue table names among `resources` (ARNs as CloudFormation renders them). */
const glueTablesOf = (resources: unknown) =>
  asList(resources)
    .map((r) => JSON.stringify(r).match(/table\/[^/]+\/([a-z_]+)/)?.[1])
    .filter(Boolean)
    .sort();

describe('the loader Lambda’s market step', () => {
  const loader = () => functionDescribed('totesys-stream loader');

  it('may read the market tables’ Glue tables (not their views) and objects for Athena, and never write or delete them', () => {
    const { statements } = loader();
    const catalog = statements.find((s) => s.Sid === 'ReadMarketCatalog')!;
    expect(asList(catalog.Action).sort()).toEqual([
      'glue:GetDatabase',
      'glue:GetPartitions',
      'glue:GetTable',
    ]);
    expect(glueTablesOf(catalog.Resource)).toEqual([...MARKET_LAKE_TABLE_NAMES].sort());
    const reads = statements.find((s) => s.Sid === 'ReadMarketTables')!;
    expect(reads.Action).toBe('s3:GetObject');
    const prefixes = asList(reads.Resource).map(
      (r) => JSON.stringify(r).match(/\/([a-z_]+)\/\*"\]\]\}$/)?.[1],
    );
    expect(prefixes.sort()).toEqual([...MARKET_LAKE_TABLE_NAMES].sort());
    // The digest lists the market prefixes with the bucket-wide ListBucket Athena needs anyway.
    expect(statements.flatMap((s) => asList(s.Action))).toContain('s3:ListBucket');
    for (const statement of statements.filter((s) => s.Sid !== 'ReadMarketTables')) {
      const text = JSON.stringify(statement.Resource);
      for (const table of MARKET_LAKE_TABLE_NAMES) expect(text, statement.Sid).not.toContain(`/${table}/`);
    }
  });

  it('alarms on the alarm topic when a market step fails', () => {
    const topic = Object.keys(resourcesOf(ingest, 'AWS::SNS::Topic'))[0]!;
    const alarm = Object.values(resourcesOf(ingest, 'AWS::CloudWatch::Alarm')).find(
      (a) => a.Properties?.MetricName === METRICS.market.mergesFailed,
    );
    expect(alarm?.Properties).toMatchObject({
      Namespace: METRIC_NAMESPACE,
      Dimensions: [{ Name: SERVICE_DIMENSION, Value: SERVICES.loader }],
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: topic }],
    });
  });
});

describe('the forecast Lambda (with the equities and fred collectors)', () => {
  const forecaster = () => functionDescribed('totesys-stream forecast');

  it('runs in the warehouse network with the loader’s settings, daily after the equities collector', () => {
    const { id, props } = forecaster();
    expect(props.VpcConfig).toBeDefined();
    const env = (props.Environment as { Variables: Record<string, unknown> }).Variables;
    for (const key of [ENV.warehouseSecretArn, ENV.athenaWorkgroup, ENV.glueDatabase, ENV.lakeBucket])
      expect(env[key], key).toBeDefined();
    const schedule = Object.values(resourcesOf(ingest, 'AWS::Scheduler::Schedule')).find(
      (s) =>
        JSON.stringify((s.Properties?.Target as { Arn: unknown } | undefined)?.Arn) ===
        JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] }),
    );
    expect(schedule?.Properties?.ScheduleExpression).toBe('cron(30 23 * * ? *)');
  });

  it('may read the market tables and their _latest views only, write Athena results, and read the warehouse secret', () => {
    const { statements } = forecaster();
    const glue = statements.find((s) => asList(s.Action).includes('glue:GetTable'))!;
    expect(glueTablesOf(glue.Resource)).toEqual(
      MARKET_LAKE_TABLE_NAMES.flatMap((t) => [t, `${t}_latest`]).sort(),
    );
    const reads = statements
      .filter((s) => s.Sid === 'ReadMarketTables')
      .flatMap((s) => asList(s.Resource))
      .map((r) => JSON.stringify(r));
    expect(reads).toHaveLength(MARKET_LAKE_TABLE_NAMES.length);
    for (const table of MARKET_LAKE_TABLE_NAMES)
      expect(reads.some((r) => r.includes(`/${table}/*`))).toBe(true);
    const actions = statements.flatMap((s) => asList(s.Action));
    expect(actions).toContain('secretsmanager:GetSecretValue');
    expect(actions.filter((a) => a.startsWith('firehose:') || a === 's3:DeleteObject')).toEqual([]);
  });
});

describe('the marketCollectors setting', () => {
  const settings = (context: Record<string, unknown>) =>
    readPipelineSettings((key) => ({ demo: true, ...context })[key]).marketCollectors;

  it('deploys fx alone by default (no key needed), none with "none", and refuses an unknown collector', () => {
    expect(settings({})).toEqual([{ name: 'fx' }]);
    expect(settings({ marketCollectors: 'none' })).toEqual([]);
    expect(() => settings({ marketCollectors: 'fx,gold' })).toThrow(PipelineSettingsError);
  });

  it('takes a customer key only with a secret of the user’s own, and only a complete secret ARN', () => {
    expect(() => settings({ marketCollectors: 'fred', fredApiKeySecretKeyArn: FRED_KEY })).toThrow(
      /fredApiKeySecretArn/,
    );
    expect(() => settings({ marketCollectors: 'crypto', cryptoApiKeySecretArn: 'crypto-key' })).toThrow(
      /complete Secrets Manager ARN/,
    );
  });
});

describe('the forecast Lambda’s alarms', () => {
  const alarms = () => Object.values(resourcesOf(ingest, 'AWS::CloudWatch::Alarm'));
  const topic = () => Object.keys(resourcesOf(ingest, 'AWS::SNS::Topic'))[0]!;
  const forecastId = () =>
    Object.entries(resourcesOf(ingest, 'AWS::Lambda::Function')).find(([, r]) =>
      String(r.Properties?.Description).startsWith('totesys-stream forecast'),
    )![0];

  it('alarm on any error of the function', () => {
    const errors = alarms().filter(
      (a) =>
        a.Properties?.MetricName === 'Errors' &&
        JSON.stringify(a.Properties?.Dimensions) ===
          JSON.stringify([{ Name: 'FunctionName', Value: { Ref: forecastId() } }]),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]!.Properties).toMatchObject({
      Namespace: 'AWS/Lambda',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: topic() }],
    });
  });

  it('alarm once no prediction was written for a day, silence included', () => {
    const silent = alarms().filter((a) => a.Properties?.MetricName === METRICS.runs.forecastCompleted);
    expect(silent).toHaveLength(1);
    expect(silent[0]!.Properties).toMatchObject({
      ...SILENT_FOR_A_DAY,
      Dimensions: [{ Name: SERVICE_DIMENSION, Value: SERVICES.forecast }],
      AlarmActions: [{ Ref: topic() }],
    });
  });
});
