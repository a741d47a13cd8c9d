import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import { AutoScaling } from "../../services/AutoScaling.js"
import type { AwsError } from "../../services/Errors.js"
import { emit, step } from "../Emit.js"
import type { GroupResult } from "../Events.js"
import { degradedTags } from "./Degraded.js"
import { type GroupNotFound, type RollBackCause, RollBackFailed, type WaitFailure } from "./RolloutErrors.js"
import { message, type Plan, plural, SCALING_PROCESS } from "./RolloutPlan.js"
import { oursTags, phaseTags } from "./RolloutRecord.js"
import { afterTerminating, describeGroup, removeNewInstances, type TerminationIncomplete } from "./Terminations.js"

/** The group as AWS has it now, in words, for a message that must not claim what is not so. */
export const sizesNow = (plan: Plan): Effect.Effect<string, never, AutoScaling> => {
  const { original } = plan
  return describeGroup(plan.name, plan.stackName).pipe(
    Effect.map((g) => `the group is now at min ${g.minSize}, max ${g.maxSize}, desired ${g.desiredCapacity} (before the rollout: ${original.minSize}, ${original.maxSize}, ${original.desiredCapacity})`),
    Effect.orElseSucceed(() => "its sizes could not be read")
  )
}

/** What the committed waves leave, for the summary of a run that did not finish. */
export const committedNote = (plan: Plan): string => {
  const { committed, kept } = plan.progress
  return committed === 0 ? "" : `; ${committed} earlier wave${plural(committed)} committed: ${kept.length} instance(s) already run the new release (${kept.join(", ")})`
}

export const wavesOf = (plan: Plan): { readonly waves?: { readonly committed: number; readonly newRelease: ReadonlyArray<string> } } =>
  plan.waved ? { waves: { committed: plan.progress.committed, newRelease: plan.progress.kept } } : {}

/**
 * Rolls the current wave back: every instance launched since it began goes by id, the sizes go back to where it
 * began, and the group keeps its processes suspended (the scaling process too) under a degraded tag. Uninterruptible:
 * a second Ctrl-C does not abandon it. When the roll-back itself fails, the result says what is known and points at
 * `recover`.
 */
export const rollBack: (
  plan: Plan,
  reason: string,
  status: "rolled-back" | "failed" | "interrupted",
  cause: RollBackCause
// Stryker disable next-line StringLiteral: a span's name, seen in traces only
) => Effect.Effect<GroupResult, never, AutoScaling> = Effect.fn("Rollout.rollBack")(
  function*(plan: Plan, reason: string, status: "rolled-back" | "failed" | "interrupted", cause: RollBackCause) {
    const asg = yield* AutoScaling
    const { name, original, progress } = plan
    const w = yield* Ref.get(plan.current)
    yield* step(name, "roll-back", `rolling back${plan.waved ? ` wave ${w.number}` : ""}: ${reason}`)
    // A failed release must not scale: the scaling process is left suspended with the others.
    if (plan.scalingAlive && !progress.ours.includes(SCALING_PROCESS)) progress.ours = [SCALING_PROCESS, ...progress.ours]
    const terminated = yield* removeNewInstances({
      name,
      stackName: plan.stackName,
      isOld: (id) => w.present.has(id),
      sizes: { minSize: original.minSize, maxSize: Math.max(original.maxSize, w.from.desiredCapacity), desiredCapacity: w.from.desiredCapacity },
      listingTimeout: plan.listingTimeout,
      note: (suspendsLaunch) => asg.setTags(name, { ...phaseTags("rolling-back"), ...oursTags(suspendsLaunch ? [...progress.ours, "Launch"] : progress.ours) }),
      suspendAlso: plan.scalingAlive ? [SCALING_PROCESS] : []
    })
    yield* step(name, "roll-back", terminated.length === 0 ? "no new instance to terminate" : `terminated new instance(s): ${terminated.join(", ")}`)
    const why = `${reason}${committedNote(plan)}`
    const at = yield* Clock.currentTimeMillis
    // A call failing from here on fails a roll-back whose terminations are done: the result must still name them.
    const done = afterTerminating(name, terminated)
    yield* done(asg.setTags(name, degradedTags(why, at, progress.ours)))
    yield* done(asg.deleteTags(name, [...progress.written]))
    yield* step(name, "degraded", `left suspended on purpose: ${progress.ours.join(", ") || "none"}; the group is tagged degraded`)
    const seen = yield* Ref.get(plan.launched)
    return { name, status, launched: [...new Set([...seen, ...terminated])], terminated, reason: why, cause, leftSuspended: progress.ours, standby: plan.standby, ...wavesOf(plan) } as GroupResult
  },
  (effect, plan, reason, _status, cause) =>
    effect.pipe(
      Effect.catchAll((e: AwsError | GroupNotFound | TerminationIncomplete) =>
        Effect.gen(function*() {
          const seen = yield* Ref.get(plan.launched)
          const terminated = e._tag === "TerminationIncomplete" ? e.terminated : []
          const error = e._tag === "TerminationIncomplete" ? e.cause : e
          const why = `${reason}${committedNote(plan)}; the roll-back itself failed (${message(error)}) after terminating ${terminated.length} new instance(s); ${yield* sizesNow(plan)}: check the group, then run recover`
          yield* emit({ type: "warning", group: plan.name, message: why })
          const failed = new RollBackFailed({ group: plan.name, during: cause, error, terminated })
          return { name: plan.name, status: "failed", launched: [...new Set([...seen, ...terminated])], terminated, reason: why, cause: failed, leftSuspended: plan.progress.ours, standby: plan.standby, ...wavesOf(plan) } as GroupResult
        })
      ),
      Effect.tap((result) => emit({ type: "group-result", ...result })),
      Effect.uninterruptible
    )
)

export const isWaitFailure = (e: { readonly _tag: string }): e is WaitFailure =>
  e._tag === "HealthTimeout" || e._tag === "NewInstanceFailed" || e._tag === "AlarmFired"

/** Why a wave is rolled back, in words. */
export const reasonOf = (e: WaitFailure | AwsError | GroupNotFound): string => {
  switch (e._tag) {
    case "HealthTimeout":
      return `timed out after ${e.seconds} s with ${e.healthy} of ${e.needed} new healthy${e.short.length === 0 ? "" : `, but serving less than the old instances did at the start in ${e.short.join(", ")}`}`
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
