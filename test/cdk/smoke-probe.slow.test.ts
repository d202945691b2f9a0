import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_FLAGS } from '../../cdk/lib/feature-flags.ts';
import { buildPipeline } from '../../cdk/lib/pipeline.ts';
import { PipelineSettingsError, readPipelineSettings } from '../../cdk/lib/pipeline-settings.ts';
import { ENV } from '../../core/operations.ts';

const STUB = fileURLToPath(new URL('./fixtures/stub-handler.ts', import.meta.url));
const ENTRIES = { reader: STUB, transformer: STUB, loader: STUB, sourceLoader: STUB, smokeProbe: STUB };

type Resource = { Type: string; Properties: Record<string, unknown> };

/** The ingest stack's template, synthesized with cdk-nag (a finding without a reason fails the synthesis). */
function ingestTemplate(context: Record<string, unknown>): Template {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, postCliContext: FEATURE_FLAGS });
  const pipeline = buildPipeline(
    app,
    readPipelineSettings((key) => context[key]),
    { entries: ENTRIES },
  );
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
  return Template.fromStack(pipeline.ingest);
}

let smoke: Template;
let plain: Template;

beforeAll(() => {
  smoke = ingestTemplate({ demo: true, prefix: 'smoke-0a1b2c3d', smokeProbe: true });
  plain = ingestTemplate({ demo: true });
});

const probeOf = (template: Template) =>
  Object.entries(template.findResources('AWS::Lambda::Function') as Record<string, Resource>).find(([, r]) =>
    String(r.Properties.Description).includes('smoke probe'),
  );

describe('the smoke probe (npm run aws:smoke)', () => {
  it('runs in the VPC beside the reader and loader, with the demo source’s and warehouse’s secrets only', () => {
    const found = probeOf(smoke);
    if (!found) throw new Error('the smoke synthesis has no smoke probe function');
    const [, probe] = found;
    expect(probe.Properties.VpcConfig).toMatchObject({
      SubnetIds: expect.any(Array),
      SecurityGroupIds: expect.any(Array),
    });
    const variables = (probe.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(Object.keys(variables)).toEqual(
      expect.arrayContaining([ENV.sourceSecretArn, ENV.warehouseSecretArn, ENV.metricNamespace]),
    );
    expect(variables[ENV.metricNamespace]).toBe('smoke-0a1b2c3d-TotesysStream');
    // Its role may read exactly the two demo secrets.
    const role = (probe.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    const reads = Object.values(smoke.findResources('AWS::IAM::Policy') as Record<string, Resource>)
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(String(role)))
      .flatMap(
        (p) =>
          (p.Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] }).Statement,
      )
      .filter((s) => JSON.stringify(s.Action).includes('secretsmanager:GetSecretValue'))
      .flatMap((s) => [s.Resource].flat());
    expect(reads).toEqual([variables[ENV.sourceSecretArn], variables[ENV.warehouseSecretArn]]);
  });

  it('names its function, the alarm the smoke sets and that alarm’s topic as stack outputs', () => {
    const outputs = smoke.findOutputs('*') as Record<string, { Value: unknown }>;
    const value = (prefix: string) =>
      Object.entries(outputs).find(([key]) => key.startsWith(prefix))?.[1].Value as Record<string, unknown[]>;
    const [probeId] = probeOf(smoke) ?? [];
    expect(value('SmokeProbeFunctionName')).toEqual({ Ref: probeId });
    const alarmId = Object.keys(smoke.findResources('AWS::CloudWatch::Alarm')).find((key) =>
      key.startsWith('MonitoringReaderSlotLag'),
    );
    expect(value('SmokeProbeAlarmName')).toEqual({ Ref: alarmId });
    const [topicId] = Object.keys(smoke.findResources('AWS::SNS::Topic'));
    expect(value('SmokeProbeAlarmTopicName')).toEqual({ 'Fn::GetAtt': [topicId, 'TopicName'] });
  });

  it('is not in a deployment that did not ask for it', () => {
    expect(probeOf(plain)).toBeUndefined();
    expect(Object.keys(plain.findOutputs('*')).filter((key) => key.startsWith('SmokeProbe'))).toEqual([]);
  });

  it('refuses smokeProbe without the demo, whose databases it changes', () => {
    expect(() => readPipelineSettings((key) => ({ demo: false, smokeProbe: true })[key])).toThrow(
      new PipelineSettingsError(
        'Context "smokeProbe" needs -c demo=true: the probe changes the demo source (npm run aws:smoke).',
      ),
    );
  });
});
