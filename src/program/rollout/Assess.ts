import type { AsgInstance, AutoScalingGroup, LaunchTemplateRef } from "../../services/AutoScaling.js"
import type { InstanceHealth } from "../../services/LoadBalancing.js"
import { isClassicHealthy, isTargetHealthy } from "../../services/LoadBalancing.js"

/** Lifecycle states that count as running capacity, as the seed counted them. */
const RUNNING = new Set(["Pending", "Pending:Wait", "Pending:Proceed", "InService", "Rebooting"])

/** Put in Standby by someone: part of the group, not of its capacity, and never ours to terminate. */
export const isStandby = (i: AsgInstance): boolean => i.lifecycleState === "Standby" || i.lifecycleState === "EnteringStandby"
/** States in which an instance is leaving the group: a new one in them has failed. */
const LEAVING = /^(Terminating|Terminated|Detaching|Detached|EnteringStandby|Standby|Quarantined)/

export const isRunning = (i: AsgInstance): boolean => RUNNING.has(i.lifecycleState)

export const capacityOf = (instances: ReadonlyArray<AsgInstance>): number =>
  instances.reduce((sum, i) => sum + i.weightedCapacity, 0)

export const idsOf = (instances: ReadonlyArray<AsgInstance>): Array<string> => instances.map((i) => i.instanceId)

/** The group's launch spec with "$Latest"/"$Default" already resolved to a number by the caller. */
export interface LaunchSpec {
  readonly launchConfigurationName?: string
  readonly launchTemplate?: LaunchTemplateRef
}

export const isOutdated = (instance: AsgInstance, spec: LaunchSpec): boolean => {
  if (spec.launchTemplate !== undefined) {
    const lt = instance.launchTemplate
    return lt === undefined || lt.id !== spec.launchTemplate.id || lt.version !== spec.launchTemplate.version
  }
  return instance.launchConfigurationName !== spec.launchConfigurationName || instance.launchTemplate !== undefined
}

/** Health of every load balancer of a group, as read in one poll round. */
export interface LoadBalancerHealth {
  readonly classic: Readonly<Record<string, ReadonlyArray<InstanceHealth>>>
  readonly targetGroups: Readonly<Record<string, ReadonlyArray<InstanceHealth>>>
}

/**
 * A load balancer that can never route to the instance (a target in a zone its load balancer does not enable, a CLB
 * instance in a zone it is not configured for): the instance is judged by the others, as the old ones were.
 */
const unusable = (h: InstanceHealth): boolean =>
  h.state === "unused" || (h.state === "OutOfService" && /Availability Zone/i.test(h.reason ?? ""))

/** Capacity units of old instances that each CLB and target group found healthy when the rollout began. */
export interface HealthyBaseline {
  readonly classic: Readonly<Record<string, number>>
  readonly targetGroups: Readonly<Record<string, number>>
}

interface Check {
  readonly kind: "classic" | "targetGroups"
  readonly name: string
  readonly healthy: ReadonlySet<string>
  readonly unusable: ReadonlySet<string>
}

const checksOf = (group: AutoScalingGroup, lb: LoadBalancerHealth): ReadonlyArray<Check> => {
  const check = (kind: Check["kind"], name: string, list: ReadonlyArray<InstanceHealth> | undefined, pred: (h: InstanceHealth) => boolean): Check => ({
    kind,
    name,
    healthy: new Set((list ?? []).filter(pred).map((h) => h.instanceId)),
    unusable: new Set((list ?? []).filter(unusable).map((h) => h.instanceId))
  })
  return [
    ...group.loadBalancerNames.map((n) => check("classic", n, lb.classic[n], isClassicHealthy)),
    ...group.targetGroupArns.map((a) => check("targetGroups", a, lb.targetGroups[a], isTargetHealthy))
  ]
}

const inGroup = (i: AsgInstance): boolean => i.lifecycleState === "InService" && i.healthStatus === "Healthy"

/** Healthy in the group and in every CLB and target group attached to it. */
export const healthyIn = (group: AutoScalingGroup, lb: LoadBalancerHealth): (i: AsgInstance) => boolean => {
  const checks = checksOf(group, lb)
  return (i: AsgInstance): boolean => inGroup(i) && checks.every((c) => c.healthy.has(i.instanceId))
}

/** What each load balancer found healthy among `instances`, in capacity units. */
export const baselineOf = (group: AutoScalingGroup, lb: LoadBalancerHealth, instances: ReadonlyArray<AsgInstance>): HealthyBaseline => {
  const classic: Record<string, number> = {}
  const targetGroups: Record<string, number> = {}
  for (const c of checksOf(group, lb)) {
    const units = capacityOf(instances.filter((i) => inGroup(i) && c.healthy.has(i.instanceId)))
    if (c.kind === "classic") classic[c.name] = units
    else targetGroups[c.name] = units
  }
  return { classic, targetGroups }
}

export interface Assessment {
  /** Instances launched since the start that run the group's launch spec. */
  readonly newInstances: ReadonlyArray<AsgInstance>
  /** New instances InService and Healthy in the group, and healthy in every load balancer that can route to them. */
  readonly healthyNew: ReadonlyArray<AsgInstance>
  readonly healthyCapacity: number
  /** Load balancers whose new healthy capacity is still below what the old instances gave them at the start. */
  readonly short: ReadonlyArray<string>
  /** Instances (old or new) healthy everywhere: what serves traffic now. */
  readonly servingCount: number
  readonly failed?: { readonly instanceId: string; readonly reason: string }
}

export interface AssessInput {
  readonly oldIds: ReadonlySet<string>
  /** New instances seen in earlier rounds: one that is gone or leaving has failed. */
  readonly seenNew: ReadonlySet<string>
  /** New instances seen healthy before: one that is not any more has failed. */
  readonly everHealthy: ReadonlySet<string>
  /** The group's launch spec: an instance that does not run it is not new (a warm pool's, say). Absent: any. */
  readonly spec?: LaunchSpec
  /** What each load balancer had at the start; the new instances must give each at least as much. */
  readonly baseline?: HealthyBaseline
}

/**
 * One poll round of the wait: which new instances are healthy everywhere they can be, and whether one has failed —
 * left the group, was marked Unhealthy, or lost a health it had.
 */
export const assess = (group: AutoScalingGroup, lb: LoadBalancerHealth, input: AssessInput): Assessment => {
  const checks = checksOf(group, lb)
  const proven = (i: AsgInstance): boolean =>
    inGroup(i) && checks.every((c) => c.healthy.has(i.instanceId) || c.unusable.has(i.instanceId))
  const spec = input.spec
  const present = new Map(group.instances.map((i) => [i.instanceId, i]))
  const newInstances = group.instances.filter((i) => !input.oldIds.has(i.instanceId) && (spec === undefined || !isOutdated(i, spec)))
  let failed: Assessment["failed"]
  for (const id of input.seenNew) {
    const i = present.get(id)
    if (i === undefined) failed ??= { instanceId: id, reason: "it left the group" }
    else if (LEAVING.test(i.lifecycleState)) failed ??= { instanceId: id, reason: `it went ${i.lifecycleState}` }
  }
  for (const i of newInstances) {
    if (i.healthStatus === "Unhealthy") failed ??= { instanceId: i.instanceId, reason: "the group marked it Unhealthy" }
    else if (input.everHealthy.has(i.instanceId) && !proven(i)) {
      failed ??= { instanceId: i.instanceId, reason: "it turned unhealthy in a load balancer" }
    }
  }
  const healthyNew = newInstances.filter(proven)
  const baseline = input.baseline
  const short = baseline === undefined ? [] : checks.filter((c) => {
    const had = (c.kind === "classic" ? baseline.classic : baseline.targetGroups)[c.name] ?? 0
    return capacityOf(healthyNew.filter((i) => c.healthy.has(i.instanceId))) < had
  }).map((c) => c.name)
  const everywhere = (i: AsgInstance) => inGroup(i) && checks.every((c) => c.healthy.has(i.instanceId))
  const result = {
    newInstances,
    healthyNew,
    healthyCapacity: capacityOf(healthyNew),
    short,
    servingCount: group.instances.filter(everywhere).length
  }
  return failed === undefined ? result : { ...result, failed }
}
