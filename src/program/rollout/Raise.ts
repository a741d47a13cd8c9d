import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import { AutoScaling } from "../../services/AutoScaling.js"
import type { AwsError } from "../../services/Errors.js"
import { step } from "../Emit.js"
import type { GroupNotFound } from "./RolloutErrors.js"
import { idsOf } from "./Assess.js"
import { label, type Plan, recordOf } from "./RolloutPlan.js"
import { MAX_BALANCING_WAVES, type Wave, waveOf } from "./RolloutWave.js"
import { zoneSpread } from "./Waves.js"
import { staleChunks } from "./RolloutRecord.js"
import { describeGroup } from "./Terminations.js"

/**
 * Raises desired by the wave, min held at it so that nothing scales the group in, max keeping its headroom. The record
 * says "scaling-out" already: written before the first wave, and with each later wave's record.
 */
// Stryker disable next-line StringLiteral: a span's name, seen in traces only
export const raise: (plan: Plan, w: Wave) => Effect.Effect<void, AwsError, AutoScaling> = Effect.fn("Rollout.raise")(
  function*(plan: Plan, w: Wave) {
    const asg = yield* AutoScaling
    yield* step(plan.name, "scale-out", `${label(plan, w)}min ${w.from.minSize}→${w.raised.minSize}, max ${w.from.maxSize}→${w.raised.maxSize}, desired ${w.from.desiredCapacity}→${w.raised.desiredCapacity}`)
    yield* asg.updateSizes(plan.name, w.raised)
  }
)

/**
 * The wave after `w`, planned from the group as it is now (`expected` is desired as our terminations left it: what
 * differs, others changed), and its record written.
 */
export const nextWave: (plan: Plan, w: Wave, expected: number) => Effect.Effect<Wave, AwsError | GroupNotFound, AutoScaling> = Effect.fn(
  // Stryker disable next-line StringLiteral: a span's name, seen in traces only
  "Rollout.nextWave"
)(function*(plan: Plan, w: Wave, expected: number) {
  const asg = yield* AutoScaling
  const g = yield* describeGroup(plan.name, plan.stackName)
  plan.progress.othersDelta += g.desiredCapacity - expected
  // Every instance listed is the wave's "before", those still leaving too: an old one of the last wave that has not
  // gone yet is never this wave's new one (under --replace-all it may run the release itself).
  const next = waveOf(plan, w.number + 1, g, idsOf(g.instances))
  yield* Ref.set(plan.current, next)
  const fresh = recordOf(plan, next, "scaling-out")
  // One write: chunks a shorter list no longer needs are emptied in it, so the record is whole at every moment.
  const tags = { ...fresh, ...Object.fromEntries(staleChunks(g.tags, fresh).map((k) => [k, ""])) }
  yield* asg.setTags(plan.name, tags)
  for (const k of Object.keys(tags)) plan.progress.written.add(k)
  return next
})

/**
 * How far apart the zones end once `w` (the last replacing wave, or a balancing one) retires its instances, while
 * another balancing wave may still follow; 0 otherwise (nothing to balance).
 */
export const spreadAfterLast = (plan: Plan, w: Wave): Effect.Effect<number, AwsError | GroupNotFound, AutoScaling> =>
  plan.balances && plan.progress.balancing < MAX_BALANCING_WAVES
    ? Effect.map(describeGroup(plan.name, plan.stackName), (g) => zoneSpread(g.instances.filter((i) => !w.retire.includes(i.instanceId)), plan.zonesSeen))
    : Effect.succeed(0)
