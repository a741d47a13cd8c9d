import * as Either from "effect/Either"
import { type ResolveContext, resolveValue, type ResourceDeclaration } from "../../template/Template.js"
import type { LaunchTemplateRef } from "../../services/AutoScaling.js"
import { createGroup, setupError } from "./FakeGroups.js"
import { hex, nextSerial, type Settings, type World } from "./FakeState.js"
import type { GroupSpec } from "./FakeWorld.js"

/** What CloudFormation knows of a resource once created: `Ref` gives the physical id, `Fn::GetAtt` the attributes. */
export interface Provisioned {
  readonly physicalId: string
  readonly attributes: Readonly<Record<string, unknown>>
}

const literal = (props: Readonly<Record<string, unknown>>, key: string): string | undefined => {
  const v = props[key]
  return typeof v === "string" ? v : undefined
}

/** Physical ids shaped like AWS's, numbered by the world's counter so runs repeat exactly. */
export const provisionId = (
  w: World,
  s: Settings,
  stackName: string,
  logicalId: string,
  resource: ResourceDeclaration
): Provisioned => {
  const serial = nextSerial(w)
  const generated = `${stackName}-${logicalId}-${hex(serial, 12).toUpperCase()}`
  const props = resource.Properties
  switch (resource.Type) {
    case "AWS::AutoScaling::AutoScalingGroup":
      return { physicalId: literal(props, "AutoScalingGroupName") ?? generated, attributes: {} }
    case "AWS::EC2::LaunchTemplate": {
      const id = `lt-0${hex(serial, 16)}`
      w.launchTemplates.set(id, w.launchTemplates.get(id) ?? { latest: 1, default: 1 })
      return { physicalId: id, attributes: { LaunchTemplateId: id, LatestVersionNumber: "1", DefaultVersionNumber: "1" } }
    }
    case "AWS::ElasticLoadBalancing::LoadBalancer": {
      const name = literal(props, "LoadBalancerName") ?? generated.slice(-32)
      w.classicLoadBalancers.set(name, w.classicLoadBalancers.get(name) ?? [])
      return { physicalId: name, attributes: { DNSName: `${name}.${s.region}.elb.amazonaws.com` } }
    }
    case "AWS::ElasticLoadBalancingV2::TargetGroup": {
      const name = literal(props, "Name") ?? generated.slice(-32)
      const arn = `arn:aws:elasticloadbalancing:${s.region}:${s.accountId}:targetgroup/${name}/${hex(serial, 16)}`
      w.targetGroups.set(arn, w.targetGroups.get(arn) ?? [])
      return { physicalId: arn, attributes: { TargetGroupArn: arn, TargetGroupName: name, LoadBalancerArns: [] } }
    }
    case "AWS::CloudFormation::Stack": {
      // A nested stack's physical id is its ARN; its name is the generated one.
      const arn = `arn:aws:cloudformation:${s.region}:${s.accountId}:stack/${generated}/00000000-0000-4000-8000-${hex(nextSerial(w), 12)}`
      return { physicalId: arn, attributes: {} }
    }
  }
  return { physicalId: generated, attributes: {} }
}

const record = (u: unknown): Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u) ? (u as Record<string, unknown>) : {}

const strings = (u: unknown): ReadonlyArray<string> => (Array.isArray(u) ? u.map(String) : [])

export const launchTemplateOf = (spec: Readonly<Record<string, unknown>>): LaunchTemplateRef | undefined => {
  const id = spec["LaunchTemplateId"] ?? spec["LaunchTemplateName"]
  if (id === undefined) return undefined
  const name = spec["LaunchTemplateName"]
  return {
    id: String(id),
    ...(name !== undefined ? { name: String(name) } : {}),
    version: String(spec["Version"] ?? "$Default")
  }
}

/** The group an AWS::AutoScaling::AutoScalingGroup resource describes, its properties evaluated. */
export const provisionGroup = (
  w: World,
  s: Settings,
  name: string,
  resource: ResourceDeclaration,
  ctx: ResolveContext
): void => {
  const resolved = resolveValue(resource.Properties, ctx)
  if (Either.isLeft(resolved)) setupError(`cannot create group ${name}: ${resolved.left.message}`)
  const props = record(Either.getOrUndefined(resolved))
  const minSize = Number(props["MinSize"] ?? 0)
  const launchTemplate = launchTemplateOf(record(props["LaunchTemplate"])) ??
    launchTemplateOf(record(record(record(props["MixedInstancesPolicy"])["LaunchTemplate"])["LaunchTemplateSpecification"]))
  const lc = props["LaunchConfigurationName"]
  const policy = strings(props["TerminationPolicies"]).find((p) => p === "NewestInstance" || p === "OldestInstance")
  const spec: GroupSpec = {
    name,
    minSize,
    maxSize: Number(props["MaxSize"] ?? minSize),
    desiredCapacity: Number(props["DesiredCapacity"] ?? minSize),
    ...(launchTemplate !== undefined ? { launchTemplate } : {}),
    ...(lc !== undefined ? { launchConfigurationName: String(lc) } : {}),
    loadBalancerNames: strings(props["LoadBalancerNames"]),
    targetGroupArns: strings(props["TargetGroupARNs"]),
    tags: Object.fromEntries(
      (Array.isArray(props["Tags"]) ? props["Tags"] : []).map((t) => [String(record(t)["Key"]), String(record(t)["Value"])])
    ),
    healthCheckType: props["HealthCheckType"] === "ELB" ? "ELB" : "EC2",
    ...(policy === "NewestInstance" || policy === "OldestInstance" ? { terminationPolicy: policy } : {})
  }
  createGroup(w, spec, s)
}
