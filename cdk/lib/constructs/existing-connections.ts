/**
 * @module
 * Bring your own: imports the user's VPC, subnets, Lambda security group and database secrets by id/ARN
 * (no lookups, so synthesis needs no AWS credentials).
 */
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { ExistingNetwork } from '../pipeline-settings.ts';

/** What the VPC-bound Lambdas run in and connect to. */
export interface PipelineConnections {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  /** The Lambdas' security group; the databases allow 5432 from it. */
  readonly securityGroup: ec2.ISecurityGroup;
  readonly sourceSecret: secretsmanager.ISecret;
  readonly warehouseSecret: secretsmanager.ISecret;
  /** RDS instance identifier of the source, for its alarms. */
  readonly sourceDbInstanceIdentifier?: string;
  /** Whether the subnets' route tables are known, so an S3 gateway endpoint can be added. */
  readonly routeTablesKnown: boolean;
  /** Customer-managed KMS keys of the secrets, when not the AWS managed `aws/secretsmanager` key. */
  readonly sourceSecretKeyArn?: string;
  readonly warehouseSecretKeyArn?: string;
}

/** The user's existing network and databases, imported. */
export class ExistingConnections extends Construct implements PipelineConnections {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly sourceSecret: secretsmanager.ISecret;
  readonly warehouseSecret: secretsmanager.ISecret;
  readonly sourceDbInstanceIdentifier?: string;
  readonly routeTablesKnown: boolean;
  readonly sourceSecretKeyArn?: string;
  readonly warehouseSecretKeyArn?: string;

  constructor(scope: Construct, id: string, existing: ExistingNetwork) {
    super(scope, id);
    const { subnetIds, routeTableIds } = existing;
    if (routeTableIds.length > 0 && routeTableIds.length !== subnetIds.length) {
      throw new Error(
        `routeTableIds has ${routeTableIds.length} entries but subnetIds has ${subnetIds.length}; give one route ` +
          'table per subnet, in the same order, or none (then no S3 gateway endpoint is added).',
      );
    }
    const subnets = subnetIds.map((subnetId, i) =>
      ec2.Subnet.fromSubnetAttributes(this, `Subnet${i}`, { subnetId, routeTableId: routeTableIds[i] }),
    );
    this.vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: existing.vpcId,
      availabilityZones: Stack.of(this).availabilityZones.slice(0, Math.max(1, subnetIds.length)),
    });
    this.subnets = { subnets };
    // Immutable: the pipeline must not add rules to a group the user owns.
    this.securityGroup = ec2.SecurityGroup.fromSecurityGroupId(
      this,
      'LambdaSecurityGroup',
      existing.securityGroupId,
      {
        mutable: false,
      },
    );
    this.sourceSecret = secretsmanager.Secret.fromSecretCompleteArn(
      this,
      'SourceSecret',
      existing.sourceSecretArn,
    );
    this.warehouseSecret = secretsmanager.Secret.fromSecretCompleteArn(
      this,
      'WarehouseSecret',
      existing.warehouseSecretArn,
    );
    this.sourceDbInstanceIdentifier = existing.sourceDbInstanceIdentifier;
    this.routeTablesKnown = routeTableIds.length > 0;
    this.sourceSecretKeyArn = existing.sourceSecretKeyArn;
    this.warehouseSecretKeyArn = existing.warehouseSecretKeyArn;
  }
}
