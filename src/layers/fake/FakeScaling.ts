import type { LaunchTemplateRef } from "../../services/AutoScaling.js"
import {
  activeCapacity,
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

/** `zonesOf` once per settings: it is read at every launch. */
const zoneCache = new WeakMap<Settings, ReadonlyArray<string>>()
const zones = (s: Settings): ReadonlyArray<string> => {
  let z = zoneCache.get(s)
  if (z === undefined) zoneCache.set(s, z = zonesOf(s))
  return z
}

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

const zeroCounts = (s: Settings): Map<string, number> => {
  const counts = new Map<string, number>()
  for (const z of zones(s)) counts.set(z, 0)
  return counts
}

const countByZone = (s: Settings, instances: ReadonlyArray<InstanceState>): Map<string, number> => {
  const counts = zeroCounts(s)
  for (const i of instances) counts.set(i.availabilityZone, (counts.get(i.availabilityZone) ?? 0) + 1)
  return counts
}

/** `countByZone(s, activeInstances(w, g))` without the array: this runs at every launch. */
export const countActiveByZone = (w: World, g: GroupState, s: Settings): Map<string, number> => {
  const counts = zeroCounts(s)
  const ids = g.instanceIds
  for (let k = 0; k < ids.length; k++) {
    const i = w.instances.get(ids[k] as string)
    if (i !== undefined && isActive(i)) counts.set(i.availabilityZone, (counts.get(i.availabilityZone) ?? 0) + 1)
  }
  return counts
}

/** `activeCapacity(w, g)` and `countActiveByZone(w, g, s)` in one pass. */
const activeCapacityAndZones = (w: World, g: GroupState, s: Settings): [number, Map<string, number>] => {
  const counts = zeroCounts(s)
  let capacity = 0
  const ids = g.instanceIds
  for (let k = 0; k < ids.length; k++) {
    const i = w.instances.get(ids[k] as string)
    if (i === undefined || !isActive(i)) continue
    capacity += i.weight
    counts.set(i.availabilityZone, (counts.get(i.availabilityZone) ?? 0) + 1)
  }
  return [capacity, counts]
}

/** The zone with the fewest instances among those with capacity to launch in, and that count. */
const emptiestWithCapacity = (w: World, s: Settings, counts: Map<string, number>): [string, number] => {
  let best = zones(s)[0] ?? s.region
  let fewest = Number.POSITIVE_INFINITY
  for (const [zone, n] of counts) {
    if (n < fewest && !w.zonesShort.has(zone)) {
      best = zone
      fewest = n
    }
  }
  return [best, fewest]
}

/** New instances go to the zone with the fewest, as AWS balances zones; a zone short of capacity is passed over. */
const zoneForLaunch = (w: World, g: GroupState, s: Settings, counts = countActiveByZone(w, g, s)): string =>
  emptiestWithCapacity(w, s, counts)[0]

/**
 * Adds one Pending instance to the group; it goes InService after launchDelay. `counts`: the group's active instances
 * by zone (`countActiveByZone`) when a caller launching several in a row keeps them; counted here otherwise, and
 * brought up to date with the new instance either way.
 */
export const launchInstance = (
  w: World,
  g: GroupState,
  s: Settings,
  overrides: Partial<InstanceState> = {},
  counts: Map<string, number> = countActiveByZone(w, g, s)
): InstanceState => {
  const instance: InstanceState = {
    instanceId: instanceIdOf(++w.instanceSerial),
    group: g.name,
    lifecycleState: "Pending",
    healthStatus: "Healthy",
    availabilityZone: zoneForLaunch(w, g, s, counts),
    protectedFromScaleIn: false,
    ...(g.launchTemplate !== undefined ? { launchTemplate: resolveVersion(w, g.launchTemplate) } : {}),
    ...(g.launchConfigurationName !== undefined ? { launchConfigurationName: g.launchConfigurationName } : {}),
    weight: g.instanceWeight,
    launchedAt: w.now,
    ...(s.listingDelay > 0 ? { listedAt: w.now + s.listingDelay } : {}),
    ...overrides
  }
  if (instance.failingFrom !== undefined) w.failingFromSet = true
  w.instances.set(instance.instanceId, instance)
  updateGroup(w, g.name, { instanceIds: g.instanceIds.concat(instance.instanceId) })
  if (isActive(instance)) counts.set(instance.availabilityZone, (counts.get(instance.availabilityZone) ?? 0) + 1)
  if (instance.lifecycleState === "Pending") scheduleAt(w, w.now + s.launchDelay, "InService", instance.instanceId)
  return instance
}

/**
 * A warm pool instance joins the group: Pending, then InService like a launch, but with the launch spec it was built
 * from (AWS does not rebuild a pool when the template changes). The pool is refilled from the group's spec of now.
 */
const takeFromWarmPool = (w: World, g: GroupState, s: Settings, counts: Map<string, number>): InstanceState | undefined => {
  const id = g.warmPoolIds.find((x) => w.instances.get(x)?.lifecycleState === "Warmed:Stopped")
  if (id === undefined) return undefined
  const instance = updateInstance(w, id, {
    lifecycleState: "Pending",
    ...(s.listingDelay > 0 ? { listedAt: w.now + s.listingDelay } : {})
  })
  updateGroup(w, g.name, { instanceIds: g.instanceIds.concat(id), warmPoolIds: g.warmPoolIds.filter((x) => x !== id) })
  counts.set(instance.availabilityZone, (counts.get(instance.availabilityZone) ?? 0) + 1)
  scheduleAt(w, w.now + s.launchDelay, "InService", id)
  refillWarmPool(w, g.name, s)
  return instance
}

/** Launches pool instances (Warmed:Pending, stopped after the launch delay) until the pool has its size again. */
export const refillWarmPool = (w: World, name: string, s: Settings, state: "Warmed:Pending" | "Warmed:Stopped" = "Warmed:Pending"): void => {
  let g = w.groups.get(name)
  const size = g?.warmPoolSize
  if (g === undefined || size === undefined) return
  while (g.warmPoolIds.length < size) {
    const instance: InstanceState = {
      instanceId: instanceIdOf(++w.instanceSerial),
      group: g.name,
      lifecycleState: state,
      healthStatus: "Healthy",
      availabilityZone: zoneForLaunch(w, g, s),
      protectedFromScaleIn: false,
      ...(g.launchTemplate !== undefined ? { launchTemplate: resolveVersion(w, g.launchTemplate) } : {}),
      ...(g.launchConfigurationName !== undefined ? { launchConfigurationName: g.launchConfigurationName } : {}),
      weight: g.instanceWeight,
      launchedAt: w.now
    }
    w.instances.set(instance.instanceId, instance)
    g = updateGroup(w, g.name, { warmPoolIds: g.warmPoolIds.concat(instance.instanceId) })
    if (state === "Warmed:Pending") scheduleAt(w, w.now + s.launchDelay, "Warmed", instance.instanceId)
  }
}

/** Termination is only requested: the instance drains from its load balancers, then is Terminated. */
export const beginTermination = (w: World, instance: InstanceState, s: Settings): void => {
  if (!isActive(instance) && instance.lifecycleState !== "Standby" && instance.lifecycleState !== "EnteringStandby") return
  updateInstance(w, instance.instanceId, { lifecycleState: "Terminating" })
  scheduleAt(w, w.now + s.drainDelay, "Terminated", instance.instanceId)
}

export const finishTermination = (w: World, instance: InstanceState): void => {
  updateInstance(w, instance.instanceId, { lifecycleState: "Terminated", terminatedAt: w.now })
  const g = w.groups.get(instance.group)
  if (g !== undefined) {
    updateGroup(w, g.name, { instanceIds: g.instanceIds.filter((id) => id !== instance.instanceId) })
  }
  deregister(w, instance)
}

/** Takes the instance out of its load balancers' lists. */
export const deregister = (w: World, instance: InstanceState): void => {
  // Only the lists it was registered in can hold it (see `registeredIn`): no other load balancer needs a look.
  const leave = (lbs: Map<string, ReadonlyArray<string>>, names: ReadonlyArray<string>) => {
    for (const name of names) {
      const ids = lbs.get(name)
      if (ids !== undefined && ids.includes(instance.instanceId)) lbs.set(name, ids.filter((id) => id !== instance.instanceId))
    }
  }
  const registeredIn = instance.registeredIn
  if (registeredIn === undefined) return
  leave(w.classicLoadBalancers, registeredIn.classic)
  leave(w.targetGroups, registeredIn.target)
}

const HOUR = 3_600_000

type Order = (a: InstanceState, b: InstanceState) => number

/** Launch configurations before templates, then a template or configuration that is not the group's, then older versions. */
const oldestSpecFirst = (g: GroupState): Order => {
  const rankOf = (i: InstanceState): number => {
    if (g.launchTemplate !== undefined) {
      if (i.launchTemplate === undefined) return 0
      return i.launchTemplate.id !== g.launchTemplate.id ? 1 : 2
    }
    return i.launchConfigurationName !== g.launchConfigurationName ? 0 : 1
  }
  const version = (i: InstanceState): number => Number(i.launchTemplate?.version ?? 0)
  return (a, b) => rankOf(a) - rankOf(b) || version(a) - version(b)
}

/** Closest to the next billing hour first. */
const nextHourFirst = (now: number): Order => (a, b) =>
  (HOUR - ((now - a.launchedAt) % HOUR)) - (HOUR - ((now - b.launchedAt) % HOUR))

const byAge: Order = (a, b) => a.launchedAt - b.launchedAt

/** The order of a termination policy, AWS's Default one after it, the id standing in for AWS's random last pick. */
const victimOrder = (g: GroupState, now: number): Order => {
  const fallback: ReadonlyArray<Order> = [oldestSpecFirst(g), nextHourFirst(now)]
  const first: ReadonlyArray<Order> = g.terminationPolicy === "NewestInstance"
    ? [(a, b) => -byAge(a, b)]
    : g.terminationPolicy === "OldestInstance"
    ? [byAge]
    : g.terminationPolicy === "ClosestToNextInstanceHour"
    ? [nextHourFirst(now)]
    : g.terminationPolicy === "OldestLaunchTemplate" || g.terminationPolicy === "OldestLaunchConfiguration"
    ? [oldestSpecFirst(g)]
    : []
  const orders = [...first, ...fallback]
  return (a, b) => {
    for (const order of orders) {
      const d = order(a, b)
      if (d !== 0) return d
    }
    return a.instanceId.localeCompare(b.instanceId)
  }
}

/**
 * Which instance the group gives up on scale-in, as AWS chooses: the zone with the most instances first (among
 * zones with one not protected from scale-in), then the termination policy within it.
 */
const chooseVictim = (w: World, active: ReadonlyArray<InstanceState>, g: GroupState, s: Settings): InstanceState | undefined => {
  const candidates = active.filter((i) => !i.protectedFromScaleIn)
  const counts = countByZone(s, active)
  const crowded = Math.max(...candidates.map((i) => counts.get(i.availabilityZone) ?? 0))
  return candidates.filter((i) => (counts.get(i.availabilityZone) ?? 0) === crowded).sort(victimOrder(g, w.now))[0]
}

/** Brings the group to its desired capacity, as far as its suspended processes let it. */
export const reconcileGroup = (w: World, name: string, s: Settings): void => {
  let g = w.groups.get(name)
  if (g === undefined) return
  // When the group may rebalance, its zone counts come from the same pass as its capacity.
  let capacity: number
  let zoneCounts: Map<string, number> | undefined
  if (rebalances(g)) [capacity, zoneCounts] = activeCapacityAndZones(w, g, s)
  else capacity = activeCapacity(w, g)
  if (capacity < g.desiredCapacity && !isSuspended(g, "Launch")) {
    // Each launch adds its instance to the counts: the zones are not counted again for the next one.
    const counts = zoneCounts ?? countActiveByZone(w, g, s)
    while (capacity < g.desiredCapacity) {
      const joined = takeFromWarmPool(w, g, s, counts) ?? launchInstance(w, g, s, {}, counts)
      capacity += joined.weight
      g = w.groups.get(name) ?? g
    }
    return
  }
  if (capacity === g.desiredCapacity) return rebalanceZones(w, name, s, zoneCounts)
  if (capacity > g.desiredCapacity && !isSuspended(g, "Terminate")) {
    const remaining = [...activeInstances(w, g)]
    for (;;) {
      const victim = chooseVictim(w, remaining, g, s)
      if (victim === undefined || capacity - victim.weight < g.desiredCapacity) return
      beginTermination(w, victim, s)
      capacity -= victim.weight
      remaining.splice(remaining.indexOf(victim), 1)
    }
  }
}

const rebalances = (g: GroupState): boolean =>
  !isSuspended(g, "AZRebalance") && !isSuspended(g, "Launch") && !isSuspended(g, "Terminate")

/**
 * AZRebalance: after explicit terminations leave zones two or more apart, launch in the emptiest that has capacity, retire
 * from the fullest.
 * `counts`: the group's active instances by zone, when the caller counted them on the group as it is now.
 */
const rebalanceZones = (w: World, name: string, s: Settings, counted?: Map<string, number>): void => {
  for (let counts = counted; ; counts = undefined) {
    const g = w.groups.get(name)
    if (g === undefined || !rebalances(g)) return
    counts ??= countActiveByZone(w, g, s)
    // The launch goes to the emptiest zone that has capacity: only that one can be brought up.
    const fewest = emptiestWithCapacity(w, s, counts)[1]
    // Balanced zones need no victim: ranking the instances is the costly part.
    if (Math.max(...counts.values()) - fewest < 2) return
    const victim = chooseVictim(w, activeInstances(w, g), g, s)
    if (victim === undefined || (counts.get(victim.availabilityZone) ?? 0) - fewest < 2) return
    launchInstance(w, g, s)
    beginTermination(w, victim, s)
  }
}
