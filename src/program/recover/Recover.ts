import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import type { AutoScalingGroup } from "../../services/AutoScaling.js"
import type { CloudFormation } from "../../services/CloudFormation.js"
import type { InvalidInput, StackNotFound } from "../../services/Errors.js"
import type { LoadBalancing } from "../../services/LoadBalancing.js"
import { isRunning } from "../rollout/Assess.js"
import { AutoScaling } from "../../services/AutoScaling.js"
import type { AwsError } from "../../services/Errors.js"
import { DEGRADED_TAGS, degradedTags, readDegraded } from "../rollout/Degraded.js"
import { REBALANCE_PROCESS, zoneSpread } from "../rollout/Waves.js"
import { emit, step } from "../Emit.js"
import type { GroupResult } from "../Events.js"
import { RecordUnreadable, RollbackUnsafe } from "./RecoverErrors.js"
import { GroupNotFound, RolloutHeld, StackBusy } from "../rollout/RolloutErrors.js"
import { claimKey, claimsOf, decodeStamp, HEARTBEAT_KEY, isFresh, oursTags, type Phase, phaseTags, recordKeys } from "../rollout/RolloutRecord.js"
import { describeGroup, raisedSizes, readHealth, removeNewInstances, type TerminationIncomplete, terminateExactly, trimSurplus } from "../rollout/Terminations.js"
import { stackGroups } from "../stack/StackGroups.js"
import { overallStatus } from "../stack/StackRollout.js"
import {
  decide,
  defaultRecoverOptions,
  readRecord,
  type Recoverable,
  type RecoverDecision,
  type RecoverOptions,
  type RecoverResult,
  rollbackIsSafe,
  type RolloutView,
  rolloutView,
  targetSizes
} from "./RecoverView.js"

/** A poll round that found too little new healthy capacity: the wait's schedule tries again. */
class NotReady extends Data.TaggedError("NotReady")<{}> {}

/** The error and its message; an error with none of its own (TerminationIncomplete) is told by what caused it. */
const message = (e: { readonly _tag: string; readonly message?: string; readonly cause?: unknown }): string => {
  if (e.message !== undefined && e.message.length > 0) return `${e._tag}: ${e.message}`
  const cause = e.cause
  return Predicate.hasProperty(cause, "_tag") && Predicate.isString(cause._tag)
    ? `${e._tag}: ${message(cause as { readonly _tag: string })}`
    : e._tag
}

/** Completes or rolls back one group from its record; the terminate and restore steps always run to their end. */
// Stryker disable next-line StringLiteral: a span's name, seen in traces only
const recoverGroup = Effect.fn("Recover.group")(function*(
  initial: AutoScalingGroup,
  record: Recoverable,
  stackName: string,
  options: RecoverOptions
) {
  const asg = yield* AutoScaling
  const name = initial.name
  const s = targetSizes(record)
  const reported = yield* Ref.make(false)
  /** The instances this recover terminated so far: a failure later on still reports them. */
  const gone = yield* Ref.make<ReadonlyArray<string>>([])
  const report = (result: GroupResult) =>
    Effect.as(Effect.zipRight(Ref.set(reported, true), emit({ type: "group-result", ...result })), result)
  const look = Effect.flatMap(describeGroup(name, stackName), (group) =>
    Effect.map(readHealth(group), (health) => ({ group, view: rolloutView(group, record, health) })))
  const setPhase = (phase: Phase) => asg.setTags(name, phaseTags(phase))

  const restore = (resume: ReadonlyArray<string>, clearMarker: boolean) =>
    Effect.gen(function*() {
      yield* setPhase("restoring")
      const g = yield* describeGroup(name, stackName)
      if (g.minSize !== s.minSize || g.maxSize !== s.maxSize || g.desiredCapacity !== s.desiredCapacity) {
        yield* step(name, "restore", `min ${g.minSize}→${s.minSize}, max ${g.maxSize}→${s.maxSize}, desired ${g.desiredCapacity}→${s.desiredCapacity}`)
        yield* asg.updateSizes(name, s)
      }
      // Waves may leave the zones two or more apart: AZRebalance resumed then would terminate a serving instance.
      const spread = record.wave === undefined ? 0 : zoneSpread(g.instances, new Set(g.instances.map((i) => i.availabilityZone)))
      const holdRebalance = spread >= 2 && resume.includes(REBALANCE_PROCESS) && g.suspendedProcesses.includes(REBALANCE_PROCESS)
      const toResume = resume.filter((p) => g.suspendedProcesses.includes(p) && !(holdRebalance && p === REBALANCE_PROCESS))
      if (toResume.length > 0) {
        yield* step(name, "resume", `resuming ${toResume.join(", ")}`)
        yield* asg.resumeProcesses(name, toResume)
      }
      // The marker goes on before the record comes off: a recover that dies between the two leaves one of them.
      if (holdRebalance) {
        const why = `${REBALANCE_PROCESS} left suspended: the zones are ${spread} instances apart after the waves, and resuming it now would make AWS terminate a serving instance; resume it once they are even (update-asgs --replace-all evens them with balancing waves)`
        const prior = clearMarker ? undefined : readDegraded(g)
        const left = [...new Set([...(prior?.leftSuspended ?? []), REBALANCE_PROCESS])]
        yield* asg.setTags(name, degradedTags(prior === undefined ? why : `${prior.reason}; ${why}`, yield* Clock.currentTimeMillis, left))
        yield* emit({ type: "warning", group: name, message: why })
      }
      // An earlier run's marker is cleared on completion, unless the one just written replaced it.
      const marker = clearMarker && !holdRebalance ? DEGRADED_TAGS.filter((k) => g.tags[k] !== undefined) : []
      yield* asg.deleteTags(name, [...recordKeys(g.tags), ...marker])
      yield* step(name, "restore", `rollout record removed${marker.length > 0 ? ", degraded marker cleared" : ""}`)
      return { group: g, held: holdRebalance ? [REBALANCE_PROCESS] : [] }
    })

  const rollBack = (why: string) =>
    Effect.gen(function*() {
      yield* step(name, "roll-back", `recover: rolling back${record.wave === undefined ? "" : ` wave ${record.wave.number}`} (phase ${record.phase}): ${why}`)
      const oldSet = new Set(record.oldIds)
      const fresh = yield* removeNewInstances({
        name,
        stackName,
        isOld: (id) => oldSet.has(id),
        sizes: s,
        listingTimeout: options.listingTimeout ?? "30 seconds",
        note: (suspendsLaunch) =>
          asg.setTags(name, { ...phaseTags("rolling-back"), ...(suspendsLaunch ? oursTags([...record.ours, "Launch"]) : {}) })
      })
      yield* Ref.set(gone, fresh)
      yield* step(name, "roll-back", fresh.length === 0 ? "no new instance to terminate" : `terminated new instance(s): ${fresh.join(", ")}`)
      // What an earlier failed run left suspended was suspended before this rollout: rolling back keeps it so.
      const leftBefore = readDegraded(initial)?.leftSuspended ?? []
      const { group: after, held } = yield* restore(record.ours.filter((p) => !leftBefore.includes(p)), false)
      return yield* report({
        name,
        status: "rolled-back",
        launched: fresh,
        terminated: fresh,
        reason: `rolled back: ${why}${record.wave === undefined || record.wave.kept.length === 0 ? "" : `; the ${record.wave.kept.length} new instance(s) of the ${record.wave.number - 1} committed wave(s) stay`}`,
        leftSuspended: [...leftBefore.filter((p) => after.suspendedProcesses.includes(p)), ...held.filter((p) => !leftBefore.includes(p))],
        ...(record.wave === undefined ? {} : { waves: { committed: record.wave.number - 1, newRelease: record.wave.kept } })
      })
    }).pipe(Effect.uninterruptible)

  const commit = (why: string) =>
    Effect.gen(function*() {
      const g = yield* describeGroup(name, stackName)
      const v = rolloutView(g, record, { classic: {}, targetGroups: {} })
      // In a wave, the old instances it retires; every old one otherwise.
      if (v.oldIds.length > 0) {
        yield* setPhase("terminating-old")
        yield* step(name, "terminate-old", `terminating ${v.oldIds.length} old instance(s): ${v.oldIds.join(", ")}`)
        yield* Ref.set(gone, yield* terminateExactly(g, v.oldIds, s.minSize))
      }
      const { terminated: surplus } = yield* trimSurplus(name, stackName, (id) => !record.oldIds.includes(id), () => s.desiredCapacity, s.minSize, options.listingTimeout ?? "30 seconds")
      yield* Ref.update(gone, (soFar) => [...soFar, ...surplus])
      if (surplus.length > 0) yield* step(name, "restore", `terminated ${surplus.length} new instance(s) beyond the capacity to restore, least proven first: ${surplus.join(", ")}`)
      const { held } = yield* restore(record.ours, true)
      const rest = record.wave === undefined ? [] : record.oldIds.filter((id) => !record.wave!.kept.includes(id) && !record.wave!.retire.includes(id) && g.instances.some((i) => i.instanceId === id && isRunning(i)))
      const waveNote = record.wave === undefined
        ? ""
        : `; wave ${record.wave.number} finished, ${rest.length} old instance(s) still run the previous release: run update-asgs again to replace them`
      // What was really terminated: the old instances, and new ones beyond the capacity to restore.
      const terminated = yield* Ref.get(gone)
      const serving = v.newIds.filter((id) => !surplus.includes(id))
      return yield* report({ name, status: "succeeded", launched: v.newIds, terminated, reason: `completed: ${why}${waveNote}`, leftSuspended: held, ...(record.wave === undefined ? {} : { waves: { committed: record.wave.number, newRelease: [...record.wave.kept, ...serving] } }) })
    }).pipe(Effect.uninterruptible)

  /** Puts the group back where the wait can succeed: our processes suspended, and scaled out if it never was. */
  const prepare = (g: AutoScalingGroup, v: RolloutView) =>
    Effect.gen(function*() {
      if (v.oldIds.length === 0 && v.healthy >= v.needed) return
      const toSuspend = record.ours.filter((p) => !g.suspendedProcesses.includes(p))
      if (toSuspend.length > 0) {
        yield* step(name, "suspend", `suspending ${toSuspend.join(", ")}`)
        yield* asg.suspendProcesses(name, toSuspend)
      }
      // The run died before its scale-out took effect: the group never got its extra capacity.
      const beforeScaleOut = record.phase === "suspending" || record.phase === "scaling-out" ||
        (record.phase === "unknown" && v.oldCapacity >= v.needed)
      const raised = raisedSizes(s, v.needed)
      if (beforeScaleOut && g.desiredCapacity < raised.desiredCapacity) {
        yield* setPhase("scaling-out")
        yield* step(name, "scale-out", `min ${g.minSize}→${raised.minSize}, max ${g.maxSize}→${raised.maxSize}, desired ${g.desiredCapacity}→${raised.desiredCapacity}`)
        yield* asg.updateSizes(name, raised)
        yield* setPhase("waiting")
      }
    }).pipe(Effect.uninterruptible)

  const waitHealthy = Effect.gen(function*() {
    const timeout = Duration.decode(options.healthyTimeout)
    const started = yield* Clock.currentTimeMillis
    const round = Effect.gen(function*() {
      const { view } = yield* look
      const now = yield* Clock.currentTimeMillis
      yield* emit({
        type: "progress",
        group: name,
        oldCount: view.oldIds.length,
        newCount: view.newIds.length,
        healthy: view.healthy,
        needed: view.needed,
        timeLeft: Math.max(0, Duration.toMillis(timeout) - (now - started))
      })
      return view.healthy >= view.needed ? view : yield* Effect.fail(new NotReady())
    })
    return yield* round.pipe(
      Effect.retry({ schedule: Schedule.spaced(options.pollInterval), while: (e) => e._tag === "NotReady" }),
      Effect.timeoutOption(timeout),
      // The retry never gives up on NotReady by itself: only the timeout ends a wait that never got there.
      Effect.catchTag("NotReady", () => Effect.succeed(Option.none<RolloutView>()))
    )
  })

  const complete = (g: AutoScalingGroup, v: RolloutView, why: string) =>
    Effect.gen(function*() {
      yield* step(name, "inspect", `recover: completing ${record.wave === undefined ? "the rollout" : `wave ${record.wave.number} of the rollout`} (phase ${record.phase}): ${why}`)
      yield* prepare(g, v)
      if (v.healthy < v.needed) {
        yield* step(name, "wait", `waiting up to ${Duration.format(Duration.decode(options.healthyTimeout))} for ${v.needed} new capacity healthy in the group and its load balancers`)
      }
      const ready = yield* waitHealthy
      if (Option.isSome(ready)) return yield* commit(why)
      const { view } = yield* look
      const late = `the new instances did not provide ${view.needed} healthy capacity within ${Duration.format(Duration.decode(options.healthyTimeout))} (${view.healthy} healthy)`
      if (rollbackIsSafe(view)) return yield* rollBack(`${late}; falling back to a roll-back`)
      return yield* report({
        name,
        status: "failed",
        launched: view.newIds,
        terminated: [],
        reason: `${late}, and rolling back would drop serving capacity (${view.oldCapacity} old capacity left): the record stays; check the new instances, then run recover again`,
        leftSuspended: []
      })
    })

  return yield* Effect.gen(function*() {
    const { group, view } = yield* look
    if (record.damaged !== undefined) {
      yield* emit({ type: "warning", group: name, message: `${record.damaged}; every instance not listed as old counts as new${record.ours.length === 0 ? "; the record does not say which processes it suspended, so none is resumed" : ""}` })
    }
    const decision = decide(options.mode, view, record.phase)
    const result = decision.action === "complete" ? yield* complete(group, view, decision.why) : yield* rollBack(decision.why)
    // A complete that ran out of time ended as a roll-back: the decision reports what was done.
    const done: RecoverDecision = decision.action === "complete" && result.status === "rolled-back"
      ? { group: name, action: "rollback", why: `${decision.why}; then ${result.reason?.replace(/^rolled back: /, "") ?? "the wait timed out"}` }
      : { group: name, ...decision }
    return { result, decision: done }
  }).pipe(
    Effect.catchAll((e: AwsError | GroupNotFound | TerminationIncomplete) =>
      Effect.gen(function*() {
        const terminated = [...new Set([...(yield* Ref.get(gone)), ...(e._tag === "TerminationIncomplete" ? e.terminated : [])])]
        const after = terminated.length === 0 ? "" : ` after terminating ${terminated.length} instance(s): ${terminated.join(", ")}`
        const result = yield* report({ name, status: "failed", launched: [], terminated, reason: `recover failed (${message(e)})${after}: the record stays; run recover again`, leftSuspended: [] })
        return { result, decision: { group: name, action: "none", why: message(e) } satisfies RecoverDecision }
      })
    ),
    Effect.onInterrupt(() =>
      Effect.unlessEffect(
        report({ name, status: "interrupted", launched: [], terminated: [], reason: "interrupted before the group was finished: the record stays; run recover again", leftSuspended: [] }),
        Ref.get(reported)
      )
    )
  )
})

/** recover: every group of the stack that carries a rollout record is completed or rolled back; the others are clean. */
export const recoverStack: (stackName: string, options?: RecoverOptions) => Effect.Effect<
  RecoverResult,
  AwsError | StackNotFound | InvalidInput | StackBusy | RolloutHeld | RecordUnreadable | RollbackUnsafe,
  AutoScaling | CloudFormation | LoadBalancing
// Stryker disable next-line StringLiteral: a span's name, seen in traces only
> = Effect.fn("Recover.recoverStack")(function*(stackName: string, options: RecoverOptions = defaultRecoverOptions) {
  const { groups, stack } = yield* stackGroups(stackName, [])
  if (stack.status.endsWith("_IN_PROGRESS")) return yield* Effect.fail(new StackBusy({ stackName, status: stack.status }))
  const plans: Array<{ readonly group: AutoScalingGroup; readonly record: Recoverable | undefined }> = []
  const now = yield* Clock.currentTimeMillis
  const force = options.force ?? false
  // Every refusal comes before the first change to any group.
  for (const g of groups) {
    if (g.group === undefined) {
      yield* emit({ type: "warning", group: g.name, message: `the stack names group ${g.name} (${g.logicalId}) but Auto Scaling does not know it: nothing to recover there` })
      continue
    }
    const reading = readRecord(g.group)
    if (reading._tag === "Unreadable") {
      return yield* Effect.fail(new RecordUnreadable({ group: g.name, stackName, what: reading.what, check: reading.check }))
    }
    const record = reading._tag === "Readable" ? reading.record : undefined
    const claims = claimsOf(g.group.tags)
    // A live run renews its heartbeat; a run between its claim and its record is there for seconds only.
    const beat = record === undefined ? claims.find((c) => c.stamp !== undefined && isFresh(c.stamp, now))?.stamp : decodeStamp(g.group.tags[HEARTBEAT_KEY])
    if (!force && beat !== undefined && isFresh(beat, now)) {
      const age = Math.max(0, Math.round((now - beat.at) / 1000))
      return yield* Effect.fail(new RolloutHeld({
        group: g.name,
        stackName,
        // The run that renewed its claim last is the live one; a leftover claim of a dead run is older.
        holder: [...claims].sort((a, b) => (b.stamp?.at ?? -Infinity) - (a.stamp?.at ?? -Infinity) || a.runId.localeCompare(b.runId))[0]?.runId ?? "unknown",
        reason: `${record === undefined ? "its claim" : "its rollout record's heartbeat"} is ${age} s old (renewed every ${beat.everySeconds} s), so its run looks alive: recover takes over only with --force`
      }))
    }
    if (record !== undefined && options.mode === "rollback") {
      const v = rolloutView(g.group, record, yield* readHealth(g.group))
      if (!rollbackIsSafe(v)) {
        return yield* Effect.fail(new RollbackUnsafe({ group: g.name, stackName, oldCapacity: v.oldCapacity, healthyNew: v.healthy, needed: v.needed }))
      }
    }
    plans.push({ group: g.group, record })
  }
  const results: Array<GroupResult> = []
  const decisions: Array<RecoverDecision> = []
  for (const { group, record } of plans) {
    if (record === undefined) {
      // Claims of runs that died before writing their record.
      const leftover = claimsOf(group.tags).map((c) => claimKey(c.runId))
      if (leftover.length > 0) yield* (yield* AutoScaling).deleteTags(group.name, leftover)
      const reason = leftover.length > 0 ? `clean: no rollout record; removed ${leftover.length} leftover claim(s)` : "clean: no rollout record"
      yield* step(group.name, "skip", reason)
      const result: GroupResult = { name: group.name, status: "up-to-date", launched: [], terminated: [], reason, leftSuspended: [] }
      yield* emit({ type: "group-result", ...result })
      results.push(result)
      decisions.push({ group: group.name, action: "none", why: "no rollout record" })
      continue
    }
    const { decision, result } = yield* recoverGroup(group, record, stackName, options)
    results.push(result)
    decisions.push(decision)
  }
  const done: RecoverResult = { stack: stackName, status: overallStatus(results.map((r) => r.status)), groups: results, decisions }
  return done
})
