import type { InstanceHealth } from "../../services/LoadBalancing.js"
import { beginTermination, isSuspended } from "./FakeScaling.js"
import { type InstanceState, type Settings, updateInstance, type World } from "./FakeState.js"

export const isNeverHealthy = (w: World, i: InstanceState): boolean =>
  w.neverHealthy.length > 0 && w.neverHealthy.some((t) =>
    "instanceId" in t
      ? t.instanceId === i.instanceId
      : "launchConfigurationName" in t
      ? t.launchConfigurationName === i.launchConfigurationName
      : t.launchTemplateId === i.launchTemplate?.id && t.version === i.launchTemplate.version
  )

/** From when the load balancers see the instance fail; undefined while it passes (or is not registered). */
export const failingSince = (w: World, i: InstanceState, s: Settings): number | undefined => {
  if (i.registeredAt === undefined) return undefined
  // The earlier of the two causes; no arrays, as this runs for every instance after every change.
  const neverHealthy = isNeverHealthy(w, i) ? i.registeredAt + s.healthDelay : undefined
  const madeUnhealthy = i.failingFrom !== undefined ? Math.max(i.failingFrom, i.registeredAt) : undefined
  if (neverHealthy === undefined) return madeUnhealthy
  return madeUnhealthy === undefined ? neverHealthy : Math.min(neverHealthy, madeUnhealthy)
}

/**
 * Whether `failingSince` can be anything but undefined: a release marked never healthy or a `makeUnhealthy`.
 * Checked first because it reads no number field, which would cost an allocation per instance per check.
 */
const mayFail = (w: World, i: InstanceState): boolean => w.neverHealthy.length > 0 || i.failingFrom !== undefined

const failing = (w: World, i: InstanceState, s: Settings): boolean => {
  const since = failingSince(w, i, s)
  return since !== undefined && since <= w.now
}

/** `{ instanceId, state }`, with `reason` after them when there is one, as AWS's answers read. */
const health = (i: InstanceState, state: string, reason?: string): InstanceHealth =>
  reason === undefined ? { instanceId: i.instanceId, state } : { instanceId: i.instanceId, state, reason }

/** DescribeInstanceHealth's view of a registered instance, with AWS's descriptions. */
/** Whether the load balancer behind `name` (a CLB name or a target group ARN) routes to the instance's zone. */
const zoneEnabled = (w: World, name: string, i: InstanceState): boolean => {
  const zones = w.loadBalancerZones.get(name)
  return zones === undefined || zones.includes(i.availabilityZone)
}

export const classicState = (w: World, i: InstanceState, s: Settings, name: string): InstanceHealth => {
  if (i.lifecycleState !== "InService") return health(i, "OutOfService", "Instance deregistration currently in progress.")
  if (!zoneEnabled(w, name, i)) {
    return health(i, "OutOfService", "Instance is in an Availability Zone for which LoadBalancer is not configured to route traffic to.")
  }
  if (mayFail(w, i) && failing(w, i, s)) {
    return health(i, "OutOfService", "Instance has failed at least the UnhealthyThreshold number of health checks consecutively.")
  }
  if (w.now < (i.registeredAt ?? w.now) + s.healthDelay) {
    return health(i, "OutOfService", "Instance registration is still in progress.")
  }
  return health(i, "InService")
}

/** DescribeTargetHealth's view of a registered target, with AWS's reason codes. */
export const targetState = (w: World, i: InstanceState, s: Settings, arn: string): InstanceHealth => {
  if (i.lifecycleState !== "InService") return health(i, "draining", "Target.DeregistrationInProgress")
  if (!zoneEnabled(w, arn, i)) return health(i, "unused", "Target.NotInUse")
  if (mayFail(w, i) && failing(w, i, s)) return health(i, "unhealthy", "Target.FailedHealthChecks")
  if (w.now < (i.registeredAt ?? w.now) + s.healthDelay) return health(i, "initial", "Elb.InitialHealthChecking")
  return health(i, "healthy")
}

/**
 * The group's HealthCheck / ReplaceUnhealthy processes: with HealthCheckType ELB an instance its load balancers
 * fail is marked Unhealthy and, unless ReplaceUnhealthy or Terminate is suspended, replaced.
 */
export const checkGroupHealth = (w: World, name: string, s: Settings): void => {
  const g = w.groups.get(name)
  if (g === undefined || g.healthCheckType !== "ELB" || isSuspended(g, "HealthCheck")) return
  // No instance can fail yet (see `failingFromSet`): nothing to mark.
  if (w.neverHealthy.length === 0 && !w.failingFromSet) return
  // Over the ids of the group as it was at the start, each instance as it is now: only instance `i` changes at
  // step `i`, so this sees what a copy of the instances taken at the start would, without the copy.
  const ids = g.instanceIds
  for (let k = 0; k < ids.length; k++) {
    const i = w.instances.get(ids[k] as string)
    if (i === undefined || i.lifecycleState !== "InService" || !mayFail(w, i) || !failing(w, i, s)) continue
    const marked = i.healthStatus === "Unhealthy" ? i : updateInstance(w, i.instanceId, { healthStatus: "Unhealthy" })
    if (!isSuspended(g, "ReplaceUnhealthy") && !isSuspended(g, "Terminate")) beginTermination(w, marked, s)
  }
}

/** InService in the group and healthy in every one of its load balancers. */
export const isServing = (w: World, i: InstanceState, s: Settings): boolean => {
  const g = w.groups.get(i.group)
  if (g === undefined || i.lifecycleState !== "InService" || i.healthStatus !== "Healthy") return false
  const inClassic = (name: string) =>
    (w.classicLoadBalancers.get(name) ?? []).includes(i.instanceId) && classicState(w, i, s, name).state === "InService"
  const inTarget = (arn: string) =>
    (w.targetGroups.get(arn) ?? []).includes(i.instanceId) && targetState(w, i, s, arn).state === "healthy"
  return g.loadBalancerNames.every(inClassic) && g.targetGroupArns.every(inTarget)
}
