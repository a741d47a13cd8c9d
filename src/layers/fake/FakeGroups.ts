import { PROCESSES } from "./FakeAutoScaling.js"
import { countActiveByZone, launchInstance, noteLaunchTemplate, refillWarmPool, resolveVersion } from "./FakeScaling.js"
import { type GroupState, scheduleAt, type Settings, updateGroup, type World } from "./FakeState.js"
import type { GroupSpec, NeverHealthyTarget } from "./FakeWorld.js"

/** A mistake in a test's set-up, not an AWS answer: it ends the test as a defect. */
export const setupError = (message: string): never => {
  throw new Error(`fake world: ${message}`)
}

export const existingGroup = (w: World, name: string): GroupState =>
  w.groups.get(name) ?? setupError(`no group named ${name}`)

/** A group as if created long ago: its instances are InService and healthy in its load balancers now. */
export const createGroup = (w: World, spec: GroupSpec, s: Settings): void => {
  const weight = spec.instanceWeight ?? 1
  if (w.groups.has(spec.name)) setupError(`a group named ${spec.name} exists already`)
  if (!(spec.minSize <= spec.desiredCapacity && spec.desiredCapacity <= spec.maxSize)) {
    setupError(`group ${spec.name}: desired ${spec.desiredCapacity} is outside [${spec.minSize}, ${spec.maxSize}]`)
  }
  if (!Number.isInteger(weight) || weight < 1) setupError(`group ${spec.name}: instanceWeight must be a whole number ≥ 1`)
  const initialWeights = spec.initialWeights ?? []
  if (initialWeights.some((x) => !Number.isInteger(x) || x < 1)) setupError(`group ${spec.name}: initialWeights must be whole numbers ≥ 1`)
  if (spec.initialWeights !== undefined && initialWeights.reduce((a, b) => a + b, 0) < spec.desiredCapacity) {
    setupError(`group ${spec.name}: initialWeights add up to less than desired ${spec.desiredCapacity}`)
  }
  const unknown = (spec.suspendedProcesses ?? []).filter((p) => !PROCESSES.includes(p))
  if (unknown.length > 0) setupError(`group ${spec.name}: unknown processes ${unknown.join(", ")}`)
  if (spec.launchTemplate !== undefined) noteLaunchTemplate(w, spec.launchTemplate)
  const g: GroupState = {
    name: spec.name,
    minSize: spec.minSize,
    maxSize: spec.maxSize,
    desiredCapacity: spec.desiredCapacity,
    ...(spec.launchTemplate !== undefined ? { launchTemplate: spec.launchTemplate } : {}),
    ...(spec.launchConfigurationName !== undefined ? { launchConfigurationName: spec.launchConfigurationName } : {}),
    loadBalancerNames: spec.loadBalancerNames ?? [],
    targetGroupArns: spec.targetGroupArns ?? [],
    suspendedProcesses: spec.suspendedProcesses ?? [],
    tags: spec.tags ?? {},
    healthCheckType: spec.healthCheckType ?? "EC2",
    terminationPolicy: spec.terminationPolicy ?? "Default",
    instanceWeight: weight,
    instanceRefreshInProgress: false,
    instanceIds: [],
    ...(spec.warmPoolSize !== undefined ? { warmPoolSize: spec.warmPoolSize } : {}),
    warmPoolIds: []
  }
  w.groups.set(g.name, g)
  // A group names its load balancers: they exist from then on, as they would in AWS.
  for (const name of g.loadBalancerNames) w.classicLoadBalancers.set(name, w.classicLoadBalancers.get(name) ?? [])
  for (const arn of g.targetGroupArns) w.targetGroups.set(arn, w.targetGroups.get(arn) ?? [])
  const registeredAt = w.now - s.healthDelay
  // The group starts empty: its zone counts are kept up to date by each launch.
  const counts = countActiveByZone(w, g, s)
  const weights = spec.initialWeights ?? Array.from({ length: Math.ceil(g.desiredCapacity / weight) }, () => weight)
  for (const instanceWeight of weights) {
    const i = launchInstance(w, existingGroup(w, g.name), s, {
      lifecycleState: "InService",
      weight: instanceWeight,
      launchedAt: registeredAt - s.launchDelay,
      listedAt: registeredAt - s.launchDelay,
      registeredAt,
      registeredIn: { classic: g.loadBalancerNames, target: g.targetGroupArns }
    }, counts)
    for (const name of g.loadBalancerNames) w.classicLoadBalancers.set(name, [...(w.classicLoadBalancers.get(name) ?? []), i.instanceId])
    for (const arn of g.targetGroupArns) w.targetGroups.set(arn, [...(w.targetGroups.get(arn) ?? []), i.instanceId])
    scheduleAt(w, w.now, "HealthCheck", i.instanceId)
  }
  refillWarmPool(w, g.name, s, "Warmed:Stopped")
}

export const setLaunchTemplateVersion = (w: World, group: string, version: string): void => {
  const g = existingGroup(w, group)
  if (g.launchTemplate === undefined) setupError(`group ${group} has no launch template`)
  const launchTemplate = { ...g.launchTemplate, id: g.launchTemplate?.id ?? "", version }
  noteLaunchTemplate(w, launchTemplate)
  updateGroup(w, group, { launchTemplate })
}

/** A group launches from a launch configuration or a launch template, never both. */
export const setLaunchConfiguration = (w: World, group: string, name: string): void => {
  const g = existingGroup(w, group)
  const next: GroupState = {
    name: g.name,
    minSize: g.minSize,
    maxSize: g.maxSize,
    desiredCapacity: g.desiredCapacity,
    launchConfigurationName: name,
    loadBalancerNames: g.loadBalancerNames,
    targetGroupArns: g.targetGroupArns,
    suspendedProcesses: g.suspendedProcesses,
    tags: g.tags,
    healthCheckType: g.healthCheckType,
    terminationPolicy: g.terminationPolicy,
    instanceWeight: g.instanceWeight,
    instanceRefreshInProgress: g.instanceRefreshInProgress,
    instanceIds: g.instanceIds,
    ...(g.warmPoolSize !== undefined ? { warmPoolSize: g.warmPoolSize } : {}),
    warmPoolIds: g.warmPoolIds
  }
  w.groups.set(group, next)
}

/** "$Latest" / "$Default" are pinned to the number they mean at marking time. */
export const pinTarget = (w: World, target: NeverHealthyTarget): NeverHealthyTarget =>
  "launchTemplateId" in target
    ? { ...target, version: resolveVersion(w, { id: target.launchTemplateId, version: target.version }).version }
    : target
