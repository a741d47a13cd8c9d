/** Builds AWS resources in moto with the SDK directly, so that e2e tests exercise our layers on a world they did not make. */
import * as AS from "@aws-sdk/client-auto-scaling"
import * as CFN from "@aws-sdk/client-cloudformation"
import * as EC2 from "@aws-sdk/client-ec2"
import * as ELB from "@aws-sdk/client-elastic-load-balancing"
import * as ELBv2 from "@aws-sdk/client-elastic-load-balancing-v2"
import { motoRegion } from "./moto.js"

export const sdkClients = (endpoint: string) => {
  const config = {
    region: motoRegion,
    endpoint,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    maxAttempts: 1
  }
  return {
    autoScaling: new AS.AutoScalingClient(config),
    cloudFormation: new CFN.CloudFormationClient(config),
    ec2: new EC2.EC2Client(config),
    elb: new ELB.ElasticLoadBalancingClient(config),
    elbv2: new ELBv2.ElasticLoadBalancingV2Client(config)
  }
}

export type SdkClients = ReturnType<typeof sdkClients>

export const destroyClients = (clients: SdkClients): void => {
  for (const client of Object.values(clients)) client.destroy()
}

/** The shared resources groups are built from: a two-version launch template, a classic ELB and a target group. */
export interface BaseWorld {
  readonly imageId: string
  readonly vpcId: string
  readonly availabilityZones: ReadonlyArray<string>
  readonly launchTemplateId: string
  readonly loadBalancerName: string
  readonly targetGroupArn: string
}

export const createBaseWorld = async (clients: SdkClients): Promise<BaseWorld> => {
  const { ec2, elb, elbv2 } = clients
  const vpcs = await ec2.send(new EC2.DescribeVpcsCommand({ Filters: [{ Name: "is-default", Values: ["true"] }] }))
  const vpcId = vpcs.Vpcs?.[0]?.VpcId
  if (vpcId === undefined) throw new Error("moto has no default VPC")
  const subnets = await ec2.send(new EC2.DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }] }))
  const availabilityZones = [...new Set((subnets.Subnets ?? []).flatMap((s) => s.AvailabilityZone ?? []))].sort()
    .slice(0, 2)
  const images = await ec2.send(new EC2.DescribeImagesCommand({ Owners: ["amazon"] }))
  const imageId = images.Images?.[0]?.ImageId
  if (imageId === undefined) throw new Error("moto offers no AMI")

  const template = await ec2.send(
    new EC2.CreateLaunchTemplateCommand({
      LaunchTemplateName: "web",
      LaunchTemplateData: { ImageId: imageId, InstanceType: "t3.micro" }
    })
  )
  const launchTemplateId = template.LaunchTemplate?.LaunchTemplateId
  if (launchTemplateId === undefined) throw new Error("moto created no launch template")
  // A second version that is not the default: $Latest and $Default now differ.
  await ec2.send(
    new EC2.CreateLaunchTemplateVersionCommand({
      LaunchTemplateId: launchTemplateId,
      LaunchTemplateData: { ImageId: imageId, InstanceType: "t3.small" }
    })
  )

  const loadBalancerName = "web-clb"
  await elb.send(
    new ELB.CreateLoadBalancerCommand({
      LoadBalancerName: loadBalancerName,
      Listeners: [{ Protocol: "HTTP", LoadBalancerPort: 80, InstancePort: 8080 }],
      AvailabilityZones: availabilityZones
    })
  )
  const targetGroup = await elbv2.send(
    new ELBv2.CreateTargetGroupCommand({ Name: "web-tg", Protocol: "HTTP", Port: 8080, VpcId: vpcId, TargetType: "instance" })
  )
  const targetGroupArn = targetGroup.TargetGroups?.[0]?.TargetGroupArn
  if (targetGroupArn === undefined) throw new Error("moto created no target group")

  return { imageId, vpcId, availabilityZones, launchTemplateId, loadBalancerName, targetGroupArn }
}

export interface GroupSpec {
  readonly name: string
  readonly minSize?: number
  readonly maxSize?: number
  readonly desiredCapacity?: number
  readonly version?: string
  readonly behindLoadBalancers?: boolean
  readonly tags?: Readonly<Record<string, string>>
}

/** An ASG on the base launch template, behind the classic ELB and the target group unless told otherwise. */
export const createGroup = async (clients: SdkClients, world: BaseWorld, spec: GroupSpec): Promise<void> => {
  const behind = spec.behindLoadBalancers ?? true
  await clients.autoScaling.send(
    new AS.CreateAutoScalingGroupCommand({
      AutoScalingGroupName: spec.name,
      MinSize: spec.minSize ?? 1,
      MaxSize: spec.maxSize ?? 6,
      DesiredCapacity: spec.desiredCapacity ?? 2,
      AvailabilityZones: [...world.availabilityZones],
      LaunchTemplate: { LaunchTemplateId: world.launchTemplateId, Version: spec.version ?? "$Latest" },
      ...(behind ? { LoadBalancerNames: [world.loadBalancerName], TargetGroupARNs: [world.targetGroupArn] } : {}),
      Tags: Object.entries(spec.tags ?? {}).map(([Key, Value]) => ({ Key, Value, PropagateAtLaunch: true }))
    })
  )
}

/** A group whose launch template sits in a MixedInstancesPolicy, each instance weighing two capacity units. */
export const createMixedGroup = async (clients: SdkClients, world: BaseWorld, name: string): Promise<void> => {
  await clients.autoScaling.send(
    new AS.CreateAutoScalingGroupCommand({
      AutoScalingGroupName: name,
      MinSize: 0,
      MaxSize: 8,
      DesiredCapacity: 4,
      AvailabilityZones: [...world.availabilityZones],
      MixedInstancesPolicy: {
        LaunchTemplate: {
          LaunchTemplateSpecification: { LaunchTemplateId: world.launchTemplateId, Version: "$Default" },
          Overrides: [{ InstanceType: "t3.small", WeightedCapacity: "2" }]
        }
      }
    })
  )
}

/** A stack with a launch template and an ASG, valid for moto's cfn-lint (zones from Fn::GetAZs, no LaunchConfiguration). */
export const stackTemplate = (imageId: string, extraResources: Record<string, unknown> = {}): string =>
  JSON.stringify({
    AWSTemplateFormatVersion: "2010-09-09",
    Description: "aws-ha-updater e2e stack",
    Parameters: { InstanceType: { Type: "String", Default: "t3.micro", Description: "instance type of the group" } },
    Resources: {
      Template: {
        Type: "AWS::EC2::LaunchTemplate",
        Properties: { LaunchTemplateData: { ImageId: imageId, InstanceType: { Ref: "InstanceType" } } }
      },
      Group: {
        Type: "AWS::AutoScaling::AutoScalingGroup",
        Properties: {
          MinSize: "1",
          MaxSize: "3",
          DesiredCapacity: "2",
          AvailabilityZones: { "Fn::GetAZs": "" },
          LaunchTemplate: {
            LaunchTemplateId: { Ref: "Template" },
            Version: { "Fn::GetAtt": ["Template", "LatestVersionNumber"] }
          }
        }
      },
      ...extraResources
    },
    Outputs: { GroupName: { Value: { Ref: "Group" } } }
  })
