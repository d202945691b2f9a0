/**
 * @module
 * The source loader Lambda: a one-shot way into a source that sits in isolated subnets (the demo's). Invoked
 * by hand (README "Load the demo source"), it seeds generated data or imports a `pg_dump` uploaded to the
 * lake bucket under `imports/`, running the CLI's own `seed` and `import` code inside the VPC.
 */
import { CfnOutput, Duration, type RemovalPolicy, Size } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENV } from '../../../core/operations.ts';
import { acknowledge } from '../acknowledge.ts';
import { LAKE_PREFIXES, lakeObjectsFinding } from './lake-bucket.ts';
import { PipelineFunction, type RdsNetwork } from './pipeline-function.ts';
import { grantSecretKeyDecrypt } from './secret-key-grant.ts';

/** Props of {@link SourceLoader}. */
export interface SourceLoaderProps extends RdsNetwork {
  readonly entry: string;
  /** Credentials allowed to create the source schema and load it (the demo's master secret). */
  readonly sourceSecret: secretsmanager.ISecret;
  readonly secretKeyArn?: string;
  /** The lake bucket; dumps are read from `imports/`. */
  readonly bucket: s3.IBucket;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** The function and its name as a stack output. */
export class SourceLoader extends Construct {
  readonly fn: PipelineFunction;

  constructor(scope: Construct, id: string, props: SourceLoaderProps) {
    super(scope, id);
    this.fn = new PipelineFunction(this, 'Function', {
      entry: props.entry,
      logRemovalPolicy: props.logRemovalPolicy,
      description: 'totesys-stream source loader: seed or import a dump into the empty source (one-shot)',
      // A scale-1 seed is ~40k rows in seconds; a large dump takes minutes.
      timeout: Duration.minutes(15),
      memorySize: 2048,
      ephemeralStorageSize: Size.gibibytes(4),
      rdsNetwork: props,
      environment: {
        [ENV.sourceSecretArn]: props.sourceSecret.secretArn,
        [ENV.lakeBucket]: props.bucket.bucketName,
      },
    });
    props.sourceSecret.grantRead(this.fn);
    grantSecretKeyDecrypt(this.fn, props.secretKeyArn);
    this.fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadDumps',
        actions: ['s3:GetObject'],
        resources: [props.bucket.arnForObjects(`${LAKE_PREFIXES.imports}*`)],
      }),
    );
    new CfnOutput(this, 'FunctionName', {
      value: this.fn.functionName,
      description: 'aws lambda invoke --function-name <this> --payload \'{"action":"seed"}\' out.json',
    });
    acknowledge(this.fn, [
      {
        id: lakeObjectsFinding(this, LAKE_PREFIXES.imports),
        reason: 'The dump to import is named by the person invoking it; reads are limited to imports/.',
      },
    ]);
  }
}
