import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_FLAGS } from '../../cdk/lib/feature-flags.ts';
import { buildPipeline } from '../../cdk/lib/pipeline.ts';
import { readPipelineSettings } from '../../cdk/lib/pipeline-settings.ts';

const STUB = fileURLToPath(new URL('./fixtures/stub-handler.ts', import.meta.url));
const CDK_JSON = fileURLToPath(new URL('../../cdk/cdk.json', import.meta.url));

/**
 * W3005 ("DependsOn already enforced by a GetAtt") is ignored: aws-cdk-lib's Function adds an explicit
 * DependsOn on its own role next to the Role GetAtt. It is redundant, harmless, and not ours to remove.
 */
const IGNORED_CHECKS = ['W3005'];

let outdir: string;

/**
 * Synthesizes like bin/app.ts, cdk-nag included. `region` mimics the CLI, which sets CDK_DEFAULT_REGION: with
 * a known region ARNs carry a literal partition, so the acknowledged finding ids differ from the agnostic case.
 */
function synthesize(context: Record<string, unknown>, dir: string, region?: string): string[] {
  const saved = process.env.CDK_DEFAULT_REGION;
  if (region) process.env.CDK_DEFAULT_REGION = region;
  try {
    const app = new App({
      context: { 'aws:cdk:bundling-stacks': [] },
      postCliContext: FEATURE_FLAGS,
      outdir: dir,
    });
    const pipeline = buildPipeline(
      app,
      readPipelineSettings((key) => context[key]),
      {
        entries: {
          reader: STUB,
          transformer: STUB,
          loader: STUB,
          compaction: STUB,
          sourceLoader: STUB,
          api: STUB,
        },
      },
    );
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    app.synth();
    return [pipeline.lake, pipeline.ingest].map((s) => join(dir, s.templateFile));
  } finally {
    if (saved === undefined) delete process.env.CDK_DEFAULT_REGION;
    else process.env.CDK_DEFAULT_REGION = saved;
  }
}

function cfnLint(templates: string[]) {
  const result = spawnSync('cfn-lint', ['--ignore-checks', ...IGNORED_CHECKS, '--', ...templates], {
    encoding: 'utf8',
  });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(
      'cfn-lint is not installed. Run .ci/moto.sh (it installs cfn-lint with pip install cfn-lint, or apt) and put it on PATH.',
    );
  }
  return result;
}

const EXISTING = {
  demo: false,
  vpcId: 'vpc-0123456789abcdef0',
  subnetIds: 'subnet-0a1b2c3d4e5f60718,subnet-0f1e2d3c4b5a60718',
  routeTableIds: 'rtb-0a1b2c3d4e5f60718,rtb-0f1e2d3c4b5a60718',
  securityGroupId: 'sg-0123456789abcdef0',
  sourceSecretArn: 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:totesys-source-AbCdEf',
  warehouseSecretArn: 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:totesys-warehouse-AbCdEf',
  sourceDbInstanceIdentifier: 'totesys-prod',
  alarmEmail: 'oncall@example.com',
  // With it the dashboard and payments API are deployed too (cdk/lib/constructs/payments-api.ts).
  warehouseReaderSecretArn: 'arn:aws:secretsmanager:eu-west-2:111122223333:secret:totesys-dashboard-AbCdEf',
};

let findings: string;
let status: number | null;

// Both variants are synthesized (cdk-nag must pass on each), then linted by one cfn-lint run (its start-up dominates the cost).
beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'totesys-cfn-lint-'));
  const { context } = JSON.parse(readFileSync(CDK_JSON, 'utf8')) as { context: Record<string, unknown> };
  const templates = [
    ...synthesize(context, join(outdir, 'default'), 'us-east-1'),
    ...synthesize(EXISTING, join(outdir, 'existing')),
  ];
  const result = cfnLint(templates);
  findings = `${result.stdout}${result.stderr}`;
  status = result.status;
  // Two syntheses with cdk-nag and one cfn-lint run: about a minute alone, but 282 s to over 300 s at load
  // average 15-20 on a 2-core box, so the limit leaves room for a busy machine (it only bounds a hang).
}, 900_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('the synthesized templates', () => {
  it('pass cfn-lint with the settings of cdk/cdk.json (what npm run synth builds)', () => {
    expect(findings.split('\n').filter((line) => line.includes('/default/'))).toEqual([]);
  });

  it('pass cfn-lint when the source and warehouse are brought by the user, with the dashboard API', () => {
    expect(findings.split('\n').filter((line) => line.includes('/existing/'))).toEqual([]);
  });

  it('leave cfn-lint with nothing at all to report', () => {
    expect(findings).toBe('');
    expect(status).toBe(0);
  });
});
