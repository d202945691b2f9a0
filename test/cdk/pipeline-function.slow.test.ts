import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineFunction } from '../../cdk/lib/constructs/pipeline-function.ts';
import { bundledCodeDir } from './bundled-code.ts';

const STUB = fileURLToPath(new URL('./fixtures/stub-handler.ts', import.meta.url));

let outdir: string;
let template: Template;
let assetDir: string;

// Bundles for real (esbuild, no Docker), once, to see what lands in the Lambda asset.
beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'totesys-bundle-'));
  const app = new App({ outdir });
  const stack = new Stack(app, 'Bundle');
  new PipelineFunction(stack, 'Fn', { entry: STUB, bundledDirectories: ['test/cdk/fixtures'] });
  app.synth();
  template = Template.fromStack(stack);
  assetDir = bundledCodeDir(outdir, 'Bundle');
});

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('PipelineFunction', () => {
  it('bundles the handler as an ESM module that can require() CommonJS dependencies', () => {
    const bundle = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
    expect(bundle).toContain('createRequire');
    expect(existsSync(join(assetDir, 'index.mjs.map'))).toBe(true);
  });

  it('copies the listed repository directories beside the bundle, as the loader needs queries/', () => {
    expect(existsSync(join(assetDir, 'test', 'cdk', 'fixtures', 'stub-handler.ts'))).toBe(true);
  });

  it('runs on Node 22 arm64 with source maps and its own log group', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps' } },
    });
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
  });
});
