/** The CDK app: `npm run synth`, `cd cdk && npx cdk deploy --all` (context keys: README, Deploying to AWS). */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FEATURE_FLAGS } from '../lib/feature-flags.ts';
import { buildPipeline } from '../lib/pipeline.ts';
import { pipelineSettingsOf } from '../lib/pipeline-settings.ts';

const app = new App({ postCliContext: FEATURE_FLAGS });
buildPipeline(app, pipelineSettingsOf(app));
// cdk-nag's AWS Solutions rules: any finding without a written suppression fails the synthesis.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
