/**
 * @module
 * Removing everything a smoke run created, whatever stage it reached (README "Try it first: npm run
 * aws:smoke"): wait for any stack operation under way to end, empty the lake stack's buckets (they are
 * versioned, and CloudFormation deletes only empty buckets), `cdk destroy` both stacks (once more after
 * emptying again if the first attempt failed: S3 delivers access logs late), delete the log groups that
 * carry the run's prefix, then look for anything still there and say how to delete it.
 */
import {
  type CloudFormationClient,
  DescribeStacksCommand,
  paginateListStackResources,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import {
  type CloudWatchLogsClient,
  DeleteLogGroupCommand,
  paginateDescribeLogGroups,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  DeleteObjectsCommand,
  HeadBucketCommand,
  ListObjectVersionsCommand,
  type ObjectIdentifier,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { DeploymentNames } from '../core/deployment-names.ts';
import { describeErrorChain } from '../core/error-chain.ts';
import type { CdkCli } from './cdk-cli.ts';
import { pollUntil, type SmokeClock } from './smoke-clock.ts';

/** What the teardown calls. */
export interface TeardownDependencies {
  readonly names: DeploymentNames;
  /** The `-c` arguments the stacks were deployed with (a destroy synthesizes the same app). */
  readonly context: readonly string[];
  readonly cdk: CdkCli;
  readonly cloudFormation: CloudFormationClient;
  readonly s3: S3Client;
  readonly logs: CloudWatchLogsClient;
  readonly clock: SmokeClock;
  readonly print: (line: string) => void;
}

/** How long a stack operation under way (a deploy cut short by Ctrl-C) may take to end. */
const SETTLE_TIMEOUT_MS = 60 * 60_000;
const SETTLE_INTERVAL_MS = 15_000;

/** The stack's description, or `undefined` when CloudFormation has no such stack (never created, or deleted). */
export async function describeStack(
  cloudFormation: CloudFormationClient,
  stackName: string,
): Promise<Stack | undefined> {
  try {
    const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = Stacks?.[0];
    return stack?.StackStatus === 'DELETE_COMPLETE' ? undefined : stack;
  } catch (error) {
    // CloudFormation answers a stack it does not know with a ValidationError "Stack with id … does not exist".
    if (error instanceof Error && error.name === 'ValidationError' && /does not exist/.test(error.message)) {
      return undefined;
    }
    throw error;
  }
}

/**
 * Deletes every version and delete marker in `bucket`, a page (at most 1,000 keys) per DeleteObjects. The SDK
 * has no paginator for ListObjectVersions (its cursor is a key and version marker pair), hence the loop.
 */
export async function emptyBucket(s3: S3Client, bucket: string): Promise<void> {
  let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
  for (;;) {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, ...markers }));
    const objects: ObjectIdentifier[] = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map(
      (v) => ({ Key: v.Key, VersionId: v.VersionId }),
    );
    if (objects.length > 0) {
      const { Errors } = await s3.send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }),
      );
      if (Errors && Errors.length > 0) {
        throw new Error(
          `Could not delete ${Errors.length} object versions of bucket ${bucket} (first: ${Errors[0]?.Code}).`,
        );
      }
    }
    if (!page.IsTruncated) return;
    markers = { KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker };
  }
}

async function bucketsOf(cloudFormation: CloudFormationClient, stackName: string): Promise<string[]> {
  const buckets: string[] = [];
  for await (const page of paginateListStackResources({ client: cloudFormation }, { StackName: stackName })) {
    for (const resource of page.StackResourceSummaries ?? []) {
      if (resource.ResourceType === 'AWS::S3::Bucket' && resource.PhysicalResourceId) {
        buckets.push(resource.PhysicalResourceId);
      }
    }
  }
  return buckets;
}

async function bucketExists(s3: S3Client, bucket: string): Promise<boolean> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return true;
  } catch (error) {
    if (error instanceof Error && (error.name === 'NotFound' || error.name === 'NoSuchBucket')) return false;
    throw error;
  }
}

/** Log groups whose name holds the run's prefix (the stacks' functions, streams and CDK's own helpers). */
async function logGroupsOf(logs: CloudWatchLogsClient, prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const page of paginateDescribeLogGroups({ client: logs }, { logGroupNamePattern: prefix })) {
    for (const group of page.logGroups ?? []) if (group.logGroupName) names.push(group.logGroupName);
  }
  return names;
}

/**
 * Removes the run's deployment and returns what is still there, one line each with how to delete it (empty
 * when everything is gone). Each step runs even when an earlier one failed.
 */
export async function tearDownSmoke(deps: TeardownDependencies): Promise<string[]> {
  const { names, cloudFormation } = deps;
  const stacks = [names.ingestStack, names.lakeStack];
  const problems: string[] = [];
  const attempt = async (what: string, step: () => Promise<void>) => {
    try {
      await step();
    } catch (error) {
      problems.push(`${what}: ${describeErrorChain(error)}`);
    }
  };
  const never = new AbortController().signal;

  await attempt('waiting for the stacks to settle', async () => {
    for (const stackName of stacks) {
      await pollUntil(
        async () => {
          const status = (await describeStack(cloudFormation, stackName))?.StackStatus;
          return status?.endsWith('_IN_PROGRESS') ? undefined : true;
        },
        {
          what: `stack ${stackName} to finish its operation`,
          timeoutMs: SETTLE_TIMEOUT_MS,
          intervalMs: SETTLE_INTERVAL_MS,
          clock: deps.clock,
          signal: never,
        },
      );
    }
  });
  let buckets: string[] = [];
  await attempt('listing the lake stack’s buckets', async () => {
    if (await describeStack(cloudFormation, names.lakeStack)) {
      buckets = await bucketsOf(cloudFormation, names.lakeStack);
    }
  });
  const emptyBuckets = async () => {
    for (const bucket of buckets)
      await attempt(`emptying bucket ${bucket}`, () => emptyBucket(deps.s3, bucket));
  };
  const destroy = () => deps.cdk.run(['destroy', ...stacks, '--force', ...deps.context]);

  deps.print(`Destroying ${stacks.join(' and ')}…`);
  await emptyBuckets();
  try {
    await destroy();
  } catch (first) {
    deps.print(
      `The first destroy failed (${describeErrorChain(first)}); emptying the buckets again and retrying.`,
    );
    await emptyBuckets();
    await attempt('cdk destroy', destroy);
  }
  await attempt('deleting the run’s log groups', async () => {
    for (const group of await logGroupsOf(deps.logs, names.prefix)) {
      await deps.logs.send(new DeleteLogGroupCommand({ logGroupName: group }));
    }
  });

  const left: string[] = [];
  for (const stackName of stacks) {
    await attempt(`checking stack ${stackName}`, async () => {
      const stack = await describeStack(cloudFormation, stackName);
      if (stack) {
        left.push(
          `stack ${stackName} (${stack.StackStatus}): cd cdk && npx cdk destroy ${stackName} --force ${deps.context.join(' ')}`,
        );
      }
    });
  }
  for (const bucket of buckets) {
    await attempt(`checking bucket ${bucket}`, async () => {
      if (await bucketExists(deps.s3, bucket)) {
        left.push(`bucket ${bucket}: empty it with its versions (S3 console "Empty"), then delete it`);
      }
    });
  }
  await attempt('checking the log groups', async () => {
    for (const group of await logGroupsOf(deps.logs, names.prefix)) {
      left.push(`log group ${group}: aws logs delete-log-group --log-group-name ${group}`);
    }
  });
  return [...left, ...problems.map((p) => `not checked or not done, ${p}`)];
}
