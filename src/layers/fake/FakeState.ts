import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import type { TemplateDocument } from "../../program/Template.js"
import type { LaunchTemplateRef } from "../../services/AutoScaling.js"
import type { StackEvent } from "../../services/CloudFormation.js"
import type { CallRecord, FakeWorldOptions, NeverHealthyTarget } from "./FakeWorld.js"

/** The options with their defaults applied, delays in milliseconds. */
export interface Settings {
  readonly launchDelay: number
  readonly healthDelay: number
  readonly drainDelay: number
  readonly stackEventInterval: number
  readonly region: string
  readonly accountId: string
}

export const settingsOf = (options: FakeWorldOptions): Settings => ({
  launchDelay: Duration.toMillis(Duration.decode(options.launchDelay ?? "60 seconds")),
  healthDelay: Duration.toMillis(Duration.decode(options.healthDelay ?? "30 seconds")),
  drainDelay: Duration.toMillis(Duration.decode(options.drainDelay ?? "10 seconds")),
  stackEventInterval: Duration.toMillis(Duration.decode(options.stackEventInterval ?? "5 seconds")),
  region: options.region ?? "eu-west-1",
  accountId: "123456789012"
})

export interface GroupState {
  readonly name: string
  readonly minSize: number
  readonly maxSize: number
  readonly desiredCapacity: number
  readonly launchTemplate?: LaunchTemplateRef
  readonly launchConfigurationName?: string
  readonly loadBalancerNames: ReadonlyArray<string>
  readonly targetGroupArns: ReadonlyArray<string>
  readonly suspendedProcesses: ReadonlyArray<string>
  readonly tags: Readonly<Record<string, string>>
  readonly healthCheckType: "EC2" | "ELB"
  readonly terminationPolicy: "NewestInstance" | "OldestInstance"
  readonly instanceWeight: number
  readonly instanceRefreshInProgress: boolean
  /** Its instances that are not Terminated yet, oldest first. */
  readonly instanceIds: ReadonlyArray<string>
}

export type LifecycleState = "Pending" | "InService" | "Terminating" | "Terminated"

export interface InstanceState {
  readonly instanceId: string
  readonly group: string
  readonly lifecycleState: LifecycleState
  readonly healthStatus: "Healthy" | "Unhealthy"
  readonly availabilityZone: string
  readonly protectedFromScaleIn: boolean
  /** The version resolved at launch: a number, never $Latest / $Default. */
  readonly launchTemplate?: LaunchTemplateRef
  readonly launchConfigurationName?: string
  readonly weight: number
  readonly launchedAt: number
  /** When it joined its group's load balancers (InService with AddToLoadBalancer running). */
  readonly registeredAt?: number
  /** From when its health checks fail (`makeUnhealthy`). */
  readonly failingFrom?: number
  readonly terminatedAt?: number
}

export type ScheduledKind = "InService" | "HealthCheck" | "ExternalTermination" | "Terminated"

export interface ScheduledEvent {
  readonly at: number
  /** Orders events of the same instant by the order they were scheduled in. */
  readonly seq: number
  readonly kind: ScheduledKind
  readonly instanceId: string
}

export interface StackResourceState {
  readonly logicalId: string
  readonly physicalId: string
  readonly resourceType: string
  readonly status: string
  readonly statusReason?: string
}

export interface StackState {
  readonly stackId: string
  readonly stackName: string
  readonly status: string
  readonly statusReason?: string
  /** As sent, NoEcho values unmasked; DescribeStacks masks them. */
  readonly parameters: Readonly<Record<string, string>>
  readonly templateBody: string
  readonly template: TemplateDocument
  readonly capabilities: ReadonlyArray<string>
  /** In template order. */
  readonly resources: ReadonlyArray<StackResourceState>
  /** Oldest first; DescribeStackEvents answers newest first. */
  readonly events: ReadonlyArray<StackEvent>
  /** Armed by `failNextStackUpdate`, consumed by the next UpdateStack. */
  readonly nextUpdateFailure?: { readonly logicalId: string; readonly reason: string }
}

export interface LaunchTemplateState {
  readonly latest: number
  readonly default: number
}

/**
 * The whole simulated world. A call works on a copy: the containers below are copied, the records in them are
 * readonly and replaced, never changed in place, so the copy is cheap and the previous world stays intact.
 */
export interface World {
  now: number
  /** Counters behind deterministic ids: instances get their own so their ids run 1, 2, 3… */
  serial: number
  instanceSerial: number
  groups: Map<string, GroupState>
  /** Every instance ever launched, terminated ones included. */
  instances: Map<string, InstanceState>
  /** Load balancer name → ids of the instances registered in it (draining ones included). */
  classicLoadBalancers: Map<string, ReadonlyArray<string>>
  /** Target group ARN → ids of the instances registered in it (draining ones included). */
  targetGroups: Map<string, ReadonlyArray<string>>
  launchTemplates: Map<string, LaunchTemplateState>
  neverHealthy: Array<NeverHealthyTarget>
  /** Operation → the faults its next calls answer with, first one first. */
  faults: Map<string, ReadonlyArray<"throttle" | "transient">>
  /** Pending transitions ordered by (at, seq). */
  schedule: Array<ScheduledEvent>
  stacks: Map<string, StackState>
  calls: Chunk.Chunk<CallRecord>
}

export const emptyWorld = (now: number): World => ({
  now,
  serial: 0,
  instanceSerial: 0,
  groups: new Map(),
  instances: new Map(),
  classicLoadBalancers: new Map(),
  targetGroups: new Map(),
  launchTemplates: new Map(),
  neverHealthy: [],
  faults: new Map(),
  schedule: [],
  stacks: new Map(),
  calls: Chunk.empty()
})

export const copyWorld = (w: World): World => ({
  ...w,
  groups: new Map(w.groups),
  instances: new Map(w.instances),
  classicLoadBalancers: new Map(w.classicLoadBalancers),
  targetGroups: new Map(w.targetGroups),
  launchTemplates: new Map(w.launchTemplates),
  neverHealthy: [...w.neverHealthy],
  faults: new Map(w.faults),
  schedule: [...w.schedule],
  stacks: new Map(w.stacks)
})

export const nextSerial = (w: World): number => ++w.serial

/** `i-` and 17 hex digits, like EC2's, from the world's counter so runs repeat exactly. */
export const instanceIdOf = (serial: number): string => `i-0${serial.toString(16).padStart(16, "0")}`

export const hex = (serial: number, width: number): string => serial.toString(16).padStart(width, "0")

export const scheduleAt = (w: World, at: number, kind: ScheduledKind, instanceId: string): void => {
  const event: ScheduledEvent = { at, seq: nextSerial(w), kind, instanceId }
  let i = w.schedule.length
  while (i > 0 && (w.schedule[i - 1]?.at ?? 0) > at) i--
  w.schedule.splice(i, 0, event)
}

export const updateGroup = (w: World, name: string, patch: Partial<GroupState>): GroupState => {
  const g = w.groups.get(name)
  if (g === undefined) throw new Error(`fake world: no group ${name}`)
  const next = { ...g, ...patch }
  w.groups.set(name, next)
  return next
}

export const updateInstance = (w: World, id: string, patch: Partial<InstanceState>): InstanceState => {
  const i = w.instances.get(id)
  if (i === undefined) throw new Error(`fake world: no instance ${id}`)
  const next = { ...i, ...patch }
  w.instances.set(id, next)
  return next
}

export const groupInstances = (w: World, g: GroupState): ReadonlyArray<InstanceState> =>
  g.instanceIds.flatMap((id) => {
    const i = w.instances.get(id)
    return i === undefined ? [] : [i]
  })

export const isActive = (i: InstanceState): boolean => i.lifecycleState === "Pending" || i.lifecycleState === "InService"
