import type { InstanceHealth } from "../../services/LoadBalancing.js"
import { beginTermination, isSuspended } from "./FakeScaling.js"
import { groupInstances, type InstanceState, type Settings, updateInstance, type World } from "./FakeState.js"

export const isNeverHealthy = (w: World, i: InstanceState): boolean =>
  w.neverHealthy.some((t) =>
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

const failing = (w: World, i: InstanceState, s: Settings): boolean => {
  const since = failingSince(w, i, s)
  return since !== undefined && since <= w.now
}

/** DescribeInstanceHealth's view of a registered instance, with AWS's descriptions. */
export const classicState = (w: World, i: InstanceState, s: Settings): InstanceHealth => {
  const state = (st: string, reason?: string): InstanceHealth =>
    reason === undefined ? { instanceId: i.instanceId, state: st } : { instanceId: i.instanceId, state: st, reason }
  if (i.lifecycleState !== "InService") return state("OutOfService", "Instance deregistration currently in progress.")
  if (failing(w, i, s)) {
    return state("OutOfService", "Instance has failed at least the UnhealthyThreshold number of health checks consecutively.")
  }
  if (w.now < (i.registeredAt ?? w.now) + s.healthDelay) {
    return state("OutOfService", "Instance registration is still in progress.")
  }
  return state("InService")
}

/** DescribeTargetHealth's view of a registered target, with AWS's reason codes. */
export const targetState = (w: World, i: InstanceState, s: Settings): InstanceHealth => {
  const state = (st: string, reason?: string): InstanceHealth =>
    reason === undefined ? { instanceId: i.instanceId, state: st } : { instanceId: i.instanceId, state: st, reason }
  if (i.lifecycleState !== "InService") return state("draining", "Target.DeregistrationInProgress")
  if (failing(w, i, s)) return state("unhealthy", "Target.FailedHealthChecks")
  if (w.now < (i.registeredAt ?? w.now) + s.healthDelay) return state("initial", "Elb.InitialHealthChecking")
  return state("healthy")
}

/**
 * The group's HealthCheck / ReplaceUnhealthy processes: with HealthCheckType ELB an instance its load balancers
 * fail is marked Unhealthy and, unless ReplaceUnhealthy or Terminate is suspended, replaced.
 */
export const checkGroupHealth = (w: World, name: string, s: Settings): void => {
  const g = w.groups.get(name)
  if (g === undefined || g.healthCheckType !== "ELB" || isSuspended(g, "HealthCheck")) return
  for (const i of groupInstances(w, g)) {
    if (i.lifecycleState !== "InService" || !failing(w, i, s)) continue
    const marked = i.healthStatus === "Unhealthy" ? i : updateInstance(w, i.instanceId, { healthStatus: "Unhealthy" })
    if (!isSuspended(g, "ReplaceUnhealthy") && !isSuspended(g, "Terminate")) beginTermination(w, marked, s)
  }
}

/** InService in the group and healthy in every one of its load balancers. */
export const isServing = (w: World, i: InstanceState, s: Settings): boolean => {
  const g = w.groups.get(i.group)
  if (g === undefined || i.lifecycleState !== "InService" || i.healthStatus !== "Healthy") return false
  const inClassic = (name: string) =>
    (w.classicLoadBalancers.get(name) ?? []).includes(i.instanceId) && classicState(w, i, s).state === "InService"
  const inTarget = (arn: string) =>
    (w.targetGroups.get(arn) ?? []).includes(i.instanceId) && targetState(w, i, s).state === "healthy"
  return g.loadBalancerNames.every(inClassic) && g.targetGroupArns.every(inTarget)
}
