import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import type { AutoScalingGroup, GroupSizes } from "../../services/AutoScaling.js"
import { AutoScaling } from "../../services/AutoScaling.js"
import type { AwsError } from "../../services/Errors.js"
import type { LoadBalancing } from "../../services/LoadBalancing.js"
import { emit, step } from "../Emit.js"
import type { GroupResult } from "../Events.js"
import { capacityOf, idsOf, isRunning, isStandby } from "./Assess.js"
import { DEGRADED_TAGS, degradedTags } from "./Degraded.js"
import { CommitFailed, type GroupNotFound } from "./RolloutErrors.js"
import { advance, label, message, type Plan } from "./RolloutPlan.js"
import type { Wave } from "./RolloutWave.js"
import { committedNote, sizesNow, wavesOf } from "./RollBack.js"
import { afterTerminating, alsoTerminated, describeGroup, LEAVING, type TerminationIncomplete, terminateExactly, trimSurplus } from "./Terminations.js"
import { REBALANCE_PROCESS, zoneSpread } from "./Waves.js"

/** What stops a commit part-way: the old instances it terminated so far are in a `TerminationIncomplete`. */
export type CommitError = TerminationIncomplete | AwsError | GroupNotFound

/**
 * The sizes a successful rollout ends with: the original ones, plus what scaling policies or people changed desired
 * by while it ran (`delta`), within the original min and a max raised as far as that needs.
 */
export const keepOthersChange = (original: GroupSizes, delta: number): GroupSizes => {
  const desiredCapacity = Math.max(original.minSize, original.desiredCapacity + delta)
  return { minSize: original.minSize, maxSize: Math.max(original.maxSize, desiredCapacity), desiredCapacity }
}

/** The step that says which instances a wave's commit terminates. */
const terminating = (plan: Plan, w: Wave, olds: ReadonlyArray<string>) =>
  step(plan.name, "terminate-old", olds.length === 0
    ? `${label(plan, w)}no old instance left to terminate: each one has already left the group`
    : `${label(plan, w)}terminating ${olds.length} ${w.balance === true ? "instance(s) of the fullest zone" : "old instance(s)"}: ${olds.join(", ")}`)

/**
 * A wave that is not the last: its old instances go by id (min held at desired), and the next wave starts from here.
 * Returns desired as our terminations left it: the next wave counts what others change from there.
 */
// Stryker disable next-line StringLiteral: a span's name, seen in traces only
export const commitWave: (plan: Plan, w: Wave) => Effect.Effect<number, CommitError, AutoScaling> = Effect.fn("Rollout.commitWave")(
  function*(plan: Plan, w: Wave) {
    const { name, progress, stackName } = plan
    const g = yield* describeGroup(name, stackName)
    const olds = idsOf(g.instances.filter((i) => w.retire.includes(i.instanceId) && isRunning(i)))
    yield* advance(plan, "terminating-old")
    yield* terminating(plan, w, olds)
    const retired = yield* terminateExactly(g, olds, Number.POSITIVE_INFINITY).pipe(alsoTerminated(progress.retiredSoFar))
    progress.retiredSoFar = [...progress.retiredSoFar, ...retired]
    const retiredIds = new Set(retired)
    progress.kept = idsOf(g.instances.filter((i) => !plan.toReplace.has(i.instanceId) && !retiredIds.has(i.instanceId) && !LEAVING.test(i.lifecycleState) && !isStandby(i)))
    progress.committed += 1
    progress.othersDelta += g.desiredCapacity - w.raised.desiredCapacity
    const retiredCapacity = capacityOf(g.instances.filter((i) => retiredIds.has(i.instanceId)))
    // Until the next wave is planned, an interruption rolls back nothing but what launched after this read.
    const after = g.desiredCapacity - retiredCapacity
    yield* Ref.set(plan.current, { ...w, present: new Set(idsOf(g.instances)), from: { ...w.raised, desiredCapacity: after }, retire: [], size: 0 })
    return after
  },
  Effect.uninterruptible
)

/**
 * The last wave: its old instances go by id, then new ones beyond the capacity to keep (least proven first), the sizes
 * are restored with what others changed meanwhile, our processes resumed and the record removed. Uninterruptible; a
 * failure part-way ends in `commitFailed`.
 */
export const commit = (plan: Plan, w: Wave): Effect.Effect<GroupResult, never, AutoScaling | LoadBalancing> =>
  finish(plan, w).pipe(
    Effect.tap((result) => emit({ type: "group-result", ...result })),
    Effect.catchAll((e) => commitFailed(plan, e)),
    Effect.uninterruptible
  )

// Stryker disable next-line StringLiteral: a span's name, seen in traces only
const finish = Effect.fn("Rollout.commit")(function*(plan: Plan, w: Wave) {
  const asg = yield* AutoScaling
  const { name, original, progress, stackName, toReplace, waved, zonesSeen } = plan
  const g = yield* describeGroup(name, stackName)
  // Standby instances are the operator's: they stay, as does anything already leaving.
  const olds = idsOf(g.instances.filter((i) => (toReplace.has(i.instanceId) || w.retire.includes(i.instanceId)) && isRunning(i)))
  yield* advance(plan, "terminating-old")
  yield* terminating(plan, w, olds)
  const retiredNow = yield* terminateExactly(g, olds, original.minSize).pipe(alsoTerminated(progress.retiredSoFar))
  const retired = [...progress.retiredSoFar, ...retiredNow]
  const retiredCapacity = capacityOf(g.instances.filter((i) => retiredNow.includes(i.instanceId)))
  yield* afterTerminating(name, retired)(advance(plan, "restoring"))
  // What desired would be had nobody else changed it: the raise, less what our terminations took off.
  const othersChange = (now: AutoScalingGroup) => progress.othersDelta + now.desiredCapacity - (w.raised.desiredCapacity - retiredCapacity)
  const trimmed = yield* trimSurplus(name, stackName, (id) => !w.present.has(id), (now) => keepOthersChange(original, othersChange(now)).desiredCapacity, original.minSize, plan.listingTimeout).pipe(alsoTerminated(retired))
  const surplus = trimmed.terminated
  const restored = keepOthersChange(original, othersChange(trimmed.group))
  if (surplus.length > 0) yield* step(name, "restore", `terminated ${surplus.length} new instance(s) beyond the capacity to restore, least proven first: ${surplus.join(", ")}`)
  const terminated = [...retired, ...surplus]
  const done = afterTerminating(name, terminated)
  yield* step(name, "restore", `min ${restored.minSize}, max ${restored.maxSize}, desired ${restored.desiredCapacity}${restored.desiredCapacity === original.desiredCapacity ? "" : ` (${original.desiredCapacity} before the rollout, changed meanwhile by a scaling policy or a person)`}`)
  yield* done(asg.updateSizes(name, restored))
  // Something moved the zones apart since the last look (an operator's Standby, a replacement): AZRebalance resumed
  // now would terminate a serving instance, so it stays suspended, and the marker says why.
  const spread = zoneSpread(trimmed.group.instances, new Set([...zonesSeen, ...trimmed.group.instances.map((i) => i.availabilityZone)]))
  const held = waved && spread >= 2 && progress.ours.includes(REBALANCE_PROCESS) ? [REBALANCE_PROCESS] : []
  const resume = progress.ours.filter((p) => !held.includes(p))
  if (resume.length > 0) {
    yield* step(name, "resume", `resuming ${resume.join(", ")}`)
    yield* done(asg.resumeProcesses(name, resume))
  }
  // The marker goes on before the record comes off: a run that dies between the two leaves one of them to go by.
  if (held.length > 0) {
    const why = `${REBALANCE_PROCESS} left suspended: the zones are ${spread} instances apart, and resuming it now would make AWS terminate a serving instance; resume it once they are even (aws-ha-updater resume ${stackName})`
    yield* done(asg.setTags(name, degradedTags(why, yield* Clock.currentTimeMillis, held)))
    yield* emit({ type: "warning", group: name, message: why })
  }
  // An earlier run's marker goes, unless the one just written replaced it.
  yield* done(asg.deleteTags(name, [...progress.written, ...(plan.degraded === undefined || held.length > 0 ? [] : DEGRADED_TAGS)]))
  progress.committed += 1
  const result: GroupResult = {
    name,
    status: "succeeded",
    launched: [...(yield* Ref.get(plan.launched))],
    terminated,
    leftSuspended: held,
    standby: plan.standby,
    ...(waved ? { waves: { committed: progress.committed, newRelease: idsOf(trimmed.group.instances.filter((i) => !toReplace.has(i.instanceId) && isRunning(i))) } } : {})
  }
  return result
})

/**
 * Committing stopped part-way: the new instances are healthy, some old ones may be gone. Nothing is undone; the group
 * is tagged degraded with what is known, processes stay suspended, and `recover` finishes the job.
 */
// Stryker disable next-line StringLiteral: a span's name, seen in traces only
export const commitFailed: (plan: Plan, e: CommitError) => Effect.Effect<GroupResult, never, AutoScaling> = Effect.fn("Rollout.commitFailed")(
  function*(plan: Plan, e: CommitError) {
    const asg = yield* AutoScaling
    const { name, progress } = plan
    const terminated = e._tag === "TerminationIncomplete" ? e.terminated : []
    const error = e._tag === "TerminationIncomplete" ? e.cause : e
    const olds = terminated.length === 0
      ? "no old instance is terminated yet"
      : `the old instances are terminated (${terminated.length}: ${terminated.join(", ")})`
    const why = `committing failed (${message(error)}): the new instances are healthy and ${olds}${committedNote(plan)}; ${yield* sizesNow(plan)}; processes stay suspended: check the group, then run recover`
    const at = yield* Clock.currentTimeMillis
    yield* asg.setTags(name, degradedTags(why, at, progress.ours)).pipe(Effect.ignore)
    const cause = new CommitFailed({ group: name, error, terminated })
    const result: GroupResult = { name, status: "failed", launched: [...(yield* Ref.get(plan.launched))], terminated, reason: why, cause, leftSuspended: progress.ours, standby: plan.standby, ...wavesOf(plan) }
    yield* emit({ type: "group-result", ...result })
    return result
  }
)
