/**
 * @module
 * A self-contained demo: a VPC without NAT, a security group for the pipeline's Lambdas, and two small RDS
 * PostgreSQL instances, the source (logical replication on) and the warehouse. Production deployments bring
 * their own (see ExistingNetwork in pipeline-settings.ts).
 */
import { type CfnResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { acknowledge } from '../acknowledge.ts';

/** Props of {@link DemoDatabases}. */
export interface DemoDatabasesProps {
  /**
   * Instance class of both databases.
   * @default t4g.micro
   */
  readonly instanceType?: ec2.InstanceType;
  /**
   * Cap on the WAL a replication slot may hold back, in MB. Past it PostgreSQL invalidates the slot (the
   * reader must re-snapshot) instead of filling the disk and stopping every write on the source.
   * @default 10240
   */
  readonly maxSlotWalKeepSizeMb?: number;
  /**
   * DESTROY drops the instances (no final snapshot) on `cdk destroy`; anything else snapshots and keeps them.
   * @default RemovalPolicy.SNAPSHOT
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The demo VPC and databases. */
export class DemoDatabases extends Construct {
  readonly vpc: ec2.Vpc;
  /** Where the pipeline's Lambdas run: private subnets with no route to the internet. */
  readonly lambdaSubnets: ec2.SubnetSelection;
  /** The Lambdas' security group; both databases allow 5432 from it. */
  readonly lambdaSecurityGroup: ec2.SecurityGroup;
  readonly source: rds.DatabaseInstance;
  readonly warehouse: rds.DatabaseInstance;

  constructor(scope: Construct, id: string, props: DemoDatabasesProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.SNAPSHOT;
    const destroy = removalPolicy === RemovalPolicy.DESTROY;

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      flowLogs: { all: { trafficType: ec2.FlowLogTrafficType.REJECT } },
    });
    this.lambdaSubnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    this.lambdaSecurityGroup = new ec2.SecurityGroup(this, 'LambdaSecurityGroup', {
      vpc: this.vpc,
      description: 'totesys-stream Lambdas (reader, loader)',
      allowAllOutbound: true,
    });

    // The major version only: RDS retires minor versions, and picks (and upgrades to) the current minor.
    const engine = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.of('17', '17') });
    const instanceType =
      props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO);
    const common: rds.DatabaseInstanceProps = {
      engine,
      instanceType,
      vpc: this.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      storageEncrypted: true,
      allocatedStorage: 20,
      storageType: rds.StorageType.GP3,
      maxAllocatedStorage: 100,
      backupRetention: Duration.days(1),
      deletionProtection: !destroy,
      removalPolicy,
      cloudwatchLogsExports: ['postgresql'],
    };

    this.source = new rds.DatabaseInstance(this, 'Source', {
      ...common,
      databaseName: 'totesys',
      // Generated secret names: a named secret is kept 7 to 30 days after `cdk destroy`, and the next deploy
      // of the same name would fail.
      credentials: rds.Credentials.fromGeneratedSecret('totesys_admin'),
      parameterGroup: new rds.ParameterGroup(this, 'SourceParameters', {
        engine,
        description:
          'Logical replication for totesys-stream (static: applied at creation, later needs a reboot).',
        parameters: {
          'rds.logical_replication': '1',
          'rds.force_ssl': '1',
          max_slot_wal_keep_size: String(props.maxSlotWalKeepSizeMb ?? 10240),
        },
      }),
    });
    this.warehouse = new rds.DatabaseInstance(this, 'Warehouse', {
      ...common,
      databaseName: 'warehouse',
      credentials: rds.Credentials.fromGeneratedSecret('warehouse_admin'),
      parameterGroup: new rds.ParameterGroup(this, 'WarehouseParameters', {
        engine,
        description: 'TLS-only warehouse for totesys-stream.',
        parameters: { 'rds.force_ssl': '1' },
      }),
    });
    // cfn-lint's W3691 knows only full versions and calls a bare major "deprecated"; RDS accepts "17" and
    // creates the instance on that major's current default minor, which is the point of pinning the major.
    for (const instance of [this.source, this.warehouse]) {
      (instance.node.defaultChild as CfnResource).addMetadata('cfn-lint', {
        config: { ignore_checks: ['W3691'] },
      });
    }
    this.source.connections.allowDefaultPortFrom(this.lambdaSecurityGroup, 'CDC reader');
    this.warehouse.connections.allowDefaultPortFrom(this.lambdaSecurityGroup, 'warehouse loader');

    const reasons = [
      {
        id: 'AwsSolutions-RDS3',
        reason: 'Demo databases: a single AZ keeps the cost down; production brings its own.',
      },
      {
        id: 'AwsSolutions-RDS11',
        reason:
          "The default port is kept; the instances are reachable only from the Lambdas' security group in isolated subnets.",
      },
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'Demo credentials are not rotated: rotation needs a rotation Lambda with network access, out of scope for a demo.',
      },
    ];
    if (destroy) {
      reasons.push({
        id: 'AwsSolutions-RDS10',
        reason:
          'Deletion protection is off only because destroyOnRemoval was set explicitly, to tear a demo down.',
      });
    }
    acknowledge(this, reasons);
  }
}
