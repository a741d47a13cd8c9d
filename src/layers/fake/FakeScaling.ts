import type { LaunchTemplateRef } from "../../services/AutoScaling.js"
import {
  activeInstances,
  type GroupState,
  instanceIdOf,
  type InstanceState,
  isActive,
  scheduleAt,
  type Settings,
  updateGroup,
  updateInstance,
  type World
} from "./FakeState.js"

export const isSuspended = (g: GroupState, process: string): boolean => g.suspendedProcesses.includes(process)

export const zonesOf = (s: Settings): ReadonlyArray<string> => ["a", "b", "c"].map((z) => `${s.region}${z}`)

/** Records a version a group was set to: "latest" is the highest number any group was set to. */
export const noteLaunchTemplate = (w: World, ref: LaunchTemplateRef): void => {
  const known = w.launchTemplates.get(ref.id) ?? { latest: 1, default: 1 }
  const version = Number(ref.version)
  w.launchTemplates.set(ref.id, {
    ...known,
    latest: Number.isInteger(version) ? Math.max(known.latest, version) : known.latest
  })
}

/** "$Latest" / "$Default" as the instance will report them: a number. */
export const resolveVersion = (w: World, ref: LaunchTemplateRef): LaunchTemplateRef => {
  const known = w.launchTemplates.get(ref.id) ?? { latest: 1, default: 1 }
  const version = ref.version === "$Latest"
    ? String(known.latest)
    : ref.version === "$Default"
    ? String(known.default)
    : ref.version
  return { ...ref, version }
}

const countByZone = (s: Settings, instances: ReadonlyArray<InstanceState>): Map<string, number> => {
  const counts = new Map(zonesOf(s).map((z) => [z, 0]))
  for (const i of instances) counts.set(i.availabilityZone, (counts.get(i.availabilityZone) ?? 0) + 1)
  return counts
}

/** New instances go to the zone with the fewest, as AWS balances zones. */
const zoneForLaunch = (w: World, g: GroupState, s: Settings): string => {
  let best = zonesOf(s)[0] ?? s.region
  let fewest = Number.POSITIVE_INFINITY
  for (const [zone, n] of countByZone(s, activeInstances(w, g))) {
    if (n < fewest) [best, fewest] = [zone, n]
  }
  return best
}

/** Adds one Pending instance to the group; it goes InService after launchDelay. */
export const launchInstance = (
  w: World,
  g: GroupState,
  s: Settings,
  overrides: Partial<InstanceState> = {}
): InstanceState => {
  const instance: InstanceState = {
    instanceId: instanceIdOf(++w.instanceSerial),
    group: g.name,
    lifecycleState: "Pending",
    healthStatus: "Healthy",
    availabilityZone: zoneForLaunch(w, g, s),
    protectedFromScaleIn: false,
    ...(g.launchTemplate !== undefined ? { launchTemplate: resolveVersion(w, g.launchTemplate) } : {}),
    ...(g.launchConfigurationName !== undefined ? { launchConfigurationName: g.launchConfigurationName } : {}),
    weight: g.instanceWeight,
    launchedAt: w.now,
    ...overrides
  }
  w.instances.set(instance.instanceId, instance)
  updateGroup(w, g.name, { instanceIds: [...g.instanceIds, instance.instanceId] })
  if (instance.lifecycleState === "Pending") scheduleAt(w, w.now + s.launchDelay, "InService", instance.instanceId)
  return instance
}

/** Termination is only requested: the instance drains from its load balancers, then is Terminated. */
export const beginTermination = (w: World, instance: InstanceState, s: Settings): void => {
  if (!isActive(instance)) return
  updateInstance(w, instance.instanceId, { lifecycleState: "Terminating" })
  scheduleAt(w, w.now + s.drainDelay, "Terminated", instance.instanceId)
}

export const finishTermination = (w: World, instance: InstanceState): void => {
  updateInstance(w, instance.instanceId, { lifecycleState: "Terminated", terminatedAt: w.now })
  const g = w.groups.get(instance.group)
  if (g !== undefined) {
    updateGroup(w, g.name, { instanceIds: g.instanceIds.filter((id) => id !== instance.instanceId) })
  }
  const leave = (lbs: Map<string, ReadonlyArray<string>>) => {
    for (const [name, ids] of lbs) {
      if (ids.includes(instance.instanceId)) lbs.set(name, ids.filter((id) => id !== instance.instanceId))
    }
  }
  leave(w.classicLoadBalancers)
  leave(w.targetGroups)
}

/** Which instance the group gives up on scale-in: zone balance first, then the termination policy. */
const chooseVictim = (active: ReadonlyArray<InstanceState>, g: GroupState, s: Settings): InstanceState | undefined => {
  const candidates = active.filter((i) => !i.protectedFromScaleIn)
  const ranked = [...candidates].sort((a, b) => {
    const age = a.launchedAt - b.launchedAt || a.instanceId.localeCompare(b.instanceId)
    return g.terminationPolicy === "NewestInstance" ? -age : age
  })
  const counts = countByZone(s, active)
  const crowded = Math.max(...ranked.map((i) => counts.get(i.availabilityZone) ?? 0))
  return ranked.find((i) => (counts.get(i.availabilityZone) ?? 0) === crowded)
}

/** Brings the group to its desired capacity, as far as its suspended processes let it. */
export const reconcileGroup = (w: World, name: string, s: Settings): void => {
  let g = w.groups.get(name)
  if (g === undefined) return
  const active = activeInstances(w, g)
  let capacity = active.reduce((n, i) => n + i.weight, 0)
  if (capacity < g.desiredCapacity && !isSuspended(g, "Launch")) {
    for (; capacity < g.desiredCapacity; capacity += g.instanceWeight) {
      launchInstance(w, g, s)
      g = w.groups.get(name) ?? g
    }
    return
  }
  if (capacity === g.desiredCapacity) return rebalanceZones(w, name, s)
  if (capacity > g.desiredCapacity && !isSuspended(g, "Terminate")) {
    const remaining = [...active]
    for (;;) {
      const victim = chooseVictim(remaining, g, s)
      if (victim === undefined || capacity - victim.weight < g.desiredCapacity) return
      beginTermination(w, victim, s)
      capacity -= victim.weight
      remaining.splice(remaining.indexOf(victim), 1)
    }
  }
}

/** AZRebalance: after explicit terminations leave zones two or more apart, launch in the emptiest, retire from the fullest. */
const rebalanceZones = (w: World, name: string, s: Settings): void => {
  for (;;) {
    const g = w.groups.get(name)
    if (g === undefined || ["AZRebalance", "Launch", "Terminate"].some((p) => isSuspended(g, p))) return
    const active = activeInstances(w, g)
    const counts = countByZone(s, active)
    const fewest = Math.min(...counts.values())
    // Balanced zones need no victim: ranking the instances is the costly part.
    if (Math.max(...counts.values()) - fewest < 2) return
    const victim = chooseVictim(active, g, s)
    if (victim === undefined || (counts.get(victim.availabilityZone) ?? 0) - fewest < 2) return
    launchInstance(w, g, s)
    beginTermination(w, victim, s)
  }
}
