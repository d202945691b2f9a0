/**
 * @module
 * The stateful stack: everything that holds data and must survive a redeploy of the ingest side. The lake
 * bucket, the Glue catalog, the Athena workgroup and, for a demo, the VPC with a source and a warehouse.
 */
import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { type DeploymentNames, deploymentNames } from '../../../core/deployment-names.ts';
import { AthenaWorkgroup } from '../constructs/athena-workgroup.ts';
import { DemoDatabases } from '../constructs/demo-databases.ts';
import { LakeBucket } from '../constructs/lake-bucket.ts';
import { LakeCatalog } from '../constructs/lake-catalog.ts';
import { LakeLatestState } from '../constructs/lake-latest-state.ts';
import type { NamedStack } from '../stack-names.ts';

/** Props of {@link LakeStack}. */
export interface LakeStackProps extends StackProps {
  /**
   * The names of the deployment: bucket, Glue database, workgroup.
   * @default the default deployment's (core/deployment-names.ts)
   */
  readonly names?: DeploymentNames;
  /**
   * Create the demo VPC, source and warehouse.
   * @default false
   */
  readonly demo?: boolean;
  /**
   * Let `cdk destroy` delete the bucket (once emptied), the workgroup and the demo databases.
   * @default false (everything stateful is retained or snapshotted)
   */
  readonly destroyOnRemoval?: boolean;
  /**
   * Directory of the ad-hoc queries published as Athena named queries.
   * @default queries/adhoc of the repository
   */
  readonly queriesDirectory?: string;
}

/** The lake: bucket, Glue tables, Athena workgroup, and optionally the demo databases. */
export class LakeStack extends Stack implements NamedStack {
  readonly names: DeploymentNames;
  readonly lake: LakeBucket;
  readonly catalog: LakeCatalog;
  /** The snapshot tables and `_latest` views beside the lake tables. */
  readonly latestState: LakeLatestState;
  readonly athena: AthenaWorkgroup;
  readonly demo?: DemoDatabases;

  constructor(scope: Construct, id: string, props: LakeStackProps = {}) {
    super(scope, id, props);
    // Set before any child: constructs read the bucket name from their stack (stack-names.ts).
    this.names = props.names ?? deploymentNames();
    const destroy = props.destroyOnRemoval === true;
    this.lake = new LakeBucket(this, 'Lake', {
      removalPolicy: destroy ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    this.catalog = new LakeCatalog(this, 'Catalog', {
      bucket: this.lake.bucket,
      databaseName: this.names.glueDatabase,
    });
    this.latestState = new LakeLatestState(this, 'LatestState', {
      bucket: this.lake.bucket,
      database: this.catalog.database,
      databaseName: this.catalog.databaseName,
    });
    this.athena = new AthenaWorkgroup(this, 'Athena', {
      bucket: this.lake.bucket,
      name: this.names.athenaWorkgroup,
      databaseName: this.catalog.databaseName,
      queriesDirectory: props.queriesDirectory,
      removalPolicy: destroy ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    if (props.demo) {
      this.demo = new DemoDatabases(this, 'Demo', {
        removalPolicy: destroy ? RemovalPolicy.DESTROY : RemovalPolicy.SNAPSHOT,
      });
    }
  }
}
