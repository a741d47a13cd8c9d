/** Builds AWS resources in moto with the SDK directly, so that e2e tests exercise our layers on a world they did not make. */
import * as AS from "@aws-sdk/client-auto-scaling"
import * as CFN from "@aws-sdk/client-cloudformation"
import * as CW from "@aws-sdk/client-cloudwatch"
import * as EC2 from "@aws-sdk/client-ec2"
import * as ELB from "@aws-sdk/client-elastic-load-balancing"
import * as ELBv2 from "@aws-sdk/client-elastic-load-balancing-v2"
import * as S3 from "@aws-sdk/client-s3"
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
    cloudWatch: new CW.CloudWatchClient(config),
    ec2: new EC2.EC2Client(config),
    elb: new ELB.ElasticLoadBalancingClient(config),
    elbv2: new ELBv2.ElasticLoadBalancingV2Client(config),
    // moto answers S3 on the same port, by path.
    s3: new S3.S3Client({ ...config, forcePathStyle: true })
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

/** Two distinct AMIs moto offers: the release a stack starts on, and the one an update moves it to. */
export const twoImageIds = async (clients: SdkClients): Promise<readonly [string, string]> => {
  const images = await clients.ec2.send(new EC2.DescribeImagesCommand({ Owners: ["amazon"] }))
  const ids = [...new Set((images.Images ?? []).flatMap((i) => i.ImageId ?? []))].sort()
  const [first, second] = ids
  if (first === undefined || second === undefined) throw new Error("moto offers fewer than two AMIs")
  return [first, second]
}

/** The default VPC and its subnets in two zones, for templates that need them (an ALB, a target group). */
export const defaultNetwork = async (
  clients: SdkClients
): Promise<{ readonly vpcId: string; readonly subnetIds: ReadonlyArray<string> }> => {
  const vpcs = await clients.ec2.send(new EC2.DescribeVpcsCommand({ Filters: [{ Name: "is-default", Values: ["true"] }] }))
  const vpcId = vpcs.Vpcs?.[0]?.VpcId
  if (vpcId === undefined) throw new Error("moto has no default VPC")
  const subnets = await clients.ec2.send(new EC2.DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }] }))
  const byZone = new Map<string, string>()
  for (const s of subnets.Subnets ?? []) {
    if (s.AvailabilityZone !== undefined && s.SubnetId !== undefined && !byZone.has(s.AvailabilityZone)) {
      byZone.set(s.AvailabilityZone, s.SubnetId)
    }
  }
  const subnetIds = [...byZone.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, id]) => id).slice(0, 2)
  if (subnetIds.length < 2) throw new Error("moto's default VPC has fewer than two zones")
  return { vpcId, subnetIds }
}

/** Sizes of the group in `haStackTemplate`: distinct, so that a restore to the wrong one shows. */
export const haGroupSizes = { minSize: 1, maxSize: 4, desiredCapacity: 2 } as const

/**
 * A stack as a user of the tool would write it, valid for moto's cfn-lint: a launch template on the `ImageId`
 * parameter and an ASG behind either a classic ELB or an ALB target group (parameters `VpcId` and `Subnets`).
 * The group has no UpdatePolicy: the tool replaces its instances.
 */
export const haStackTemplate = (balancer: "classic" | "target-group"): string => {
  const launchTemplate = {
    Type: "AWS::EC2::LaunchTemplate",
    Properties: {
      LaunchTemplateData: { ImageId: { Ref: "ImageId" }, InstanceType: { Ref: "InstanceType" } }
    }
  }
  const group = (attach: Record<string, unknown>) => ({
    Type: "AWS::AutoScaling::AutoScalingGroup",
    Properties: {
      MinSize: String(haGroupSizes.minSize),
      MaxSize: String(haGroupSizes.maxSize),
      DesiredCapacity: String(haGroupSizes.desiredCapacity),
      AvailabilityZones: { "Fn::GetAZs": "" },
      LaunchTemplate: {
        LaunchTemplateId: { Ref: "Template" },
        Version: { "Fn::GetAtt": ["Template", "LatestVersionNumber"] }
      },
      ...attach
    }
  })
  const parameters: Record<string, unknown> = {
    ImageId: { Type: "AWS::EC2::Image::Id", Description: "the AMI of the release" },
    InstanceType: { Type: "String", Default: "t3.micro", Description: "instance type of the group" }
  }
  if (balancer === "classic") {
    return JSON.stringify({
      AWSTemplateFormatVersion: "2010-09-09",
      Description: "aws-ha-updater e2e: launch template, classic ELB, ASG",
      Parameters: parameters,
      Resources: {
        Template: launchTemplate,
        LoadBalancer: {
          Type: "AWS::ElasticLoadBalancing::LoadBalancer",
          Properties: {
            AvailabilityZones: { "Fn::GetAZs": "" },
            Listeners: [{ LoadBalancerPort: "80", InstancePort: "8080", Protocol: "HTTP" }],
            HealthCheck: { Target: "HTTP:8080/health", HealthyThreshold: "2", UnhealthyThreshold: "2", Interval: "10", Timeout: "5" }
          }
        },
        Group: group({ LoadBalancerNames: [{ Ref: "LoadBalancer" }] })
      },
      Outputs: {
        GroupName: { Value: { Ref: "Group" } },
        LoadBalancerName: { Value: { Ref: "LoadBalancer" } }
      }
    })
  }
  return JSON.stringify({
    AWSTemplateFormatVersion: "2010-09-09",
    Description: "aws-ha-updater e2e: launch template, ALB target group, ASG",
    Parameters: {
      ...parameters,
      VpcId: { Type: "AWS::EC2::VPC::Id", Description: "the VPC of the target group" },
      Subnets: { Type: "List<AWS::EC2::Subnet::Id>", Description: "subnets of the load balancer" }
    },
    Resources: {
      Template: launchTemplate,
      LoadBalancer: {
        Type: "AWS::ElasticLoadBalancingV2::LoadBalancer",
        Properties: { Type: "application", Scheme: "internal", Subnets: { Ref: "Subnets" } }
      },
      TargetGroup: {
        Type: "AWS::ElasticLoadBalancingV2::TargetGroup",
        Properties: {
          Port: 8080,
          Protocol: "HTTP",
          TargetType: "instance",
          VpcId: { Ref: "VpcId" },
          HealthCheckPath: "/health"
        }
      },
      Listener: {
        Type: "AWS::ElasticLoadBalancingV2::Listener",
        Properties: {
          LoadBalancerArn: { Ref: "LoadBalancer" },
          Port: 80,
          Protocol: "HTTP",
          DefaultActions: [{ Type: "forward", TargetGroupArn: { Ref: "TargetGroup" } }]
        }
      },
      Group: group({ TargetGroupARNs: [{ Ref: "TargetGroup" }] })
    },
    Outputs: {
      GroupName: { Value: { Ref: "Group" } },
      TargetGroupArn: { Value: { Ref: "TargetGroup" } }
    }
  })
}

/** Creates a stack straight in moto (no tool involved) and gives its outputs. */
export const createStackDirectly = async (
  clients: SdkClients,
  stackName: string,
  templateBody: string,
  parameters: Readonly<Record<string, string>>
): Promise<Readonly<Record<string, string>>> => {
  await clients.cloudFormation.send(
    new CFN.CreateStackCommand({
      StackName: stackName,
      TemplateBody: templateBody,
      Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }))
    })
  )
  return stackOutputs(clients, stackName)
}

/**
 * A stack made straight in moto (the tool never saw it): a classic ELB and a group of 2 (min 1, max 4) on `imageId`
 * (the first of moto's images by default). Gives the group's and the load balancer's names.
 */
export const createClassicStack = async (
  clients: SdkClients,
  stackName: string,
  imageId?: string
): Promise<{ readonly group: string; readonly loadBalancer: string }> => {
  const ami = imageId ?? (await twoImageIds(clients))[0]
  const outputs = await createStackDirectly(clients, stackName, haStackTemplate("classic"), { ImageId: ami, InstanceType: "t3.micro" })
  const group = outputs["GroupName"]
  const loadBalancer = outputs["LoadBalancerName"]
  if (group === undefined || loadBalancer === undefined) throw new Error(`stack ${stackName} has no outputs`)
  return { group, loadBalancer }
}

/** A stack's status and outputs, read straight from moto. */
export const describeStackDirectly = async (clients: SdkClients, stackName: string) => {
  const stacks = await clients.cloudFormation.send(new CFN.DescribeStacksCommand({ StackName: stackName }))
  const stack = stacks.Stacks?.[0]
  if (stack === undefined) throw new Error(`moto has no stack ${stackName}`)
  return stack
}

export const stackOutputs = async (clients: SdkClients, stackName: string): Promise<Readonly<Record<string, string>>> => {
  const stack = await describeStackDirectly(clients, stackName)
  return Object.fromEntries((stack.Outputs ?? []).flatMap((o) => (o.OutputKey === undefined || o.OutputValue === undefined ? [] : [[o.OutputKey, o.OutputValue]])))
}

export interface GroupState {
  readonly sizes: { readonly minSize: number; readonly maxSize: number; readonly desiredCapacity: number }
  readonly instances: ReadonlyArray<{ readonly id: string; readonly lifecycleState: string; readonly healthStatus: string }>
  readonly ids: ReadonlyArray<string>
  readonly suspended: ReadonlyArray<string>
  readonly tags: Readonly<Record<string, string>>
}

/** A group as moto reports it: sizes, instances (ids sorted), suspended processes, tags. */
export const readGroupState = async (clients: SdkClients, name: string): Promise<GroupState> => {
  const answer = await clients.autoScaling.send(new AS.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }))
  const g = answer.AutoScalingGroups?.[0]
  if (g === undefined) throw new Error(`moto has no group ${name}`)
  const instances = (g.Instances ?? []).map((i) => ({
    id: i.InstanceId ?? "",
    lifecycleState: i.LifecycleState ?? "",
    healthStatus: i.HealthStatus ?? ""
  }))
  return {
    sizes: { minSize: g.MinSize ?? -1, maxSize: g.MaxSize ?? -1, desiredCapacity: g.DesiredCapacity ?? -1 },
    instances,
    ids: instances.map((i) => i.id).sort(),
    suspended: (g.SuspendedProcesses ?? []).flatMap((p) => p.ProcessName ?? []).sort(),
    tags: Object.fromEntries((g.Tags ?? []).flatMap((t) => (t.Key === undefined ? [] : [[t.Key, t.Value ?? ""]])))
  }
}
