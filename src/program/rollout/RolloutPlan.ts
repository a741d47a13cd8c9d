import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import type { AsgInstance, AutoScalingGroup, GroupSizes } from "../../services/AutoScaling.js"
import { AutoScaling } from "../../services/AutoScaling.js"
import type { AwsError } from "../../services/Errors.js"
import { type Assessment, capacityOf, idsOf, isOutdated, isRunning, isStandby, type LaunchSpec } from "./Assess.js"
import * as Claim from "./Claim.js"
import { DEGRADED_TAGS, type DegradedMarker, readDegraded } from "./Degraded.js"
import type { RolloutOptions } from "./Rollout.js"
import { RecordDoesNotFit } from "./RolloutErrors.js"
import { encodeRecord, type Phase, phaseTags, type RolloutRecord, TAGS_PER_GROUP } from "./RolloutRecord.js"
import { type Wave, type WaveBasis, waveOf } from "./RolloutWave.js"
import { percent, planWaves, REBALANCE_PROCESS, waveSize } from "./Waves.js"

/** The process through which scaling policies act: alive during a rollout unless frozen, suspended after a failure. */
export const SCALING_PROCESS = "AlarmNotification"

/** Processes that would act on their own during a rollout: Launch, Terminate, HealthCheck and AddToLoadBalancer run. */
export const PROCESSES_TO_SUSPEND: ReadonlyArray<string> = ["AZRebalance", "InstanceRefresh", "ReplaceUnhealthy", "ScheduledActions"]

export const processesToSuspend = (freezeScaling: boolean): ReadonlyArray<string> =>
  freezeScaling ? [SCALING_PROCESS, ...PROCESSES_TO_SUSPEND] : PROCESSES_TO_SUSPEND

const DEFAULT_LISTING_TIMEOUT = Duration.seconds(30)

/** What the rollout has done so far: the steps change it as they go. */
export interface Progress {
  /** The processes this rollout resumes at the end, or leaves suspended after a failure. */
  ours: ReadonlyArray<string>
  /** New instances of committed waves: they run the new release and stay, whatever happens later. */
  kept: ReadonlyArray<string>
  committed: number
  /** Old instances the committed waves terminated. */
  retiredSoFar: ReadonlyArray<string>
  /** How far scaling policies or people moved desired in the waves committed so far. */
  othersDelta: number
  /** Balancing waves planned so far. */
  balancing: number
  /** Every record key written so far: all of them go when the rollout ends. */
  readonly written: Set<string>
}

/** What one group's rollout decided before its first change, and what it has done since. */
export interface Plan extends WaveBasis {
  readonly name: string
  readonly stackName: string
  /** The group as the rollout read it before planning. */
  readonly initial: AutoScalingGroup
  readonly options: RolloutOptions
  readonly spec: LaunchSpec
  readonly running: ReadonlyArray<AsgInstance>
  readonly outdated: ReadonlyArray<AsgInstance>
  readonly standby: ReadonlyArray<string>
  readonly original: GroupSizes
  /** The running capacity replaced, in capacity units. */
  readonly capacity: number
  readonly bake: Duration.Duration
  readonly alarmNames: ReadonlyArray<string>
  readonly listingTimeout: Duration.DurationInput
  readonly degraded: DegradedMarker | undefined
  readonly freeze: boolean
  readonly toSuspend: ReadonlyArray<string>
  /** A failed run left the scaling process suspended: it comes back to life for this one. */
  readonly revive: boolean
  readonly scalingAlive: boolean
  /** Balancing waves may follow the last replacing one. */
  readonly balances: boolean
  readonly claim: Claim.ClaimSettings | undefined
  readonly runId: string
  readonly startedAt: number
  readonly first: Wave
  /** The record written before the first change. */
  readonly record: Readonly<Record<string, string>>
  readonly progress: Progress
  /** Every new instance seen so far. */
  readonly launched: Ref.Ref<ReadonlySet<string>>
  /** The last poll round's judgement, for the numbers of a timeout. */
  readonly last: Ref.Ref<Assessment | undefined>
  /** The wave an interruption rolls back. */
  readonly current: Ref.Ref<Wave>
}

export const plural = (k: number): string => (k === 1 ? "" : "s")

export const message = (e: { readonly _tag: string; readonly message?: string }): string =>
  e.message !== undefined && e.message.length > 0 ? `${e._tag}: ${e.message}` : e._tag

export const label = (plan: Plan, w: Wave): string =>
  plan.waved ? `wave ${w.number}${w.balance === true ? " (balancing zones before AZRebalance resumes)" : ""}: ` : ""

export const advance = (plan: Plan, phase: Phase): Effect.Effect<void, AwsError, AutoScaling> =>
  Effect.flatMap(AutoScaling, (asg) => asg.setTags(plan.name, phaseTags(phase)))

/** Plans the group's rollout from how it is now; refuses before any change when its record would not fit its tags. */
export const planRollout: (
  initial: AutoScalingGroup,
  stackName: string,
  options: RolloutOptions,
  spec: LaunchSpec,
  claim: Claim.ClaimSettings | undefined
// Stryker disable next-line StringLiteral: a span's name, seen in traces only
) => Effect.Effect<Plan, RecordDoesNotFit> = Effect.fn("Rollout.plan")(function*(
  initial: AutoScalingGroup,
  stackName: string,
  options: RolloutOptions,
  spec: LaunchSpec,
  claim: Claim.ClaimSettings | undefined
) {
  const name = initial.name
  const running = initial.instances.filter(isRunning)
  const original: GroupSizes = { minSize: initial.minSize, maxSize: initial.maxSize, desiredCapacity: initial.desiredCapacity }
  const capacity = capacityOf(running)
  const waves = planWaves(capacity, options.maxSurge ?? percent(100), options.canary)
  const waved = waveSize(waves, 1, capacity) < capacity
  const degraded = readDegraded(initial)
  const freeze = options.freezeScaling ?? false
  const toSuspend = processesToSuspend(freeze).filter((p) => !initial.suspendedProcesses.includes(p))
  // Processes an earlier failed run of ours left suspended are ours to resume once this run succeeds.
  const leftByUs = (degraded?.leftSuspended ?? []).filter((p) => initial.suspendedProcesses.includes(p))
  const ours: ReadonlyArray<string> = [...new Set([...toSuspend, ...leftByUs])]
  // Scaling stays alive unless frozen: what an earlier failure froze comes back to life for this run.
  const revive = !freeze && leftByUs.includes(SCALING_PROCESS)
  const launched = yield* Ref.make<ReadonlySet<string>>(new Set())
  const last = yield* Ref.make<Assessment | undefined>(undefined)
  const progress: Progress = { ours, kept: [], committed: 0, retiredSoFar: [], othersDelta: 0, balancing: 0, written: new Set() }
  const basis = {
    toReplace: new Set(idsOf(running)),
    waved,
    waves,
    headroom: Math.max(0, original.maxSize - original.desiredCapacity),
    // Waves launch where AWS balances and retire where the old ones are: zones can end two or more apart, and AWS's
    // AZRebalance, once resumed, would then terminate a serving instance. Balancing waves move one instance each first.
    zonesSeen: new Set(initial.instances.map((i) => i.availabilityZone)),
    progress
  }
  const first = waveOf(basis, 1, initial, idsOf(initial.instances))
  const current = yield* Ref.make(first)

  const startedAt = yield* Clock.currentTimeMillis
  const runId = claim?.runId ?? (yield* Effect.sync(() => crypto.randomUUID()))
  const identity = { runId, stackName, startedAt, original, waved, progress }
  const record = { ...recordOf(identity, first, "suspending"), ...(claim === undefined ? {} : Claim.recordTags(claim, startedAt)) }
  for (const k of Object.keys(record)) progress.written.add(k)
  // The largest record a later wave writes: every old id listed twice (present, kept) beside a wave's retirees.
  const largest = waved ? encodeRecord({ ...recordOfLargest(first, runId, stackName, startedAt, original, ours, [...basis.toReplace]) }) : record
  const tagsAfter = new Set([...Object.keys(initial.tags), ...Object.keys(record), ...Object.keys(largest), ...DEGRADED_TAGS])
  if (tagsAfter.size > TAGS_PER_GROUP) {
    return yield* Effect.fail(new RecordDoesNotFit({ group: name, tags: Object.keys(initial.tags).length, needed: new Set([...Object.keys(record), ...Object.keys(largest)]).size + DEGRADED_TAGS.length }))
  }
  return {
    ...basis,
    name,
    stackName,
    initial,
    options,
    spec,
    running,
    outdated: running.filter((i) => isOutdated(i, spec)),
    standby: idsOf(initial.instances.filter(isStandby)),
    original,
    capacity,
    bake: Duration.decode(options.bake ?? Duration.zero),
    alarmNames: options.alarms ?? [],
    listingTimeout: options.listingTimeout ?? DEFAULT_LISTING_TIMEOUT,
    degraded,
    freeze,
    toSuspend,
    revive,
    scalingAlive: !freeze && (revive || !initial.suspendedProcesses.includes(SCALING_PROCESS)),
    balances: waved && ours.includes(REBALANCE_PROCESS),
    claim,
    runId,
    startedAt,
    first,
    record,
    launched,
    last,
    current
  }
})

/** The record's tags for wave `w` in `phase`. */
export const recordOf = (
  plan: Pick<Plan, "runId" | "stackName" | "startedAt" | "original" | "waved" | "progress">,
  w: Wave,
  phase: Phase
): Record<string, string> =>
  encodeRecord({
    id: plan.runId,
    stack: plan.stackName,
    phase,
    startedAt: plan.startedAt,
    sizes: plan.original,
    needed: w.size,
    ours: plan.progress.ours,
    oldIds: [...w.present],
    ...(plan.waved ? { wave: { number: w.number, base: w.from.desiredCapacity, retire: w.retire, kept: plan.progress.kept } } : {})
  })

/** A record as large as a later wave's can be: for the check that it fits among the group's tags before anything changes. */
const recordOfLargest = (
  w: Wave,
  id: string,
  stack: string,
  startedAt: number,
  sizes: GroupSizes,
  ours: ReadonlyArray<string>,
  olds: ReadonlyArray<string>
): RolloutRecord => ({
  id,
  stack,
  phase: "rolling-back",
  startedAt,
  sizes,
  needed: w.size,
  ours: [...ours, SCALING_PROCESS, "Launch"],
  oldIds: [...w.present],
  wave: { number: 999, base: 99999, retire: w.retire, kept: olds }
})
