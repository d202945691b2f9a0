import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_FLAGS } from '../../cdk/lib/feature-flags.ts';
import { buildPipeline, type Pipeline } from '../../cdk/lib/pipeline.ts';
import { readPipelineSettings } from '../../cdk/lib/pipeline-settings.ts';
import {
  DESTINATION_BUFFERING,
  DYNAMIC_PARTITIONING_RETRY_SECONDS,
  PROCESSOR_BUFFERING,
} from '../../core/delivery-stream-spec.ts';
import { ENV, METRICS, SERVICE_DIMENSION, SERVICES } from '../../core/operations.ts';
import type { ObjectStore } from '../../core/ports/object-store.ts';
import { MARKET_LAKE_TABLE_NAMES } from '../../core/schema/market-lake-tables.ts';
import { marketDeliveryStreams, totesysDeliveryStreams } from '../../firehose/stream-config.ts';

// What AWS does with these templates that cdk-nag and cfn-lint cannot see (issue: "the AWS deployment works
// the first time"): who may publish to the alarm topic, quotas, retired engine versions, names that survive
// a destroy, keys that guard a secret.

type Resource = { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string };
const STUB = fileURLToPath(new URL('./fixtures/stub-handler.ts', import.meta.url));
const KEY = 'arn:aws:kms:eu-west-2:111122223333:key/0a1b2c3d-1111-2222-3333-444455556666';

function synth(context: Record<string, unknown>): { pipeline: Pipeline; app: App } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, postCliContext: FEATURE_FLAGS });
  const pipeline = buildPipeline(
    app,
    readPipelineSettings((key) => context[key]),
    { entries: { reader: STUB, transformer: STUB, loader: STUB, compaction: STUB } },
  );
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
  return { pipeline, app };
}

let demo: { pipeline: Pipeline; app: App };
let own: { pipeline: Pipeline; app: App };
let demoLake: Template;
let demoIngest: Template;
let ownIngest: Template;

beforeAll(() => {
  demo = synth({ demo: true, alarmEmail: 'oncall@example.com' });
  own = synth({
    demo: false,
    vpcId: 'vpc-0123456789abcdef0',
    subnetIds: 'subnet-0aaa,subnet-0bbb',
    securityGroupId: 'sg-0123456789abcdef0',
    sourceSecretArn: 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:src-AbCdEf',
    warehouseSecretArn: 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:wh-AbCdEf',
    sourceSecretKeyArn: KEY,
    warehouseSecretKeyArn: KEY,
    reservedConcurrency: 'true',
  });
  demoLake = Template.fromStack(demo.pipeline.lake);
  demoIngest = Template.fromStack(demo.pipeline.ingest);
  ownIngest = Template.fromStack(own.pipeline.ingest);
});

function isJoin(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'Fn::Join' in value;
}

function alarms(template: Template): Resource[] {
  return Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Resource[];
}

describe('the alarm topic', () => {
  it('lets CloudWatch alarms of this account publish, and still refuses any publish without TLS', () => {
    demoIngest.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':cloudwatch:'), ':alarm:*'])],
                },
              },
            },
          }),
        ]),
      },
    });
  });
});

describe('concurrency', () => {
  it('reserves no concurrency by default, so accounts with a quota of 10 or 50 can deploy', () => {
    for (const fn of Object.values(demoIngest.findResources('AWS::Lambda::Function')) as Resource[]) {
      expect(fn.Properties?.['ReservedConcurrentExecutions']).toBeUndefined();
    }
  });

  it('reserves one execution for the reader and the loader when asked to', () => {
    const reserved = (Object.values(ownIngest.findResources('AWS::Lambda::Function')) as Resource[]).filter(
      (fn) => fn.Properties?.['ReservedConcurrentExecutions'] === 1,
    );
    expect(
      reserved.map((fn) => String(fn.Properties?.['Description']).match(/reader|loader/)?.[0]).sort(),
    ).toEqual(['loader', 'reader']);
  });

  it('lets the loader hold its lease under state/leases/ and ask for re-reads under state/reader/resnapshot-requests/, nothing else of state/', () => {
    demoIngest.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'HoldLease',
            Action: ['s3:GetObject', 's3:PutObject'],
            Resource: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('/state/leases/\\*$')])] },
          }),
          Match.objectLike({
            Sid: 'RequestRereads',
            Action: 's3:PutObject',
            Resource: {
              'Fn::Join': [
                '',
                Match.arrayWith([Match.stringLikeRegexp('/state/reader/resnapshot-requests/\\*$')]),
              ],
            },
          }),
        ]),
      },
    });
  });
});

describe('the compactor', () => {
  it('may rewrite the market tables as the CDC ones, and quarantine what it cannot read (puts only)', () => {
    const prefixArn = (pattern: string) => ({
      'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(pattern)])],
    });
    for (const table of MARKET_LAKE_TABLE_NAMES) {
      demoIngest.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Sid: 'RewriteLake',
              Resource: Match.arrayWith([prefixArn(`/${table}/\\*$`)]),
            }),
          ]),
        },
      });
    }
    demoIngest.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'QuarantineUnreadableObjects',
            Action: 's3:PutObject',
            Resource: [prefixArn('/quarantine/\\*$'), prefixArn('/state/reader/resnapshot-requests/\\*$')],
          }),
        ]),
      },
    });
  });
});

describe('alarms on-call acts on', () => {
  it('no longer alarm on throttled reader or loader ticks, the normal case of a run outlasting a minute', () => {
    const throttles = alarms(demoIngest).filter((a) => a.Properties?.['MetricName'] === 'Throttles');
    expect(throttles).toHaveLength(1);
    expect(JSON.stringify(throttles[0])).toMatch(/Transformer/);
  });

  it('alarm when no reader or loader run finished, counting missing data as breaching', () => {
    for (const [metric, service] of [
      [METRICS.runs.readerCompleted, SERVICES.reader],
      [METRICS.runs.loaderCompleted, SERVICES.loader],
    ] as const) {
      demoIngest.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: metric,
        Dimensions: [{ Name: SERVICE_DIMENSION, Value: service }],
        Statistic: 'Sum',
        Period: 900,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
      });
    }
  });

  it('alarm on dropped scheduled ticks only without reserved concurrency (with it, dropping is by design)', () => {
    const dropped = (template: Template) =>
      alarms(template).filter((a) => a.Properties?.['MetricName'] === 'AsyncEventsDropped');
    expect(dropped(demoIngest)).toHaveLength(2);
    expect(dropped(ownIngest)).toHaveLength(0);
  });
});

describe('the demo databases', () => {
  it('pin the PostgreSQL major version only (RDS retires minors) and use gp3 storage', () => {
    const instances = Object.values(demoLake.findResources('AWS::RDS::DBInstance')) as Resource[];
    expect(instances).toHaveLength(2);
    for (const instance of instances) {
      expect(instance.Properties).toMatchObject({
        Engine: 'postgres',
        EngineVersion: '17',
        StorageType: 'gp3',
      });
    }
  });
});

describe('a redeploy after cdk destroy', () => {
  it('names no secret, since a deleted secret keeps its name for up to 30 days', () => {
    for (const secret of Object.values(demoLake.findResources('AWS::SecretsManager::Secret')) as Resource[]) {
      expect(secret.Properties?.['Name']).toBeUndefined();
    }
  });

  it('retains only named resources CloudFormation can import, so `cdk deploy --import-existing-resources` adopts them', () => {
    // Resource types whose import CloudFormation supports by their name (bucket name, workgroup name).
    const importable = new Set(['AWS::S3::Bucket', 'AWS::Athena::WorkGroup', 'AWS::Logs::LogGroup']);
    for (const template of [demoLake, demoIngest]) {
      const named = Object.values(template.toJSON().Resources as Record<string, Resource>).filter(
        (r) =>
          r.DeletionPolicy === 'Retain' &&
          ['BucketName', 'Name', 'LogGroupName', 'DBInstanceIdentifier'].some(
            (key) => typeof r.Properties?.[key] === 'string' || isJoin(r.Properties?.[key]),
          ),
      );
      expect(named.map((r) => r.Type).filter((type) => !importable.has(type))).toEqual([]);
    }
  });
});

describe('secrets under a customer-managed KMS key', () => {
  it('grant kms:Decrypt on that key through Secrets Manager only, to the reader, the loader and the compactor', () => {
    const decrypts = (Object.values(ownIngest.findResources('AWS::IAM::Policy')) as Resource[]).flatMap((p) =>
      (
        (p.Properties?.['PolicyDocument'] as { Statement?: Record<string, unknown>[] } | undefined)
          ?.Statement ?? []
      ).filter((s) => s['Action'] === 'kms:Decrypt'),
    );
    expect(decrypts).toHaveLength(3);
    for (const statement of decrypts) {
      expect(statement).toMatchObject({
        Resource: KEY,
        Condition: { StringEquals: { 'kms:ViaService': expect.anything() } },
      });
    }
    expect(JSON.stringify(demoIngest.toJSON())).not.toContain('kms:Decrypt');
  });
});

describe('cdk-nag acknowledgments', () => {
  function reasons(root: IConstruct): [string, string][] {
    return root.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
  }

  it('acknowledge no managed-policy finding for the demo, whose only role (flow logs) has none', () => {
    const demoAcks = reasons(demo.pipeline.lake.demo!).map(([id]) => id);
    expect(demoAcks.filter((id) => id.includes('IAM4'))).toEqual([]);
    const roles = Object.values(demoLake.findResources('AWS::IAM::Role')) as Resource[];
    expect(roles.filter((role) => role.Properties?.['ManagedPolicyArns'] !== undefined)).toEqual([]);
  });

  it('say why Node 22 is pinned without claiming Node 24 is unsupported (package.json engines allows it)', () => {
    const l1 = reasons(demo.app).filter(([id]) => id.endsWith('AwsSolutions-L1'));
    expect(l1.length).toBeGreaterThan(0);
    for (const [, reason] of l1) expect(reason).not.toMatch(/not 24/);
  });
});

describe('one spec for the local Firehose and the deployed streams', () => {
  it('gives each deployed stream the name, prefixes, partitioning and retries the local Firehose uses', () => {
    // Prepare: the local configuration, as `up` builds it (the totesys streams and the market ones).
    const options = {
      store: {} as ObjectStore,
      bucket: 'totesys-lake',
      transform: async () => ({ records: [] }),
    };
    const local = [...totesysDeliveryStreams(options), ...marketDeliveryStreams(options)];
    const deployed = Object.values(
      demoIngest.findResources('AWS::KinesisFirehose::DeliveryStream'),
    ) as Resource[];

    // Assess: the same 14 names, and for each the same destination settings; only buffering differs, and
    // each side's buffering is its runtime's entry of the spec.
    expect(deployed.map((r) => r.Properties?.['DeliveryStreamName']).sort()).toEqual(
      local.map((s) => s.name).sort(),
    );
    for (const stream of local) {
      const resource = deployed.find((r) => r.Properties?.['DeliveryStreamName'] === stream.name)!;
      const destination = resource.Properties?.['ExtendedS3DestinationConfiguration'] as Record<
        string,
        unknown
      >;
      const processor = (
        destination['ProcessingConfiguration'] as {
          Processors: { Parameters: { ParameterName: string; ParameterValue: unknown }[] }[];
        }
      ).Processors[0]!;
      const parameter = (name: string) =>
        processor.Parameters.find((p) => p.ParameterName === name)?.ParameterValue;

      expect(destination['Prefix']).toBe(stream.prefix);
      expect(destination['ErrorOutputPrefix']).toBe(stream.errorOutputPrefix);
      expect(destination['DynamicPartitioningConfiguration']).toEqual({
        Enabled: stream.dynamicPartitioning,
        RetryOptions: { DurationInSeconds: DYNAMIC_PARTITIONING_RETRY_SECONDS },
      });
      expect(parameter('NumberOfRetries')).toBe(String(stream.numberOfRetries));
      expect(parameter('BufferSizeInMBs')).toBe(String(PROCESSOR_BUFFERING.aws.sizeInMBs));
      expect(parameter('BufferIntervalInSeconds')).toBe(String(PROCESSOR_BUFFERING.aws.intervalInSeconds));
      expect(destination['BufferingHints']).toEqual({
        SizeInMBs: DESTINATION_BUFFERING.aws.sizeInMBs,
        IntervalInSeconds: DESTINATION_BUFFERING.aws.intervalInSeconds,
      });
      expect(stream.processorBuffering).toEqual(PROCESSOR_BUFFERING.local);
      expect(stream.bufferingHints).toEqual(DESTINATION_BUFFERING.local);
    }
  });
});

describe('a way to load the demo source', () => {
  it('deploys a source loader in the VPC that may read dumps under imports/ only, and names it as an output', () => {
    demoIngest.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('source loader'),
      Timeout: 900,
      VpcConfig: Match.anyValue(),
      Environment: { Variables: Match.objectLike({ [ENV.sourceSecretArn]: Match.anyValue() }) },
    });
    demoIngest.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'ReadDumps',
            Action: 's3:GetObject',
            Resource: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('/imports/\\*$')])] },
          }),
        ]),
      },
    });
    expect(Object.keys(demoIngest.findOutputs('*')).some((id) => id.includes('SourceLoader'))).toBe(true);
    expect(JSON.stringify(ownIngest.toJSON())).not.toMatch(/source loader/);
  });
});
