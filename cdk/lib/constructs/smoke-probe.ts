/**
 * @module
 * The smoke probe Lambda, deployed only for `npm run aws:smoke` (context `smokeProbe=true`, demo only): inside
 * the VPC it makes the smoke's one change per source table and reads the warehouse to see them arrive, so
 * the smoke reaches both databases without opening the isolated subnets to anything.
 */
import { CfnOutput, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ENV } from '../../../core/operations.ts';
import { PipelineFunction, type RdsNetwork } from './pipeline-function.ts';

/** Props of {@link SmokeProbe}. */
export interface SmokeProbeProps extends RdsNetwork {
  readonly entry: string;
  /** The demo source's master secret (the probe writes its changes with it). */
  readonly sourceSecret: secretsmanager.ISecret;
  /** The demo warehouse's master secret (the probe only reads with it). */
  readonly warehouseSecret: secretsmanager.ISecret;
  /** The alarm the smoke sets to ALARM (one that is OK on a healthy pipeline), and the topic it notifies. */
  readonly alarm: cloudwatch.IAlarm;
  readonly alarmTopic: sns.ITopic;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The function, and the stack outputs the smoke reads: `SmokeProbeFunctionName…`, `SmokeProbeAlarmName…`
 * and `SmokeProbeAlarmTopicName…` (the SNS metrics' `TopicName` dimension).
 */
export class SmokeProbe extends Construct {
  readonly fn: PipelineFunction;

  constructor(scope: Construct, id: string, props: SmokeProbeProps) {
    super(scope, id);
    this.fn = new PipelineFunction(this, 'Function', {
      entry: props.entry,
      logRemovalPolicy: props.logRemovalPolicy,
      description: 'totesys-stream smoke probe: one change per source table, then reads the warehouse',
      timeout: Duration.minutes(1),
      memorySize: 256,
      rdsNetwork: props,
      environment: {
        [ENV.sourceSecretArn]: props.sourceSecret.secretArn,
        [ENV.warehouseSecretArn]: props.warehouseSecret.secretArn,
      },
    });
    props.sourceSecret.grantRead(this.fn);
    props.warehouseSecret.grantRead(this.fn);
    new CfnOutput(this, 'FunctionName', {
      value: this.fn.functionName,
      description: 'npm run aws:smoke invokes it; not part of a normal deployment',
    });
    new CfnOutput(this, 'AlarmName', {
      value: props.alarm.alarmName,
      description: 'npm run aws:smoke sets it to ALARM to see the topic publish',
    });
    new CfnOutput(this, 'AlarmTopicName', { value: props.alarmTopic.topicName });
  }
}
