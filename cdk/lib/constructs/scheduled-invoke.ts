/**
 * @module
 * An EventBridge Scheduler schedule that invokes a Lambda at a fixed rate, dropping (not queueing) ticks
 * that cannot run: the next tick does the same work.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { acknowledge, functionVersionsFinding } from '../acknowledge.ts';

/** Props of {@link ScheduledInvoke}. */
export interface ScheduledInvokeProps {
  readonly fn: lambda.IFunction;
  /** Time between two invocations (at least one minute). */
  readonly rate: Duration;
  readonly description: string;
  /** The event each invocation gets (JSON); without it the function gets Scheduler's empty event. */
  readonly input?: Readonly<Record<string, unknown>>;
}

/** Invokes `fn` every `rate`; a tick Lambda throttles (with reserved concurrency) expires within a minute. */
export class ScheduledInvoke extends Construct {
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: ScheduledInvokeProps) {
    super(scope, id);
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      schedule: scheduler.ScheduleExpression.rate(props.rate),
      description: props.description,
      target: new targets.LambdaInvoke(props.fn, {
        retryAttempts: 0,
        maxEventAge: Duration.minutes(1),
        ...(props.input ? { input: scheduler.ScheduleTargetInput.fromObject(props.input) } : {}),
      }),
    });
    // Scheduler invokes asynchronously; while the previous run holds the one reserved execution (if any),
    // Lambda would keep the event and retry it for hours. The next tick replaces it, so let it expire.
    // A function on two schedules (the compactor's) has this once: a function takes one such configuration.
    if (!props.fn.node.tryFindChild('EventInvokeConfig')) {
      props.fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(1) });
    }
    // The scheduler's role (shared per stack by the L2) may invoke the function's versions too.
    acknowledge(Stack.of(this), [
      {
        id: functionVersionsFinding(props.fn),
        reason:
          "EventBridge Scheduler's role invokes this one function; the :* suffix only covers its versions.",
      },
    ]);
  }
}
