import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Ref from "effect/Ref"
import type { AsgInstance, AutoScalingGroup, GroupSizes } from "../../services/AutoScaling.js"
import { AutoScaling } from "../../services/AutoScaling.js"
import type { AwsError } from "../../services/Errors.js"
import { LaunchTemplates } from "../../services/LaunchTemplates.js"
import { assess, type Assessment, baselineOf, capacityOf, isOutdated, isRunning, isStandby, type LaunchSpec } from "./Assess.js"
import { alarmReader, firing } from "./AlarmGate.js"
import * as Claim from "./Claim.js"
import { DEGRADED_TAGS, degradedTags, readDegraded } from "./Degraded.js"
import { emit, step } from "../Emit.js"
import type { GroupResult } from "../Events.js"
import * as PollHub from "./PollHub.js"
import { AlarmFired, CommitFailed, GroupNotFound, HealthTimeout, NewInstanceFailed, RecordDoesNotFit, type RollBackCause, RollBackFailed, RolloutInterrupted, type WaitFailure, WarmPoolPresent } from "./RolloutErrors.js"
import { encodeRecord, oursTags, type Phase, phaseTags, type RolloutRecord, staleChunks, TAGS_PER_GROUP } from "./RolloutRecord.js"
import { describeGroup, LEAVING, readHealth, removeNewInstances, TerminationIncomplete, terminateExactly, trimSurplus } from "./Terminations.js"
import { type Amount, percent, pickRetirees, planWaves, REBALANCE_PROCESS, runningCapacityOf, waveCount, waveSize, waveSizes, zoneSpread } from "./Waves.js"

export interface RolloutOptions {
  /** How long the new instances of a wave have to become healthy everywhere. */
  readonly healthyTimeout: Duration.DurationInput
  /** Time between two poll rounds while waiting. */
  readonly pollInterval: Duration.DurationInput
  /** Replace every running instance even when none is outdated. */
  readonly replaceAll: boolean
  /** How long a roll-back waits for AWS to list the instances the scale-out launched. Default 30 s. */
  readonly listingTimeout?: Duration.DurationInput
  /** Capacity launched beyond the group's capacity at any moment: N units or P% of the running capacity. Default 100%. */
  readonly maxSurge?: Amount
  /** The first wave's size when a canary goes first; the rest follows in `maxSurge` waves. Default: no canary. */
  readonly canary?: Amount
  /** How long a wave's new instances are watched once healthy before old ones go. Default 0. */
  readonly bake?: Duration.DurationInput
  /** CloudWatch alarms read in every poll round while waiting and baking: one in ALARM rolls the wave back. */
  readonly alarms?: ReadonlyArray<string>
  /** Suspend AlarmNotification too, so that scaling policies stay still for the whole rollout. Default false. */
  readonly freezeScaling?: boolean
}

export const defaultOptions: RolloutOptions = {
  healthyTimeout: Duration.seconds(600),
  pollInterval: Duration.seconds(5),
  replaceAll: false
}

const DEFAULT_LISTING_TIMEOUT = Duration.seconds(30)

/** The process through which scaling policies act: alive during a rollout unless frozen, suspended after a failure. */
export const SCALING_PROCESS = "AlarmNotification"

/** Processes that would act on their own during a rollout: Launch, Terminate, HealthCheck and AddToLoadBalancer run. */
export const PROCESSES_TO_SUSPEND: ReadonlyArray<string> = ["AZRebalance", "InstanceRefresh", "ReplaceUnhealthy", "ScheduledActions"]

export const processesToSuspend = (freezeScaling: boolean): ReadonlyArray<string> =>
  freezeScaling ? [SCALING_PROCESS, ...PROCESSES_TO_SUSPEND] : PROCESSES_TO_SUSPEND

/** "$Latest" / "$Default" resolved to a number, as the group's instances report their version. */
const launchSpecOf = Effect.fn("Rollout.launchSpec")(function*(group: AutoScalingGroup) {
  const lt = group.launchTemplate
  if (lt === undefined) {
    return group.launchConfigurationName === undefined ? {} : { launchConfigurationName: group.launchConfigurationName }
  }
  if (lt.version !== "$Latest" && lt.version !== "$Default") return { launchTemplate: lt } satisfies LaunchSpec
  const versions = yield* (yield* LaunchTemplates).versions(lt.id)
  return { launchTemplate: { ...lt, version: lt.version === "$Latest" ? versions.latest : versions.default } }
})

const message = (e: { readonly _tag: string; readonly message?: string }): string =>
  e.message !== undefined && e.message.length > 0 ? `${e._tag}: ${e.message}` : e._tag

const idsOf = (instances: ReadonlyArray<AsgInstance>): Array<string> => instances.map((i) => i.instanceId)

/** One wave: what was there when it began, the old instances it retires, and the sizes of its scale-out. */
interface Wave {
  /** 1-based. */
  readonly number: number
  /** Every instance present when the wave began: anything else is the wave's (and goes if it rolls back). */
  readonly present: ReadonlySet<string>
  /** The sizes when the wave began. */
  readonly from: GroupSizes
  readonly retire: ReadonlyArray<string>
  /** Capacity units the wave launches, and then retires. */
  readonly size: number
  readonly raised: GroupSizes
  /** No old instance is left to replace after it. */
  readonly last: boolean
  /** It moves an instance out of the fullest zone rather than replacing an old one. */
  readonly balance?: boolean
}

/**
 * Rolls one group in waves: suspend, then per wave scale out, wait for the new instances (and bake), and retire as
 * many old ones by id; after the last, restore. A wave that fails is rolled back alone (its new instances terminated
 * by id); so is the current one when the fiber is interrupted.
 */
export const rollGroup = Effect.fn("Rollout.rollGroup")(function*(
  initial: AutoScalingGroup,
  stackName: string,
  options: RolloutOptions,
  /** The run's shared poll rounds; a private one when the group is rolled alone. */
  sharedHub?: PollHub.PollHub,
  /** The run's claim settings: the group is claimed before its first change and its record kept alive. */
  claim?: Claim.ClaimSettings
) {
  const asg = yield* AutoScaling
  const name = initial.name
  if (initial.warmPool !== undefined) {
    return yield* Effect.fail(new WarmPoolPresent({ group: name, size: initial.warmPool.size }))
  }
  const spec = yield* launchSpecOf(initial)
  const running = initial.instances.filter(isRunning)
  const standby = idsOf(initial.instances.filter(isStandby))
  const outdated = running.filter((i) => isOutdated(i, spec))
  const upToDate = (reason: string) => {
    const result: GroupResult = { name, status: "up-to-date", launched: [], terminated: [], leftSuspended: [], standby }
    return Effect.as(Effect.zipRight(step(name, "skip", reason), emit({ type: "group-result", ...result })), result)
  }
  if (running.length === 0) return yield* upToDate("no running instance to replace")
  if (outdated.length === 0 && !options.replaceAll) return yield* upToDate("all instances run the group's launch spec")

  const original: GroupSizes = { minSize: initial.minSize, maxSize: initial.maxSize, desiredCapacity: initial.desiredCapacity }
  const n = capacityOf(running)
  const plan = planWaves(n, options.maxSurge ?? percent(100), options.canary)
  const waved = waveSize(plan, 1, n) < n
  const headroom = Math.max(0, original.maxSize - original.desiredCapacity)
  const bake = Duration.decode(options.bake ?? Duration.zero)
  const alarmNames = options.alarms ?? []
  const listingTimeout = options.listingTimeout ?? DEFAULT_LISTING_TIMEOUT
  /** The old instances this rollout replaces. */
  const toReplace = new Set(idsOf(running))
  const degraded = readDegraded(initial)
  const freeze = options.freezeScaling ?? false
  const toSuspend = processesToSuspend(freeze).filter((p) => !initial.suspendedProcesses.includes(p))
  // Processes an earlier failed run of ours left suspended are ours to resume once this run succeeds.
  const leftByUs = (degraded?.leftSuspended ?? []).filter((p) => initial.suspendedProcesses.includes(p))
  let ours: ReadonlyArray<string> = [...new Set([...toSuspend, ...leftByUs])]
  // Scaling stays alive unless frozen: what an earlier failure froze comes back to life for this run.
  const revive = !freeze && leftByUs.includes(SCALING_PROCESS)
  const scalingAlive = !freeze && (revive || !initial.suspendedProcesses.includes(SCALING_PROCESS))
  const launched = yield* Ref.make<ReadonlySet<string>>(new Set())
  const last = yield* Ref.make<Assessment | undefined>(undefined)
  /** New instances of committed waves: they run the new release and stay, whatever happens later. */
  let kept: ReadonlyArray<string> = []
  let committed = 0
  /** Old instances the committed waves terminated. */
  let retiredSoFar: ReadonlyArray<string> = []
  /** How far scaling policies or people moved desired in the waves committed so far. */
  let othersDelta = 0

  const label = (w: Wave) => (waved ? `wave ${w.number}${w.balance === true ? " (balancing zones before AZRebalance resumes)" : ""}: ` : "")
  // Waves launch where AWS balances and retire where the old ones are: zones can end two or more apart, and AWS's
  // AZRebalance, once resumed, would then terminate a serving instance. Balancing waves move one instance each first.
  const zonesSeen = new Set(initial.instances.map((i) => i.availabilityZone))
  const balances = waved && ours.includes(REBALANCE_PROCESS)
  /** How far apart the zones are once `leaving` is gone and `launching` more went where AWS puts them (the emptiest). */
  const spreadAfter = (g: AutoScalingGroup, leaving: ReadonlySet<string>, launching: number): number =>
    zoneSpread(g.instances.filter((i) => !leaving.has(i.instanceId)), zonesSeen, launching)
  const MAX_BALANCING_WAVES = 3
  let balancing = 0
  const waveOf = (number: number, g: AutoScalingGroup, present: ReadonlyArray<string>): Wave => {
    const left = new Set(idsOf(g.instances.filter((i) => toReplace.has(i.instanceId) && isRunning(i))))
    // Every old instance is gone: this wave only moves one instance out of the fullest zone.
    const balance = left.size === 0
    if (balance) balancing += 1
    const retire = balance
      ? idsOf(pickRetirees(g, new Set(idsOf(g.instances.filter(isRunning))), 1))
      : waved ? idsOf(pickRetirees(g, left, waveSize(plan, number, runningCapacityOf(g, left)))) : [...left]
    const size = runningCapacityOf(g, new Set(retire))
    const from: GroupSizes = { minSize: g.minSize, maxSize: g.maxSize, desiredCapacity: g.desiredCapacity }
    return {
      number,
      present: new Set(present),
      from,
      retire,
      size,
      raised: waveSizes(from, capacityOf(g.instances.filter(isRunning)), size, headroom),
      last: balance ? balancing >= MAX_BALANCING_WAVES || spreadAfter(g, new Set(retire), 1) < 2 : retire.length >= left.size,
      balance
    }
  }
  const first = waveOf(1, initial, idsOf(initial.instances))
  const current = yield* Ref.make(first)

  const startedAt = yield* Clock.currentTimeMillis
  const runId = claim?.runId ?? (yield* Effect.sync(() => crypto.randomUUID()))
  const recordOf = (w: Wave, phase: Phase) => encodeRecord({
    id: runId,
    stack: stackName,
    phase,
    startedAt,
    sizes: original,
    needed: w.size,
    ours,
    oldIds: [...w.present],
    ...(waved ? { wave: { number: w.number, base: w.from.desiredCapacity, retire: w.retire, kept } } : {})
  })
  const record = { ...recordOf(first, "suspending"), ...(claim === undefined ? {} : Claim.recordTags(claim, startedAt)) }
  /** Every record key written so far: all of them go when the rollout ends. */
  const written = new Set(Object.keys(record))
  // The largest record a later wave writes: every old id listed twice (present, kept) beside a wave's retirees.
  const largest = waved ? encodeRecord({ ...recordOfLargest(first, runId, stackName, startedAt, original, ours, [...toReplace]) }) : record
  const tagsAfter = new Set([...Object.keys(initial.tags), ...Object.keys(record), ...Object.keys(largest), ...DEGRADED_TAGS])
  if (tagsAfter.size > TAGS_PER_GROUP) {
    return yield* Effect.fail(new RecordDoesNotFit({ group: name, tags: Object.keys(initial.tags).length, needed: new Set([...Object.keys(record), ...Object.keys(largest)]).size + DEGRADED_TAGS.length }))
  }
  const advance = (phase: Phase) => asg.setTags(name, phaseTags(phase))
  if (claim !== undefined) yield* Claim.acquire(name, stackName, claim, initial)

  const plural = (k: number) => (k === 1 ? "" : "s")
  const count = waveCount(plan, n)
  yield* step(name, "inspect", `${outdated.length} of ${running.length} running instances outdated; replacing ${n} (capacity units)${waved ? ` in ${count} wave${plural(count)} of up to ${plan.surge}${plan.canary === undefined ? "" : `, a canary of ${plan.canary} first`}` : ""}${standby.length > 0 ? `; ${standby.length} in Standby kept as they are` : ""}`)
  // What each load balancer serves from the old instances now: a wave's new instances must give each at least what the
  // old ones it retires gave it (all of them in one wave).
  const startHealth = yield* readHealth(initial)
  const baselineFor = (retire: ReadonlyArray<string>) => baselineOf(initial, startHealth, running.filter((i) => retire.includes(i.instanceId)))
  const hubSettings = { interval: options.pollInterval, ...(alarmNames.length === 0 ? {} : { alarms: (yield* alarmReader(alarmNames))! }) }

  const suspend = Effect.gen(function*() {
    // The record goes on the group before anything else changes: a run that dies from here on can be recovered.
    yield* asg.setTags(name, record)
    if (claim !== undefined) yield* Claim.keepAlive(name, claim)
    if (revive) {
      yield* step(name, "resume", `resuming ${SCALING_PROCESS}, which a failed run left suspended: scaling stays alive during the rollout`)
      yield* asg.resumeProcesses(name, [SCALING_PROCESS])
    }
    if (toSuspend.length === 0) return
    yield* step(name, "suspend", `suspending ${toSuspend.join(", ")}${freeze ? "" : ` (${SCALING_PROCESS} stays on: scaling policies keep working)`}`)
    yield* asg.suspendProcesses(name, toSuspend)
  })

  const scaleOut = (w: Wave) => Effect.gen(function*() {
    if (w.number === 1) yield* advance("scaling-out")
    yield* step(name, "scale-out", `${label(w)}min ${w.from.minSize}→${w.raised.minSize}, max ${w.from.maxSize}→${w.raised.maxSize}, desired ${w.from.desiredCapacity}→${w.raised.desiredCapacity}`)
    yield* asg.updateSizes(name, w.raised)
  })

  /** Waits until the wave's new instances serve everywhere, then bakes them; fails the wave on what it sees go wrong. */
  const watch = (hub: PollHub.PollHub, w: Wave) => Effect.gen(function*() {
    const timeout = Duration.decode(options.healthyTimeout)
    const started = yield* Clock.currentTimeMillis
    const everHealthy = new Set<string>()
    const seenWave = new Set<string>()
    const baseline = baselineFor(w.retire)
    yield* advance("waiting")
    yield* step(name, "wait", `${label(w)}waiting up to ${Duration.format(timeout)} for ${w.size} new healthy in the group and its ${initial.loadBalancerNames.length + initial.targetGroupArns.length} load balancer(s)${alarmNames.length > 0 ? ` while alarm${plural(alarmNames.length)} ${alarmNames.join(", ")} stay${alarmNames.length === 1 ? "s" : ""} out of ALARM` : ""}`)
    let seenRound = 0
    const round = Effect.gen(function*() {
      const r = yield* hub.next(name, seenRound)
      seenRound = r.n
      const group = r.groups.get(name)
      if (group === undefined) return yield* Effect.fail(new GroupNotFound({ group: name, stackName }))
      const a = assess(group, r.health, { oldIds: w.present, seenNew: seenWave, everHealthy, spec, baseline })
      for (const i of a.healthyNew) everHealthy.add(i.instanceId)
      for (const i of a.newInstances) seenWave.add(i.instanceId)
      yield* Ref.update(launched, (s) => new Set([...s, ...idsOf(a.newInstances)]))
      yield* Ref.set(last, a)
      const now = yield* Clock.currentTimeMillis
      yield* emit({
        type: "progress",
        group: name,
        oldCount: group.instances.filter((i) => toReplace.has(i.instanceId) && !LEAVING.test(i.lifecycleState)).length,
        newCount: a.newInstances.length,
        healthy: a.healthyCapacity,
        needed: w.size,
        timeLeft: Math.max(0, Duration.toMillis(timeout) - (now - started))
      })
      if (a.failed !== undefined) return yield* Effect.fail(new NewInstanceFailed({ group: name, ...a.failed }))
      const fired = firing(alarmNames, r.alarms)
      if (fired !== undefined) return yield* Effect.fail(new AlarmFired({ group: name, ...fired }))
      return a.healthyCapacity >= w.size && a.short.length === 0
    })
    yield* round.pipe(
      // Pacing comes from the hub's Schedule: each repetition waits for the next shared poll round.
      Effect.repeat({ until: (ready) => ready }),
      Effect.timeoutFail({
        duration: timeout,
        onTimeout: () => new HealthTimeout({ group: name, healthy: 0, needed: w.size, seconds: Duration.toSeconds(timeout) })
      }),
      Effect.catchTag("HealthTimeout", (e) =>
        Effect.flatMap(Ref.get(last), (a) => Effect.fail(new HealthTimeout({ ...e, healthy: a?.healthyCapacity ?? 0 }))))
    )
    if (Duration.toMillis(bake) > 0) {
      yield* advance("baking")
      yield* step(name, "bake", `${label(w)}${w.size} new healthy; watching them for ${Duration.format(bake)} before retiring old ones`)
      // Every round of the bake judges again; the bake ends well only when its time runs out first.
      yield* Effect.raceFirst(Effect.forever(round), Effect.sleep(bake))
    }
  }).pipe(Effect.ensuring(hub.leave(name)))

  /** A wave that is not the last: its old instances go (min held at desired), and the next wave starts from here. */
  const commitWave = (w: Wave) => Effect.gen(function*() {
    const g = yield* describeGroup(name, stackName)
    const olds = idsOf(g.instances.filter((i) => w.retire.includes(i.instanceId) && isRunning(i)))
    yield* advance("terminating-old")
    yield* step(name, "terminate-old", `${label(w)}terminating ${olds.length} ${w.balance === true ? "instance(s) of the fullest zone" : "old instance(s)"}: ${olds.join(", ")}`)
    const retired = yield* terminateExactly(g, olds, Number.POSITIVE_INFINITY).pipe(
      Effect.mapError((e) => new TerminationIncomplete({ group: e.group, terminated: [...retiredSoFar, ...e.terminated], cause: e.cause }))
    )
    retiredSoFar = [...retiredSoFar, ...retired]
    const retiredIds = new Set(retired)
    kept = idsOf(g.instances.filter((i) => !toReplace.has(i.instanceId) && !retiredIds.has(i.instanceId) && !LEAVING.test(i.lifecycleState) && !isStandby(i)))
    committed += 1
    othersDelta += g.desiredCapacity - w.raised.desiredCapacity
    const retiredCapacity = capacityOf(g.instances.filter((i) => retiredIds.has(i.instanceId)))
    // Until the next wave is planned, an interruption rolls back nothing but what launched after this read.
    const after = g.desiredCapacity - retiredCapacity
    yield* Ref.set(current, { ...w, present: new Set(idsOf(g.instances)), from: { ...w.raised, desiredCapacity: after }, retire: [], size: 0 })
    // Desired as our terminations left it: the next wave counts what others change from here.
    return after
  }).pipe(Effect.uninterruptible)

  const nextWave = (w: Wave, expected: number) => Effect.gen(function*() {
    const g = yield* describeGroup(name, stackName)
    othersDelta += g.desiredCapacity - expected
    const next = waveOf(w.number + 1, g, idsOf(g.instances.filter((i) => !LEAVING.test(i.lifecycleState))))
    yield* Ref.set(current, next)
    const fresh = recordOf(next, "scaling-out")
    // One write: chunks a shorter list no longer needs are emptied in it, so the record is whole at every moment.
    const tags = { ...fresh, ...Object.fromEntries(staleChunks(g.tags, fresh).map((k) => [k, ""])) }
    yield* asg.setTags(name, tags)
    for (const k of Object.keys(tags)) written.add(k)
    return next
  })

  const commit = (w: Wave) => Effect.gen(function*() {
    const g = yield* describeGroup(name, stackName)
    // Standby instances are the operator's: they stay, as does anything already leaving.
    const olds = idsOf(g.instances.filter((i) => (toReplace.has(i.instanceId) || w.retire.includes(i.instanceId)) && isRunning(i)))
    yield* advance("terminating-old")
    yield* step(name, "terminate-old", `${label(w)}terminating ${olds.length} ${w.balance === true ? "instance(s) of the fullest zone" : "old instance(s)"}: ${olds.join(", ")}`)
    const retiredNow = yield* terminateExactly(g, olds, original.minSize).pipe(
      Effect.mapError((e) => new TerminationIncomplete({ group: e.group, terminated: [...retiredSoFar, ...e.terminated], cause: e.cause }))
    )
    const retired = [...retiredSoFar, ...retiredNow]
    const retiredCapacity = capacityOf(g.instances.filter((i) => retiredNow.includes(i.instanceId)))
    yield* advance("restoring").pipe(Effect.mapError((cause) => new TerminationIncomplete({ group: name, terminated: retired, cause })))
    // What desired would be had nobody else changed it: the raise, less what our terminations took off.
    const othersChange = (now: AutoScalingGroup) => othersDelta + now.desiredCapacity - (w.raised.desiredCapacity - retiredCapacity)
    const trimmed = yield* trimSurplus(name, stackName, (id) => !w.present.has(id), (now) => keepOthersChange(original, othersChange(now)).desiredCapacity, original.minSize, listingTimeout).pipe(
      Effect.mapError((e) => new TerminationIncomplete({ group: name, terminated: [...retired, ...e.terminated], cause: e.cause }))
    )
    const surplus = trimmed.terminated
    const restored = keepOthersChange(original, othersChange(trimmed.group))
    if (surplus.length > 0) yield* step(name, "restore", `terminated ${surplus.length} new instance(s) beyond the capacity to restore, least proven first: ${surplus.join(", ")}`)
    const terminated = [...retired, ...surplus]
    yield* step(name, "restore", `min ${restored.minSize}, max ${restored.maxSize}, desired ${restored.desiredCapacity}${restored.desiredCapacity === original.desiredCapacity ? "" : ` (${original.desiredCapacity} before the rollout, changed meanwhile by a scaling policy or a person)`}`)
    yield* asg.updateSizes(name, restored).pipe(Effect.mapError((cause) => new TerminationIncomplete({ group: name, terminated, cause })))
    // Something moved the zones apart since the last look (an operator's Standby, a replacement): AZRebalance resumed
    // now would terminate a serving instance, so it stays suspended, and the marker says why.
    const spread = zoneSpread(trimmed.group.instances, new Set([...zonesSeen, ...trimmed.group.instances.map((i) => i.availabilityZone)]))
    const held = waved && spread >= 2 && ours.includes(REBALANCE_PROCESS) ? [REBALANCE_PROCESS] : []
    const resume = ours.filter((p) => !held.includes(p))
    if (resume.length > 0) {
      yield* step(name, "resume", `resuming ${resume.join(", ")}`)
      yield* asg.resumeProcesses(name, resume).pipe(Effect.mapError((cause) => new TerminationIncomplete({ group: name, terminated, cause })))
    }
    yield* asg.deleteTags(name, [...written, ...(degraded === undefined || held.length > 0 ? [] : DEGRADED_TAGS)]).pipe(
      Effect.mapError((cause) => new TerminationIncomplete({ group: name, terminated, cause }))
    )
    if (held.length > 0) {
      const why = `${REBALANCE_PROCESS} left suspended: the zones are ${spread} instances apart, and resuming it now would make AWS terminate a serving instance; resume it once they are even (aws-ha-updater resume ${stackName})`
      yield* asg.setTags(name, degradedTags(why, yield* Clock.currentTimeMillis, held)).pipe(
        Effect.mapError((cause) => new TerminationIncomplete({ group: name, terminated, cause }))
      )
      yield* emit({ type: "warning", group: name, message: why })
    }
    committed += 1
    const result: GroupResult = {
      name,
      status: "succeeded",
      launched: [...(yield* Ref.get(launched))],
      terminated,
      leftSuspended: held,
      standby,
      ...(waved ? { waves: { committed, newRelease: idsOf(trimmed.group.instances.filter((i) => !toReplace.has(i.instanceId) && isRunning(i))) } } : {})
    }
    return result
  })

  /** The group as AWS has it now, in words, for a message that must not claim what is not so. */
  const sizesNow = describeGroup(name, stackName).pipe(
    Effect.map((g) => `the group is now at min ${g.minSize}, max ${g.maxSize}, desired ${g.desiredCapacity} (before the rollout: ${original.minSize}, ${original.maxSize}, ${original.desiredCapacity})`),
    Effect.orElseSucceed(() => "its sizes could not be read")
  )

  /** What the committed waves leave, for the summary of a run that did not finish. */
  const committedNote = () =>
    committed === 0 ? "" : `; ${committed} earlier wave${plural(committed)} committed: ${kept.length} instance(s) already run the new release (${kept.join(", ")})`
  const wavesOf = () => (waved ? { waves: { committed, newRelease: kept } } : {})

  const rollBack = (reason: string, status: "rolled-back" | "failed" | "interrupted", cause: RollBackCause) =>
    Effect.gen(function*() {
      const w = yield* Ref.get(current)
      yield* step(name, "roll-back", `rolling back${waved ? ` wave ${w.number}` : ""}: ${reason}`)
      // A failed release must not scale: the scaling process is left suspended with the others.
      if (scalingAlive && !ours.includes(SCALING_PROCESS)) ours = [SCALING_PROCESS, ...ours]
      const terminated = yield* removeNewInstances({
        name,
        stackName,
        isOld: (id) => w.present.has(id),
        sizes: { minSize: original.minSize, maxSize: Math.max(original.maxSize, w.from.desiredCapacity), desiredCapacity: w.from.desiredCapacity },
        listingTimeout,
        note: (suspendsLaunch) => asg.setTags(name, { ...phaseTags("rolling-back"), ...oursTags(suspendsLaunch ? [...ours, "Launch"] : ours) }),
        suspendAlso: scalingAlive ? [SCALING_PROCESS] : []
      })
      yield* step(name, "roll-back", terminated.length === 0 ? "no new instance to terminate" : `terminated new instance(s): ${terminated.join(", ")}`)
      const why = `${reason}${committedNote()}`
      const at = yield* Clock.currentTimeMillis
      yield* asg.setTags(name, degradedTags(why, at, ours))
      yield* asg.deleteTags(name, [...written])
      yield* step(name, "degraded", `left suspended on purpose: ${ours.join(", ") || "none"}; the group is tagged degraded`)
      const seen = yield* Ref.get(launched)
      return { name, status, launched: [...new Set([...seen, ...terminated])], terminated, reason: why, cause, leftSuspended: ours, standby, ...wavesOf() } as GroupResult
    }).pipe(
      Effect.catchAll((e: AwsError | GroupNotFound | TerminationIncomplete) =>
        Effect.gen(function*() {
          const seen = yield* Ref.get(launched)
          const terminated = e._tag === "TerminationIncomplete" ? e.terminated : []
          const error = e._tag === "TerminationIncomplete" ? e.cause : e
          const why = `${reason}${committedNote()}; the roll-back itself failed (${message(error)}) after terminating ${terminated.length} new instance(s); ${yield* sizesNow}: check the group, then run recover`
          yield* emit({ type: "warning", group: name, message: why })
          const failed = new RollBackFailed({ group: name, during: cause, error, terminated })
          return { name, status: "failed", launched: [...new Set([...seen, ...terminated])], terminated, reason: why, cause: failed, leftSuspended: ours, standby, ...wavesOf() } as GroupResult
        })
      ),
      Effect.tap((result) => emit({ type: "group-result", ...result })),
      Effect.uninterruptible
    )

  const commitFailed = (e: TerminationIncomplete | AwsError | GroupNotFound) =>
    Effect.gen(function*() {
      const terminated = e._tag === "TerminationIncomplete" ? e.terminated : []
      const error = e._tag === "TerminationIncomplete" ? e.cause : e
      const olds = terminated.length === 0
        ? "no old instance is terminated yet"
        : `the old instances are terminated (${terminated.length}: ${terminated.join(", ")})`
      const why = `committing failed (${message(error)}): the new instances are healthy and ${olds}${committedNote()}; ${yield* sizesNow}; processes stay suspended: check the group, then run recover`
      const at = yield* Clock.currentTimeMillis
      yield* asg.setTags(name, degradedTags(why, at, ours)).pipe(Effect.ignore)
      const cause = new CommitFailed({ group: name, error, terminated })
      const result: GroupResult = { name, status: "failed", launched: [...(yield* Ref.get(launched))], terminated, reason: why, cause, leftSuspended: ours, standby, ...wavesOf() }
      yield* emit({ type: "group-result", ...result })
      return result
    })

  type WaveEnd = { readonly _tag: "Ready"; readonly wave: Wave } | { readonly _tag: "CommitFailed"; readonly error: TerminationIncomplete | AwsError | GroupNotFound }
  const waves = (hub: PollHub.PollHub) => Effect.gen(function*() {
    let w = first
    let lastSpread = Number.POSITIVE_INFINITY
    yield* suspend
    while (true) {
      yield* scaleOut(w)
      yield* watch(hub, w)
      // Another balancing wave only while the last one brought the zones closer: AWS may not launch where expected.
      const spread = balances && w.last && balancing < MAX_BALANCING_WAVES
        ? spreadAfter(yield* describeGroup(name, stackName), new Set(w.retire), 0)
        : 0
      const unbalanced = spread >= 2 && spread < lastSpread
      if (w.last) lastSpread = spread
      if (w.last && !unbalanced) return { _tag: "Ready", wave: w } as WaveEnd
      const done = yield* Effect.either(commitWave(w))
      if (Either.isLeft(done)) return { _tag: "CommitFailed", error: done.left } as WaveEnd
      w = yield* nextWave(w, done.right)
    }
  })

  const outcome = yield* (sharedHub === undefined
    ? Effect.flatMap(PollHub.make(hubSettings), waves)
    : waves(sharedHub)).pipe(
    // The heartbeat lives as long as the waves: it ends before the record is removed.
    Effect.scoped,
    Effect.onInterrupt(() => rollBack("interrupted", "interrupted", new RolloutInterrupted({ group: name }))),
    Effect.either
  )
  if (Either.isLeft(outcome)) {
    const e = outcome.left
    return yield* rollBack(reasonOf(e), isWaitFailure(e) ? "rolled-back" : "failed", e)
  }
  if (outcome.right._tag === "CommitFailed") return yield* commitFailed(outcome.right.error).pipe(Effect.uninterruptible)
  return yield* commit(outcome.right.wave).pipe(
    Effect.tap((result) => emit({ type: "group-result", ...result })),
    Effect.catchAll(commitFailed),
    Effect.uninterruptible
  )
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

/**
 * The sizes a successful rollout ends with: the original ones, plus what scaling policies or people changed desired
 * by while it ran (`delta`), within the original min and a max raised as far as that needs.
 */
export const keepOthersChange = (original: GroupSizes, delta: number): GroupSizes => {
  const desiredCapacity = Math.max(original.minSize, original.desiredCapacity + delta)
  return { minSize: original.minSize, maxSize: Math.max(original.maxSize, desiredCapacity), desiredCapacity }
}

const isWaitFailure = (e: { readonly _tag: string }): e is WaitFailure =>
  e._tag === "HealthTimeout" || e._tag === "NewInstanceFailed" || e._tag === "AlarmFired"

const reasonOf = (e: WaitFailure | AwsError | GroupNotFound): string => {
  switch (e._tag) {
    case "HealthTimeout":
      return `timed out after ${e.seconds} s with ${e.healthy} of ${e.needed} new healthy`
    case "NewInstanceFailed":
      return `new instance ${e.instanceId} failed: ${e.reason}`
    case "AlarmFired":
      return `alarm ${e.alarm} went to ALARM: ${e.reason}`
    case "GroupNotFound":
      return `the group ${e.group} disappeared`
    default:
      return message(e)
  }
}
