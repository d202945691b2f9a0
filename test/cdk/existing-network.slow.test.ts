import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_FLAGS } from '../../cdk/lib/feature-flags.ts';
import { buildPipeline } from '../../cdk/lib/pipeline.ts';
import { PipelineSettingsError, readPipelineSettings } from '../../cdk/lib/pipeline-settings.ts';
import { ENV } from '../../core/operations.ts';

const STUB = fileURLToPath(new URL('./fixtures/stub-handler.ts', import.meta.url));
const SOURCE_SECRET = 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:totesys-source-AbCdEf';
const WAREHOUSE_SECRET = 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:totesys-warehouse-AbCdEf';
const EXISTING: Record<string, unknown> = {
  demo: 'false',
  vpcId: 'vpc-0123456789abcdef0',
  subnetIds: 'subnet-0a1b2c3d4e5f60718, subnet-0f1e2d3c4b5a60718',
  securityGroupId: 'sg-0123456789abcdef0',
  sourceSecretArn: SOURCE_SECRET,
  warehouseSecretArn: WAREHOUSE_SECRET,
  vpcEndpoints: 'false',
  bufferingIntervalSeconds: '120',
  bufferingSizeMiB: 128,
  loaderRateMinutes: '5',
};

describe('readPipelineSettings', () => {
  const read = (context: Record<string, unknown>) => readPipelineSettings((key) => context[key]);

  it('reads -c strings into typed settings with the AWS minimum buffering by default', () => {
    const settings = read(EXISTING);
    expect(settings.demo).toBe(false);
    expect(settings.network?.subnetIds).toEqual(['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a60718']);
    expect(settings.network?.routeTableIds).toEqual([]);
    expect(settings.vpcEndpoints).toBe(false);
    expect(settings.bufferingIntervalSeconds).toBe(120);
    expect(read({ demo: true }).bufferingIntervalSeconds).toBe(60);
    expect(read({ demo: true }).bufferingSizeMiB).toBe(64);
    expect(read({ demo: true }).destroyOnRemoval).toBe(false);
  });

  it('names the missing key and shows an example when bringing your own source', () => {
    expect(() => read({ ...EXISTING, sourceSecretArn: undefined })).toThrow(
      /Context "sourceSecretArn" is required when demo=false \(e\.g\. -c sourceSecretArn=arn:aws:secretsmanager/,
    );
    expect(() => read({})).toThrow(PipelineSettingsError);
  });

  it('refuses buffering hints Firehose would reject with dynamic partitioning and Parquet conversion', () => {
    expect(() => read({ demo: true, bufferingIntervalSeconds: 30 })).toThrow(/from 60 to 900, got 30/);
    expect(() => read({ demo: true, bufferingSizeMiB: 5 })).toThrow(/from 64 to 128, got 5/);
  });

  it('refuses a flag that is neither true nor false and an alarm address that is not an email', () => {
    expect(() => read({ demo: 'yes' })).toThrow(/"demo" must be true or false/);
    expect(() => read({ demo: true, alarmEmail: 'oncall' })).toThrow(/not an email address/);
  });
});

describe('an ingest stack on an existing VPC and databases', () => {
  let ingest: Template;
  let lake: Template;

  beforeAll(() => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, postCliContext: FEATURE_FLAGS });
    const pipeline = buildPipeline(
      app,
      readPipelineSettings((key) => EXISTING[key]),
      {
        entries: { reader: STUB, transformer: STUB, loader: STUB, compaction: STUB },
      },
    );
    ingest = Template.fromStack(pipeline.ingest);
    lake = Template.fromStack(pipeline.lake);
  });

  it('creates no database, VPC or security group of its own', () => {
    lake.resourceCountIs('AWS::RDS::DBInstance', 0);
    lake.resourceCountIs('AWS::EC2::VPC', 0);
    ingest.resourceCountIs('AWS::EC2::SecurityGroup', 0);
    ingest.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  it("runs the reader and the loader in the user's subnets and security group", () => {
    for (const description of ['CDC reader', 'loader']) {
      ingest.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp(description),
        VpcConfig: {
          SubnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a60718'],
          SecurityGroupIds: ['sg-0123456789abcdef0'],
        },
      });
    }
  });

  it('passes the secret ARNs and grants reading only those secrets', () => {
    ingest.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [ENV.sourceSecretArn]: SOURCE_SECRET }) },
    });
    ingest.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [ENV.warehouseSecretArn]: WAREHOUSE_SECRET }) },
    });
    for (const arn of [SOURCE_SECRET, WAREHOUSE_SECRET]) {
      ingest.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Action: Match.arrayWith(['secretsmanager:GetSecretValue']), Resource: arn }),
          ]),
        },
      });
    }
  });

  it('adds no VPC endpoints when told the VPC already reaches AWS, and uses the given buffering and rate', () => {
    ingest.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    ingest.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({
        BufferingHints: { IntervalInSeconds: 120, SizeInMBs: 128 },
      }),
    });
    // The loader's schedule (the compactor's delete pass runs every 5 minutes whatever the rate).
    const [loader] = Object.keys(
      ingest.findResources('AWS::Lambda::Function', {
        Properties: { Description: Match.stringLikeRegexp('totesys-stream loader') },
      }),
    );
    ingest.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(5 minutes)',
      Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [loader, 'Arn'] } }),
    });
    // Freshness alarms follow the buffering interval: two intervals plus five minutes.
    ingest.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'DeliveryToS3.DataFreshness',
      Threshold: 540,
    });
  });

  it('skips the RDS alarms when the source instance identifier is not given', () => {
    expect(
      Object.keys(ingest.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: 'AWS/RDS' } })),
    ).toEqual([]);
  });
});
