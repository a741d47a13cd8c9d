import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type { AutoScalingGroup, GroupSizes } from "../services/AutoScaling.js"
import { AutoScaling } from "../services/AutoScaling.js"
import type { AwsError } from "../services/Errors.js"
import { LaunchTemplates } from "../services/LaunchTemplates.js"
import { assess, type Assessment, baselineOf, capacityOf, isOutdated, isRunning, isStandby, type LaunchSpec } from "./Assess.js"
import * as Claim from "./Claim.js"
import { DEGRADED_TAGS, degradedTags, readDegraded } from "./Degraded.js"
import { emit, type GroupResult, step } from "./Events.js"
import * as PollHub from "./PollHub.js"
import { GroupNotFound, HealthTimeout, NewInstanceFailed, RecordDoesNotFit, type WaitFailure, WarmPoolPresent } from "./RolloutErrors.js"
import { encodeRecord, oursTags, type Phase, phaseTags, recordKeys, TAGS_PER_GROUP } from "./RolloutRecord.js"
import { describeGroup, raisedSizes, readHealth, removeNewInstances, TerminationIncomplete, terminateExactly, trimSurplus } from "./Terminations.js"

export interface RolloutOptions {
  /** How long the new instances have to become healthy everywhere. */
  readonly healthyTimeout: Duration.DurationInput
  /** Time between two poll rounds while waiting. */
  readonly pollInterval: Duration.DurationInput
  /** Replace every running instance even when none is outdated. */
  readonly replaceAll: boolean
  /** How long a roll-back waits for AWS to list the instances the scale-out launched. Default 30 s. */
  readonly listingTimeout?: Duration.DurationInput
}

export const defaultOptions: RolloutOptions = {
  healthyTimeout: Duration.seconds(600),
  pollInterval: Duration.seconds(5),
  replaceAll: false
}

const DEFAULT_LISTING_TIMEOUT = Duration.seconds(30)

/** Everything but Launch, Terminate, HealthCheck and AddToLoadBalancer: the ASG must not act on its own meanwhile. */
export const PROCESSES_TO_SUSPEND: ReadonlyArray<string> = [
  "AlarmNotification",
  "AZRebalance",
  "InstanceRefresh",
  "ReplaceUnhealthy",
  "ScheduledActions"
]

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

/**
 * Rolls one group: suspend, scale out, wait for the new instances, then commit (terminate the old ones) or roll
 * back (terminate the new ones). Roll-back also runs, uninterruptibly, when the fiber is interrupted.
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
  const standby = initial.instances.filter(isStandby).map((i) => i.instanceId)
  const outdated = running.filter((i) => isOutdated(i, spec))
  const upToDate = (reason: string) => {
    const result: GroupResult = { name, status: "up-to-date", launched: [], terminated: [], leftSuspended: [], standby }
    return Effect.as(Effect.zipRight(step(name, "skip", reason), emit({ type: "group-result", ...result })), result)
  }
  if (running.length === 0) return yield* upToDate("no running instance to replace")
  if (outdated.length === 0 && !options.replaceAll) return yield* upToDate("all instances run the group's launch spec")

  const original: GroupSizes = {
    minSize: initial.minSize,
    maxSize: initial.maxSize,
    desiredCapacity: initial.desiredCapacity
  }
  const n = capacityOf(running)
  // From the running capacity, which may exceed desired (weights): AWS then launches at least `n` new units.
  const raised = raisedSizes(original, n)
  const listingTimeout = options.listingTimeout ?? DEFAULT_LISTING_TIMEOUT
  const oldIds = new Set(initial.instances.map((i) => i.instanceId))
  const degraded = readDegraded(initial)
  const toSuspend = PROCESSES_TO_SUSPEND.filter((p) => !initial.suspendedProcesses.includes(p))
  // Processes an earlier failed run of ours left suspended are ours to resume once this run succeeds.
  const ours = [...new Set([...toSuspend, ...(degraded?.leftSuspended ?? []).filter((p) => initial.suspendedProcesses.includes(p))])]
  const launched = yield* Ref.make<ReadonlySet<string>>(new Set())
  const last = yield* Ref.make<Assessment | undefined>(undefined)

  const startedAt = yield* Clock.currentTimeMillis
  const record = {
    ...encodeRecord({
      id: claim?.runId ?? (yield* Effect.sync(() => crypto.randomUUID())),
      stack: stackName,
      phase: "suspending",
      startedAt,
      sizes: original,
      needed: n,
      ours,
      oldIds: [...oldIds]
    }),
    ...(claim === undefined ? {} : Claim.recordTags(claim, startedAt))
  }
  const tagsAfter = new Set([...Object.keys(initial.tags), ...Object.keys(record), ...DEGRADED_TAGS])
  if (tagsAfter.size > TAGS_PER_GROUP) {
    return yield* Effect.fail(new RecordDoesNotFit({ group: name, tags: Object.keys(initial.tags).length, needed: Object.keys(record).length + DEGRADED_TAGS.length }))
  }
  const advance = (phase: Phase) => asg.setTags(name, phaseTags(phase))
  if (claim !== undefined) yield* Claim.acquire(name, stackName, claim)

  yield* step(name, "inspect", `${outdated.length} of ${running.length} running instances outdated; replacing ${n} (capacity units)${standby.length > 0 ? `; ${standby.length} in Standby kept as they are` : ""}`)
  // What each load balancer serves from the old instances now: the new ones must give each at least as much.
  const baseline = baselineOf(initial, yield* readHealth(initial), running)

  const suspend = Effect.gen(function*() {
    // The record goes on the group before anything else changes: a run that dies from here on can be recovered.
    yield* asg.setTags(name, record)
    if (claim !== undefined) yield* Claim.keepAlive(name, claim)
    if (toSuspend.length === 0) return
    yield* step(name, "suspend", `suspending ${toSuspend.join(", ")}`)
    yield* asg.suspendProcesses(name, toSuspend)
  })

  const scaleOut = Effect.gen(function*() {
    yield* advance("scaling-out")
    yield* step(name, "scale-out", `min ${original.minSize}→${raised.minSize}, max ${original.maxSize}→${raised.maxSize}, desired ${original.desiredCapacity}→${raised.desiredCapacity}`)
    yield* asg.updateSizes(name, raised)
  })

  const waitHealthy = (hub: PollHub.PollHub) => Effect.gen(function*() {
    const timeout = Duration.decode(options.healthyTimeout)
    const started = yield* Clock.currentTimeMillis
    const everHealthy = new Set<string>()
    yield* advance("waiting")
    yield* step(name, "wait", `waiting up to ${Duration.format(timeout)} for ${n} new healthy in the group and its ${initial.loadBalancerNames.length + initial.targetGroupArns.length} load balancer(s)`)
    let seenRound = 0
    const round = Effect.gen(function*() {
      const r = yield* hub.next(name, seenRound)
      seenRound = r.n
      const group = r.groups.get(name)
      if (group === undefined) return yield* Effect.fail(new GroupNotFound({ group: name, stackName }))
      const seen = yield* Ref.get(launched)
      const a = assess(group, r.health, { oldIds, seenNew: seen, everHealthy, spec, baseline })
      for (const i of a.healthyNew) everHealthy.add(i.instanceId)
      yield* Ref.set(launched, new Set([...seen, ...a.newInstances.map((i) => i.instanceId)]))
      yield* Ref.set(last, a)
      const now = yield* Clock.currentTimeMillis
      yield* emit({
        type: "progress",
        group: name,
        oldCount: group.instances.filter((i) => oldIds.has(i.instanceId)).length,
        newCount: a.newInstances.length,
        healthy: a.healthyCapacity,
        needed: n,
        timeLeft: Math.max(0, Duration.toMillis(timeout) - (now - started))
      })
      if (a.failed !== undefined) {
        return yield* Effect.fail(new NewInstanceFailed({ group: name, ...a.failed }))
      }
      return a.healthyCapacity >= n && a.short.length === 0 ? Option.some(a) : Option.none()
    })
    return yield* round.pipe(
      // Pacing comes from the hub's Schedule: each repetition waits for the next shared poll round.
      Effect.repeat({ until: Option.isSome }),
      Effect.timeoutFail({
        duration: timeout,
        onTimeout: () => new HealthTimeout({ group: name, healthy: 0, needed: n, seconds: Duration.toSeconds(timeout) })
      }),
      Effect.catchTag("HealthTimeout", (e) =>
        Effect.flatMap(Ref.get(last), (a) => Effect.fail(new HealthTimeout({ ...e, healthy: a?.healthyCapacity ?? 0 })))),
      Effect.ensuring(hub.leave(name))
    )
  })

  const commit = Effect.gen(function*() {
    const g = yield* describeGroup(name, stackName)
    // Standby instances are the operator's: they stay, as does anything already leaving.
    const olds = g.instances.filter((i) => oldIds.has(i.instanceId) && isRunning(i)).map((i) => i.instanceId)
    yield* advance("terminating-old")
    yield* step(name, "terminate-old", `terminating ${olds.length} old instance(s): ${olds.join(", ")}`)
    const retired = yield* terminateExactly(g, olds, original.minSize)
    const retiredCapacity = capacityOf(g.instances.filter((i) => retired.includes(i.instanceId)))
    yield* advance("restoring").pipe(Effect.mapError((cause) => new TerminationIncomplete({ group: name, terminated: retired, cause })))
    // What desired would be had nobody else changed it: the raise, less what our terminations took off.
    const othersChange = (now: AutoScalingGroup) => now.desiredCapacity - (raised.desiredCapacity - retiredCapacity)
    const trimmed = yield* trimSurplus(name, stackName, (id) => !oldIds.has(id), (now) => keepOthersChange(original, othersChange(now)).desiredCapacity, original.minSize, listingTimeout).pipe(
      Effect.mapError((e) => new TerminationIncomplete({ group: name, terminated: [...retired, ...e.terminated], cause: e.cause }))
    )
    const surplus = trimmed.terminated
    const restored = keepOthersChange(original, othersChange(trimmed.group))
    if (surplus.length > 0) yield* step(name, "restore", `terminated ${surplus.length} new instance(s) beyond the capacity to restore, least proven first: ${surplus.join(", ")}`)
    const terminated = [...retired, ...surplus]
    yield* step(name, "restore", `min ${restored.minSize}, max ${restored.maxSize}, desired ${restored.desiredCapacity}${restored.desiredCapacity === original.desiredCapacity ? "" : ` (${original.desiredCapacity} before the rollout, changed meanwhile by a scaling policy or a person)`}`)
    yield* asg.updateSizes(name, restored).pipe(Effect.mapError((cause) => new TerminationIncomplete({ group: name, terminated, cause })))
    if (ours.length > 0) {
      yield* step(name, "resume", `resuming ${ours.join(", ")}`)
      yield* asg.resumeProcesses(name, ours).pipe(Effect.mapError((cause) => new TerminationIncomplete({ group: name, terminated, cause })))
    }
    yield* asg.deleteTags(name, [...Object.keys(record), ...(degraded === undefined ? [] : DEGRADED_TAGS)]).pipe(
      Effect.mapError((cause) => new TerminationIncomplete({ group: name, terminated, cause }))
    )
    const result: GroupResult = {
      name,
      status: "succeeded",
      launched: [...(yield* Ref.get(launched))],
      terminated,
      leftSuspended: [],
      standby
    }
    return result
  })

  /** The group as AWS has it now, in words, for a message that must not claim what is not so. */
  const sizesNow = describeGroup(name, stackName).pipe(
    Effect.map((g) => `the group is now at min ${g.minSize}, max ${g.maxSize}, desired ${g.desiredCapacity} (before the rollout: ${original.minSize}, ${original.maxSize}, ${original.desiredCapacity})`),
    Effect.orElseSucceed(() => "its sizes could not be read")
  )

  const rollBack = (reason: string, status: "rolled-back" | "failed" | "interrupted") =>
    Effect.gen(function*() {
      yield* step(name, "roll-back", `rolling back: ${reason}`)
      const terminated = yield* removeNewInstances({
        name,
        stackName,
        isOld: (id) => oldIds.has(id),
        sizes: original,
        listingTimeout,
        note: (suspendsLaunch) =>
          asg.setTags(name, { ...phaseTags("rolling-back"), ...(suspendsLaunch ? oursTags([...ours, "Launch"]) : {}) })
      })
      yield* step(name, "roll-back", terminated.length === 0 ? "no new instance to terminate" : `terminated new instance(s): ${terminated.join(", ")}`)
      const at = yield* Clock.currentTimeMillis
      yield* asg.setTags(name, degradedTags(reason, at, ours))
      yield* asg.deleteTags(name, recordKeys(record))
      yield* step(name, "degraded", `left suspended on purpose: ${ours.join(", ") || "none"}; the group is tagged degraded`)
      const seen = yield* Ref.get(launched)
      return { name, status, launched: [...new Set([...seen, ...terminated])], terminated, reason, leftSuspended: ours, standby } as GroupResult
    }).pipe(
      Effect.catchAll((e: AwsError | GroupNotFound | TerminationIncomplete) =>
        Effect.gen(function*() {
          const seen = yield* Ref.get(launched)
          const terminated = e._tag === "TerminationIncomplete" ? e.terminated : []
          const cause = e._tag === "TerminationIncomplete" ? e.cause : e
          const why = `${reason}; the roll-back itself failed (${message(cause)}) after terminating ${terminated.length} new instance(s); ${yield* sizesNow}: check the group, then run recover`
          yield* emit({ type: "warning", group: name, message: why })
          return { name, status: "failed", launched: [...new Set([...seen, ...terminated])], terminated, reason: why, leftSuspended: ours, standby } as GroupResult
        })
      ),
      Effect.tap((result) => emit({ type: "group-result", ...result })),
      Effect.uninterruptible
    )

  const outcome = yield* Effect.gen(function*() {
    yield* suspend
    yield* scaleOut
    return yield* (sharedHub === undefined
      ? Effect.scoped(Effect.flatMap(PollHub.make({ interval: options.pollInterval }), waitHealthy))
      : waitHealthy(sharedHub))
  }).pipe(
    // The heartbeat lives as long as suspend, scale-out and wait: it ends before the record is removed.
    Effect.scoped,
    Effect.onInterrupt(() => rollBack("interrupted", "interrupted")),
    Effect.either
  )
  if (Either.isLeft(outcome)) {
    const e = outcome.left
    return yield* rollBack(reasonOf(e), isWaitFailure(e) ? "rolled-back" : "failed")
  }
  return yield* commit.pipe(
    Effect.tap((result) => emit({ type: "group-result", ...result })),
    Effect.catchAll((e) =>
      Effect.gen(function*() {
        const terminated = e._tag === "TerminationIncomplete" ? e.terminated : []
        const cause = e._tag === "TerminationIncomplete" ? e.cause : e
        const olds = terminated.length === 0
          ? "no old instance is terminated yet"
          : `the old instances are terminated (${terminated.length}: ${terminated.join(", ")})`
        const why = `committing failed (${message(cause)}): the new instances are healthy and ${olds}; ${yield* sizesNow}; processes stay suspended: check the group, then run recover`
        const at = yield* Clock.currentTimeMillis
        yield* asg.setTags(name, degradedTags(why, at, ours)).pipe(Effect.ignore)
        const result: GroupResult = { name, status: "failed", launched: [...(yield* Ref.get(launched))], terminated, reason: why, leftSuspended: ours, standby }
        yield* emit({ type: "group-result", ...result })
        return result
      })
    ),
    Effect.uninterruptible
  )
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
  e._tag === "HealthTimeout" || e._tag === "NewInstanceFailed"

const reasonOf = (e: WaitFailure | AwsError | GroupNotFound): string => {
  switch (e._tag) {
    case "HealthTimeout":
      return `timed out after ${e.seconds} s with ${e.healthy} of ${e.needed} new healthy`
    case "NewInstanceFailed":
      return `new instance ${e.instanceId} failed: ${e.reason}`
    case "GroupNotFound":
      return `the group ${e.group} disappeared`
    default:
      return message(e)
  }
}
