import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import type { AutoScaling } from "../../services/AutoScaling.js"
import type { AwsError } from "../../services/Errors.js"
import { emit, step } from "../Emit.js"
import { firing } from "./AlarmGate.js"
import { assess, baselineOf, idsOf, type LoadBalancerHealth } from "./Assess.js"
import type * as PollHub from "./PollHub.js"
import { AlarmFired, GroupNotFound, HealthTimeout, NewInstanceFailed, type WaitFailure } from "./RolloutErrors.js"
import { advance, label, type Plan, plural } from "./RolloutPlan.js"
import type { Wave } from "./RolloutWave.js"
import { LEAVING } from "./Terminations.js"

/**
 * Waits until the wave's new instances serve everywhere the old ones it retires served (`startHealth`: what each load
 * balancer had from them when the rollout began), then bakes them; fails the wave on what it sees go wrong.
 */
export const waitHealthy: (
  plan: Plan,
  hub: PollHub.PollHub,
  w: Wave,
  startHealth: LoadBalancerHealth
// Stryker disable next-line StringLiteral: a span's name, seen in traces only
) => Effect.Effect<void, WaitFailure | AwsError | GroupNotFound, AutoScaling> = Effect.fn("Rollout.waitHealthy")(
  function*(plan: Plan, hub: PollHub.PollHub, w: Wave, startHealth: LoadBalancerHealth) {
    const { alarmNames, bake, initial, name, stackName } = plan
    const timeout = Duration.decode(plan.options.healthyTimeout)
    const started = yield* Clock.currentTimeMillis
    const everHealthy = new Set<string>()
    const seenWave = new Set<string>()
    const baseline = baselineOf(initial, startHealth, plan.running.filter((i) => w.retire.includes(i.instanceId)))
    yield* advance(plan, "waiting")
    yield* step(name, "wait", `${label(plan, w)}waiting up to ${Duration.format(timeout)} for ${w.size} new healthy in the group and its ${initial.loadBalancerNames.length + initial.targetGroupArns.length} load balancer(s)${alarmNames.length > 0 ? ` while alarm${plural(alarmNames.length)} ${alarmNames.join(", ")} stay${alarmNames.length === 1 ? "s" : ""} out of ALARM` : ""}`)
    let seenRound = 0
    const round = Effect.gen(function*() {
      const r = yield* hub.next(name, seenRound)
      seenRound = r.n
      const group = r.groups.get(name)
      if (group === undefined) return yield* Effect.fail(new GroupNotFound({ group: name, stackName }))
      const a = assess(group, r.health, { oldIds: w.present, seenNew: seenWave, everHealthy, spec: plan.spec, baseline })
      for (const i of a.healthyNew) everHealthy.add(i.instanceId)
      for (const i of a.newInstances) seenWave.add(i.instanceId)
      yield* Ref.update(plan.launched, (s) => new Set([...s, ...idsOf(a.newInstances)]))
      yield* Ref.set(plan.last, a)
      const now = yield* Clock.currentTimeMillis
      yield* emit({
        type: "progress",
        group: name,
        oldCount: group.instances.filter((i) => plan.toReplace.has(i.instanceId) && !LEAVING.test(i.lifecycleState)).length,
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
      Effect.timeout(timeout),
      Effect.catchTag("TimeoutException", () =>
        // Enough new capacity healthy, yet some load balancer short of what the old instances gave it: that is why.
        Effect.flatMap(Ref.get(plan.last), (a) =>
          Effect.fail(
            new HealthTimeout({
              group: name,
              healthy: a?.healthyCapacity ?? 0,
              needed: w.size,
              seconds: Duration.toSeconds(timeout),
              short: a === undefined || a.healthyCapacity < w.size ? [] : a.short
            })
          )))
    )
    if (Duration.toMillis(bake) > 0) {
      yield* advance(plan, "baking")
      yield* step(name, "bake", `${label(plan, w)}${w.size} new healthy; watching them for ${Duration.format(bake)} before retiring old ones`)
      // Every round of the bake judges again; the bake ends well only when its time runs out first.
      yield* Effect.raceFirst(Effect.forever(round), Effect.sleep(bake))
    }
  },
  (effect, plan, hub) => Effect.ensuring(effect, hub.leave(plan.name))
)
