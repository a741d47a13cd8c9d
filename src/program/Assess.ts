import type { AsgInstance, AutoScalingGroup, LaunchTemplateRef } from "../services/AutoScaling.js"
import type { InstanceHealth } from "../services/LoadBalancing.js"
import { isClassicHealthy, isTargetHealthy } from "../services/LoadBalancing.js"

/** Lifecycle states that count as running capacity, as the seed counted them. */
const RUNNING = new Set(["Pending", "Pending:Wait", "Pending:Proceed", "InService", "Rebooting"])
/** States in which an instance is leaving the group: a new one in them has failed. */
const LEAVING = /^(Terminating|Terminated|Detaching|Detached|EnteringStandby|Standby|Quarantined)/

export const isRunning = (i: AsgInstance): boolean => RUNNING.has(i.lifecycleState)

export const capacityOf = (instances: ReadonlyArray<AsgInstance>): number =>
  instances.reduce((sum, i) => sum + i.weightedCapacity, 0)

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

/** Healthy in the group and in every CLB and target group attached to it. */
export const healthyIn = (group: AutoScalingGroup, lb: LoadBalancerHealth) => {
  const ok = (list: ReadonlyArray<InstanceHealth> | undefined, pred: (h: InstanceHealth) => boolean) => {
    const healthy = new Set((list ?? []).filter(pred).map((h) => h.instanceId))
    return (id: string) => healthy.has(id)
  }
  const checks = [
    ...group.loadBalancerNames.map((n) => ok(lb.classic[n], isClassicHealthy)),
    ...group.targetGroupArns.map((a) => ok(lb.targetGroups[a], isTargetHealthy))
  ]
  return (i: AsgInstance): boolean =>
    i.lifecycleState === "InService" && i.healthStatus === "Healthy" && checks.every((c) => c(i.instanceId))
}

export interface Assessment {
  readonly newInstances: ReadonlyArray<AsgInstance>
  readonly healthyNew: ReadonlyArray<AsgInstance>
  readonly healthyCapacity: number
  /** Instances (old or new) healthy everywhere: what serves traffic now. */
  readonly servingCount: number
  readonly failed?: { readonly instanceId: string; readonly reason: string }
}

/**
 * One poll round of the wait: which new instances are healthy everywhere, and whether one has failed —
 * left the group, was marked Unhealthy, or lost a health it had (`everHealthy` holds ids seen healthy before).
 */
export const assess = (
  group: AutoScalingGroup,
  lb: LoadBalancerHealth,
  oldIds: ReadonlySet<string>,
  seenNew: ReadonlySet<string>,
  everHealthy: ReadonlySet<string>
): Assessment => {
  const healthy = healthyIn(group, lb)
  const present = new Map(group.instances.map((i) => [i.instanceId, i]))
  const newInstances = group.instances.filter((i) => !oldIds.has(i.instanceId))
  let failed: Assessment["failed"]
  for (const id of seenNew) {
    const i = present.get(id)
    if (i === undefined) failed ??= { instanceId: id, reason: "it left the group" }
    else if (LEAVING.test(i.lifecycleState)) failed ??= { instanceId: id, reason: `it went ${i.lifecycleState}` }
  }
  for (const i of newInstances) {
    if (i.healthStatus === "Unhealthy") failed ??= { instanceId: i.instanceId, reason: "the group marked it Unhealthy" }
    else if (everHealthy.has(i.instanceId) && !healthy(i)) {
      failed ??= { instanceId: i.instanceId, reason: "it turned unhealthy in a load balancer" }
    }
  }
  const healthyNew = newInstances.filter(healthy)
  const result = {
    newInstances,
    healthyNew,
    healthyCapacity: capacityOf(healthyNew),
    servingCount: group.instances.filter(healthy).length
  }
  return failed === undefined ? result : { ...result, failed }
}
