import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import type { ResolveContext, ResourceDeclaration, TemplateDocument } from "../../template/Template.js"
import type { AlarmStateValue } from "../../services/Alarms.js"
import type { LaunchTemplateRef } from "../../services/AutoScaling.js"
import type { ResourceChange, StackEvent, StackParameter, StackTag } from "../../services/CloudFormation.js"
import type { CallRecord, FakeWorldOptions, FaultKind, NeverHealthyTarget, TerminationPolicy } from "./FakeWorld.js"

/** The options with their defaults applied, delays in milliseconds. */
export interface Settings {
  readonly launchDelay: number
  readonly healthDelay: number
  readonly drainDelay: number
  /** Launch → listed by DescribeAutoScalingGroups. */
  readonly listingDelay: number
  readonly stackEventInterval: number
  /** DescribeStackEvents' page size. */
  readonly stackEventPageSize: number
  /** Whether the events of a stack action carry its ClientRequestToken, as AWS's do. */
  readonly stackEventTokens: boolean
  readonly region: string
  readonly accountId: string
  /** Whether a running scaling activity refuses changes of its group (see `FakeWorldOptions`). */
  readonly scalingActivityConflicts: boolean
}

export const settingsOf = (options: FakeWorldOptions): Settings => ({
  launchDelay: Duration.toMillis(Duration.decode(options.launchDelay ?? "60 seconds")),
  healthDelay: Duration.toMillis(Duration.decode(options.healthDelay ?? "30 seconds")),
  drainDelay: Duration.toMillis(Duration.decode(options.drainDelay ?? "10 seconds")),
  listingDelay: Duration.toMillis(Duration.decode(options.listingDelay ?? "3 seconds")),
  stackEventInterval: Duration.toMillis(Duration.decode(options.stackEventInterval ?? "5 seconds")),
  stackEventPageSize: options.stackEventPageSize ?? 100,
  stackEventTokens: options.stackEventTokens ?? true,
  region: options.region ?? "eu-west-1",
  accountId: "123456789012",
  scalingActivityConflicts: options.scalingActivityConflicts ?? false
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
  readonly terminationPolicy: TerminationPolicy
  readonly instanceWeight: number
  readonly instanceRefreshInProgress: boolean
  /** Its instances that are not Terminated yet, oldest first. */
  readonly instanceIds: ReadonlyArray<string>
  /** The warm pool's size to keep, when the group has one. */
  readonly warmPoolSize?: number
  /** Instances waiting in the warm pool (not part of the group's capacity), oldest first. */
  readonly warmPoolIds: ReadonlyArray<string>
}

export type LifecycleState =
  | "Pending"
  | "InService"
  | "EnteringStandby"
  | "Standby"
  | "Terminating"
  | "Terminated"
  | "Warmed:Pending"
  | "Warmed:Stopped"

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
  /** From when DescribeAutoScalingGroups lists it (AWS lists a new instance a few seconds after the launch). */
  readonly listedAt?: number
  /** When it joined its group's load balancers (InService with AddToLoadBalancer running). */
  readonly registeredAt?: number
  /**
   * The CLBs and target groups it was registered in, set with `registeredAt`: the only lists it can be in, so
   * termination looks for it there instead of in every load balancer of the world.
   */
  readonly registeredIn?: { readonly classic: ReadonlyArray<string>; readonly target: ReadonlyArray<string> }
  /** From when its health checks fail (`makeUnhealthy`). */
  readonly failingFrom?: number
  readonly terminatedAt?: number
}

export type ScheduledKind = "InService" | "HealthCheck" | "ExternalTermination" | "Terminated" | "Standby" | "Warmed"

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
  /** Armed by `delayNextStackAction`: the next action's events start this many ms after its call. */
  readonly nextActionDelay?: number
  /** What the action in progress will do, first step first; applied as Clock reaches each. */
  readonly pending?: ReadonlyArray<PendingStackStep>
  readonly changeSets?: ReadonlyArray<ChangeSetState>
  /** Absent: none. */
  readonly tags?: ReadonlyArray<StackTag>
  readonly roleArn?: string
  readonly terminationProtection?: boolean
  readonly notificationArns?: ReadonlyArray<string>
}

/** A change of a group that a stack action makes when its resource completes. */
export interface GroupChange {
  readonly launchTemplate?: LaunchTemplateRef
  readonly launchConfigurationName?: string
  readonly minSize?: number
  readonly maxSize?: number
  readonly desiredCapacity?: number
}

/** What a step of a stack action does to the rest of the world. */
export type StackEffect =
  | { readonly _tag: "CreateGroup"; readonly name: string; readonly resource: ResourceDeclaration; readonly ctx: ResolveContext }
  | { readonly _tag: "UpdateGroup"; readonly name: string; readonly change: GroupChange }
  | { readonly _tag: "DeleteGroup"; readonly name: string }
  | { readonly _tag: "LaunchTemplateVersion"; readonly launchTemplateId: string; readonly version: number }
  /** A nested stack's own action begins: the stack as it is from then on (its events kept), its steps pending. */
  | { readonly _tag: "StartNested"; readonly stack: Omit<StackState, "events"> }

/** One event of a stack action still to come, and what happens with it. */
export interface PendingStackStep {
  readonly at: number
  readonly event: Omit<StackEvent, "eventId" | "stackName" | "timestamp">
  /** Replaces these fields of the stack. */
  readonly stack?: Partial<Pick<StackState, "status" | "statusReason" | "parameters" | "templateBody" | "template" | "capabilities" | "resources">>
  /** Adds or replaces the stack's resource of this logical id. */
  readonly resource?: StackResourceState
  readonly removeResource?: string
  readonly effects?: ReadonlyArray<StackEffect>
}

export interface ChangeSetState {
  readonly name: string
  readonly changeSetId: string
  readonly createdAt: number
  /** The status once CloudFormation has computed it; CREATE_IN_PROGRESS until then. */
  readonly status: "CREATE_COMPLETE" | "FAILED"
  readonly statusReason?: string
  readonly changes: ReadonlyArray<ResourceChange>
  /** As DescribeChangeSet shows them: NoEcho values masked. */
  readonly parameters: ReadonlyArray<StackParameter>
}

export interface LaunchTemplateState {
  readonly latest: number
  readonly default: number
}

/** A CloudWatch alarm as DescribeAlarms shows it. */
export interface AlarmRecord {
  readonly state: AlarmStateValue
  readonly reason: string
}

/**
 * What changed in the world. While a call or a control runs, every change of a map below (and of the schedule) is
 * journalled so that a failed one is undone — the world is changed in place, never copied, which keeps a call cheap
 * however many instances there are. `dirty` names the groups changed since their processes last reacted
 * (`settleGroup`): a group not in it has nothing to react to.
 */
export interface Changes {
  undo: Array<() => void> | undefined
  dirty: Set<string>
}

/**
 * A Map whose changes are journalled in `Changes`; `groupOf` names the group an entry belongs to, marked dirty.
 * `onChange` sees every replacement of an entry (before, after; undefined when absent), undoing ones included.
 */
class JournaledMap<K, V> extends Map<K, V> {
  constructor(
    private readonly changes: Changes,
    private readonly groupOf?: (key: K, value: V) => string,
    private readonly onChange?: (before: V | undefined, after: V | undefined) => void
  ) {
    super()
  }
  override set(key: K, value: V): this {
    const before = super.get(key)
    this.journal(key)
    if (this.groupOf !== undefined) this.changes.dirty.add(this.groupOf(key, value))
    super.set(key, value)
    this.onChange?.(before, value)
    return this
  }
  override delete(key: K): boolean {
    if (!super.has(key)) return false
    const before = super.get(key)
    this.journal(key)
    super.delete(key)
    this.onChange?.(before, undefined)
    return true
  }
  override clear(): void {
    for (const key of [...super.keys()]) this.delete(key)
  }
  private journal(key: K): void {
    const undo = this.changes.undo
    if (undo === undefined) return
    // Undone newest first: when an entry comes back, what it replaces is what this change put there.
    if (super.has(key)) {
      const previous = super.get(key) as V
      undo.push(() => {
        const now = super.get(key)
        super.set(key, previous)
        this.onChange?.(now, previous)
      })
    } else {
      undo.push(() => {
        const now = super.get(key)
        super.delete(key)
        this.onChange?.(now, undefined)
      })
    }
  }
}

/**
 * The whole simulated world. The containers below change in place (journalled, see `Changes`); the records in them
 * are readonly and replaced, never changed in place, so a record handed out stays as it was.
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
  /** CLB name or target group ARN → the Availability Zones its load balancer routes to; absent: every zone. */
  loadBalancerZones: Map<string, ReadonlyArray<string>>
  /** Availability Zones short of capacity (`zoneShortOfCapacity`): AWS launches a group's instances in its other zones. */
  zonesShort: Map<string, true>
  launchTemplates: Map<string, LaunchTemplateState>
  /** Alarm name → its state and why CloudWatch put it there. */
  alarms: Map<string, AlarmRecord>
  neverHealthy: Array<NeverHealthyTarget>
  /** Operation → the faults its next calls answer with, first one first. */
  faults: Map<string, ReadonlyArray<FaultKind>>
  /** Pending transitions ordered by (at, seq). */
  schedule: Array<ScheduledEvent>
  stacks: Map<string, StackState>
  /** S3: bucket → key → object body. */
  buckets: Map<string, ReadonlyMap<string, string>>
  calls: Chunk.Chunk<CallRecord>
  readonly changes: Changes
  /**
   * Set once any instance gets a `failingFrom` (`makeUnhealthy`), never cleared, not even by a roll-back: until then
   * no instance can fail without a never-healthy mark, and the groups' health checks have nothing to look at.
   */
  failingFromSet: boolean
  /**
   * Group name → the summed weight of its active (Pending, InService) instances, kept by `instances` as it changes:
   * `activeCapacity` without a pass over the group's instances, which reconciling a group after each change needed.
   */
  readonly activeCapacityByGroup: ReadonlyMap<string, number>
}

export const emptyWorld = (now: number): World => {
  const changes: Changes = { undo: undefined, dirty: new Set() }
  const activeCapacityByGroup = new Map<string, number>()
  const tally = (i: InstanceState | undefined, sign: number) => {
    if (i !== undefined && isActive(i)) activeCapacityByGroup.set(i.group, (activeCapacityByGroup.get(i.group) ?? 0) + sign * i.weight)
  }
  return {
    now,
    serial: 0,
    instanceSerial: 0,
    groups: new JournaledMap<string, GroupState>(changes, (name) => name),
    instances: new JournaledMap<string, InstanceState>(changes, (_, i) => i.group, (before, after) => {
      tally(before, -1)
      tally(after, 1)
    }),
    classicLoadBalancers: new JournaledMap(changes),
    targetGroups: new JournaledMap(changes),
    loadBalancerZones: new JournaledMap(changes),
    zonesShort: new JournaledMap(changes),
    launchTemplates: new JournaledMap(changes),
    alarms: new JournaledMap(changes),
    neverHealthy: [],
    faults: new JournaledMap(changes),
    schedule: [],
    stacks: new JournaledMap(changes),
    buckets: new JournaledMap(changes),
    calls: Chunk.empty(),
    changes,
    failingFromSet: false,
    activeCapacityByGroup
  }
}

/** Where the world was; what a failed call or control is put back to. */
export interface Checkpoint {
  readonly journalLength: number
  readonly outermost: boolean
  readonly now: number
  readonly serial: number
  readonly instanceSerial: number
  readonly calls: Chunk.Chunk<CallRecord>
  readonly neverHealthy: ReadonlyArray<NeverHealthyTarget>
  readonly dirty: ReadonlySet<string> | undefined
}

/** Starts journalling (the outermost checkpoint) or marks a point inside the journal. */
export const checkpoint = (w: World): Checkpoint => {
  const outermost = w.changes.undo === undefined
  const undo = w.changes.undo ?? []
  w.changes.undo = undo
  return {
    journalLength: undo.length,
    outermost,
    now: w.now,
    serial: w.serial,
    instanceSerial: w.instanceSerial,
    calls: w.calls,
    neverHealthy: [...w.neverHealthy],
    dirty: outermost ? new Set(w.changes.dirty) : undefined
  }
}

/** Undoes every change since `cp`, newest first. */
export const rollback = (w: World, cp: Checkpoint): void => {
  const undo = w.changes.undo ?? []
  while (undo.length > cp.journalLength) undo.pop()?.()
  w.now = cp.now
  w.serial = cp.serial
  w.instanceSerial = cp.instanceSerial
  w.calls = cp.calls
  w.neverHealthy = [...cp.neverHealthy]
  // Extra marks are harmless (a group reacts to nothing); a lost one would not be.
  if (cp.dirty !== undefined) for (const name of cp.dirty) w.changes.dirty.add(name)
}

/** Runs `f` on the world in place: when it throws, the world is put back as it was and the error goes on. */
export const atomically = <A>(w: World, f: () => A): A => {
  const cp = checkpoint(w)
  try {
    return f()
  } catch (error) {
    rollback(w, cp)
    throw error
  } finally {
    if (cp.outermost) w.changes.undo = undefined
  }
}

export const nextSerial = (w: World): number => ++w.serial

/** `i-` and 17 hex digits, like EC2's, from the world's counter so runs repeat exactly. */
export const instanceIdOf = (serial: number): string => `i-0${serial.toString(16).padStart(16, "0")}`

export const hex = (serial: number, width: number): string => serial.toString(16).padStart(width, "0")

/** Change the schedule only here and in `takeNext`: both are journalled. */
export const scheduleAt = (w: World, at: number, kind: ScheduledKind, instanceId: string): void => {
  const event: ScheduledEvent = { at, seq: nextSerial(w), kind, instanceId }
  let i = w.schedule.length
  while (i > 0 && (w.schedule[i - 1]?.at ?? 0) > at) i--
  w.schedule.splice(i, 0, event)
  w.changes.undo?.push(() => void w.schedule.splice(w.schedule.indexOf(event), 1))
}

/** Removes the first scheduled event. */
export const takeNext = (w: World): ScheduledEvent | undefined => {
  const next = w.schedule.shift()
  if (next !== undefined) w.changes.undo?.push(() => void w.schedule.unshift(next))
  return next
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
  if (next.failingFrom !== undefined) w.failingFromSet = true
  w.instances.set(id, next)
  return next
}

export const isActive = (i: InstanceState): boolean => i.lifecycleState === "Pending" || i.lifecycleState === "InService"

export const groupInstances = (w: World, g: GroupState): ReadonlyArray<InstanceState> => {
  // A plain loop: this runs after every change of every group, over all its instances.
  const out: Array<InstanceState> = []
  const ids = g.instanceIds
  for (let k = 0; k < ids.length; k++) {
    const i = w.instances.get(ids[k] as string)
    if (i !== undefined) out.push(i)
  }
  return out
}

/** `groupInstances(w, g).filter(isActive)` in one pass. */
export const activeInstances = (w: World, g: GroupState): ReadonlyArray<InstanceState> => {
  const out: Array<InstanceState> = []
  const ids = g.instanceIds
  for (let k = 0; k < ids.length; k++) {
    const i = w.instances.get(ids[k] as string)
    if (i !== undefined && isActive(i)) out.push(i)
  }
  return out
}

/**
 * The summed weight of the group's active instances: `activeInstances(w, g)`'s capacity, kept up to date as instances
 * change (an active instance is one of its group's `instanceIds` whenever a group reconciles: it joins the list as it
 * launches, and leaves it only once Terminated).
 */
export const activeCapacity = (w: World, g: GroupState): number => w.activeCapacityByGroup.get(g.name) ?? 0
