import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_FLAGS } from '../../cdk/lib/feature-flags.ts';
import { buildPipeline } from '../../cdk/lib/pipeline.ts';
import { readPipelineSettings } from '../../cdk/lib/pipeline-settings.ts';
import { DEMO_DEPLOYMENT, type DeploymentShape } from '../../core/cost/deployment-cost.ts';

const STUB = fileURLToPath(new URL('./fixtures/stub-handler.ts', import.meta.url));
const ENTRIES = { reader: STUB, transformer: STUB, loader: STUB, sourceLoader: STUB };

type Resource = { Properties: Record<string, unknown> };

/** What the synthesized demo deployment holds that the cost model bills by the hour or the month. */
function shapeOf(templates: readonly Template[]): DeploymentShape {
  const all = (type: string) =>
    templates.flatMap((t) => Object.values(t.findResources(type) as Record<string, Resource>));
  const interfaces = all('AWS::EC2::VPCEndpoint').filter((e) => e.Properties.VpcEndpointType === 'Interface');
  const zones = new Set(interfaces.map((e) => (e.Properties.SubnetIds as unknown[]).length));
  const databases = all('AWS::RDS::DBInstance');
  const storage = new Set(databases.map((d) => Number(d.Properties.AllocatedStorage)));
  expect(zones.size, 'every interface endpoint spans the same AZs').toBe(1);
  expect(storage.size, 'both demo instances have the same storage').toBe(1);
  expect(new Set(databases.map((d) => d.Properties.DBInstanceClass))).toEqual(new Set(['db.t4g.micro']));
  expect(new Set(databases.map((d) => d.Properties.StorageType))).toEqual(new Set(['gp3']));
  return {
    interfaceEndpoints: interfaces.length,
    availabilityZones: [...zones][0] ?? 0,
    natGateways: all('AWS::EC2::NatGateway').length,
    alarms: all('AWS::CloudWatch::Alarm').length,
    dashboards: all('AWS::CloudWatch::Dashboard').length,
    secrets: all('AWS::SecretsManager::Secret').length,
    demoDatabases: databases.length,
    demoStorageGb: [...storage][0] ?? 0,
  };
}

let demo: DeploymentShape;

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, postCliContext: FEATURE_FLAGS });
  const pipeline = buildPipeline(
    app,
    readPipelineSettings((key) => ({ demo: true })[key]),
    { entries: ENTRIES },
  );
  app.synth();
  demo = shapeOf([Template.fromStack(pipeline.lake), Template.fromStack(pipeline.ingest)]);
});

describe('the cost model’s deployment-wide items', () => {
  it('price exactly what the demo deployment synthesizes (endpoints, AZs, alarms, dashboard, secrets, RDS)', () => {
    expect(demo).toEqual(DEMO_DEPLOYMENT);
  });
});
