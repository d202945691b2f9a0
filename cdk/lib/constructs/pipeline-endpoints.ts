/**
 * @module
 * VPC endpoints so the Lambdas reach Firehose, Secrets Manager, Athena and S3 from private subnets without a
 * NAT gateway: no internet path at all, and no NAT per-GB processing charge on every byte shipped.
 */
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

/** Props of {@link PipelineEndpoints}. */
export interface PipelineEndpointsProps {
  readonly vpc: ec2.IVpc;
  /** Subnets of the Lambdas; the interface endpoints get a network interface in each. */
  readonly subnets: ec2.SubnetSelection;
  /** The Lambdas' security group, allowed to reach the endpoints on 443. */
  readonly clientSecurityGroup: ec2.ISecurityGroup;
  /**
   * Add an S3 gateway endpoint (free) to the subnets' route tables.
   * @default true
   */
  readonly s3Gateway?: boolean;
}

/** Interface endpoints for Firehose, Secrets Manager and Athena, and an S3 gateway endpoint. */
export class PipelineEndpoints extends Construct {
  readonly interfaceEndpoints: readonly ec2.InterfaceVpcEndpoint[];

  constructor(scope: Construct, id: string, props: PipelineEndpointsProps) {
    super(scope, id);
    const services = {
      Firehose: ec2.InterfaceVpcEndpointAwsService.KINESIS_FIREHOSE,
      SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      Athena: ec2.InterfaceVpcEndpointAwsService.ATHENA,
    };
    this.interfaceEndpoints = Object.entries(services).map(([name, service]) => {
      const endpoint = new ec2.InterfaceVpcEndpoint(this, name, {
        vpc: props.vpc,
        service,
        subnets: props.subnets,
        privateDnsEnabled: true,
        open: false,
      });
      endpoint.connections.allowDefaultPortFrom(
        props.clientSecurityGroup,
        `totesys-stream Lambdas to ${name}`,
      );
      return endpoint;
    });
    if (props.s3Gateway ?? true) {
      new ec2.GatewayVpcEndpoint(this, 'S3', {
        vpc: props.vpc,
        service: ec2.GatewayVpcEndpointAwsService.S3,
        subnets: [props.subnets],
      });
    }
  }
}
