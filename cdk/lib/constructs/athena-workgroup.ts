/**
 * @module
 * The Athena workgroup the loader and analysts query through, and the ad-hoc queries as named queries.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ADHOC_QUERIES_DIR } from '../repo-paths.ts';
import { LAKE_PREFIXES } from './lake-bucket.ts';

/** Props of {@link AthenaWorkgroup}. */
export interface AthenaWorkgroupProps {
  /** The lake bucket; results go under `athena-results/`. */
  readonly bucket: s3.IBucket;
  /** The Glue database named queries run in. */
  readonly databaseName: string;
  /**
   * The workgroup name.
   * @default 'totesys'
   */
  readonly name?: string;
  /**
   * Largest scan one query may make before Athena cancels it ($5 per TB scanned).
   * @default 100 GB
   */
  readonly bytesScannedCutoffPerQuery?: number;
  /**
   * Directory whose `*.sql` files become named queries; a missing or empty directory adds none.
   * @default queries/adhoc of the repository
   */
  readonly queriesDirectory?: string;
  /**
   * DESTROY deletes the workgroup with its query history; RETAIN keeps it.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** An Athena engine 3 workgroup with an enforced, encrypted result location in the lake bucket. */
export class AthenaWorkgroup extends Construct {
  readonly workGroup: athena.CfnWorkGroup;
  readonly workGroupName: string;
  readonly namedQueries: readonly athena.CfnNamedQuery[];

  constructor(scope: Construct, id: string, props: AthenaWorkgroupProps) {
    super(scope, id);
    this.workGroupName = props.name ?? 'totesys';
    const destroy = props.removalPolicy === RemovalPolicy.DESTROY;
    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: this.workGroupName,
      description: 'totesys-stream: the loader and ad-hoc queries over the lake.',
      state: 'ENABLED',
      recursiveDeleteOption: destroy,
      workGroupConfiguration: {
        // Enforced, so no client can write results elsewhere or unencrypted.
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery ?? 100 * 1000 ** 3,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${props.bucket.bucketName}/${LAKE_PREFIXES.athenaResults}`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
    this.workGroup.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.RETAIN);

    this.namedQueries = readQueries(props.queriesDirectory ?? ADHOC_QUERIES_DIR).map(({ name, sql }) => {
      const query = new athena.CfnNamedQuery(this, `Query-${name}`, {
        name,
        database: props.databaseName,
        workGroup: this.workGroupName,
        queryString: sql,
        description: `queries/adhoc/${name}.sql`,
      });
      query.addResourceDependency(this.workGroup);
      return query;
    });
  }

  /** The workgroup ARN, for IAM policies. */
  get workGroupArn(): string {
    return Stack.of(this).formatArn({
      service: 'athena',
      resource: 'workgroup',
      resourceName: this.workGroupName,
    });
  }
}

/** Every `*.sql` file of the directory, by name; none when the directory does not exist yet. */
function readQueries(directory: string): { name: string; sql: string }[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => ({
      name: basename(file, '.sql'),
      sql: readFileSync(join(directory, file), 'utf8').trim(),
    }))
    .filter((q) => q.sql.length > 0);
}
