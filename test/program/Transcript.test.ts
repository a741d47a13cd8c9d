import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import type { RolloutEvent } from "../../src/program/Events.js"
import type { StackRolloutOptions, StackRolloutResult } from "../../src/program/stack/StackRollout.js"
import { collecting, drive, group, LT, runRollout, TG, webGroup } from "../support/World.js"
import type { GroupSpec } from "../../src/layers/fake/FakeWorld.js"
import { degradedTags } from "../../src/program/rollout/Degraded.js"
import { units } from "../../src/program/rollout/Waves.js"

// The steps are what an operator reads while a rollout runs and what stays in the CI log afterwards: each says what the
// tool is about to do or did, with the numbers that matter. These tests pin whole transcripts of typical rollouts.

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })

/** The run's steps as `step: message`, instance ids replaced by their order of appearance (i1, i2, …). */
const transcript = (
  spec: Partial<GroupSpec>,
  o: Partial<StackRolloutOptions>,
  before: (w: FakeWorld["Type"]) => Effect.Effect<void> = () => Effect.void,
  at?: { readonly second: number; readonly act: (w: FakeWorld["Type"]) => Effect.Effect<unknown> }
) =>
  Effect.gen(function*() {
    yield* webGroup(spec)
    const w = yield* FakeWorld
    yield* before(w)
    const events: Array<RolloutEvent> = []
    let second = 0
    const exit = yield* drive(collecting(runRollout(o), events), {
      onStep: () => (++second === at?.second ? Effect.asVoid(at.act(w)) : Effect.void)
    })
    const names = new Map<string, string>()
    const rename = (s: string) =>
      s.replace(/i-[0-9a-f]+/g, (id) => {
        if (!names.has(id)) names.set(id, `i${names.size + 1}`)
        return names.get(id)!
      })
    return {
      exit,
      steps: events.flatMap((e) => (e.type === "step" ? [rename(`${e.step}: ${e.message}`)] : [])),
      warnings: events.flatMap((e) => (e.type === "warning" ? [rename(e.message)] : []))
    }
  })

/** Lines most transcripts share: the group "web" of two, the default processes suspended and resumed. */
const INSPECT_TWO = "inspect: 2 of 2 running instances outdated; replacing 2 (capacity units)"
const SUSPEND = "suspend: suspending AZRebalance, InstanceRefresh, ReplaceUnhealthy, ScheduledActions (AlarmNotification stays on: scaling policies keep working)"
const RAISE_TWO = "scale-out: min 2→4, max 4→6, desired 2→4"
const RESUME = "resume: resuming AZRebalance, InstanceRefresh, ReplaceUnhealthy, ScheduledActions"
const DEGRADED = "degraded: left suspended on purpose: AlarmNotification, AZRebalance, InstanceRefresh, ReplaceUnhealthy, ScheduledActions; the group is tagged degraded"

const result = <E>(exit: Exit.Exit<StackRolloutResult, E>) => {
  if (!Exit.isSuccess(exit)) throw new Error(`the rollout failed: ${String(exit.cause)}`)
  return exit.value.groups[0]!
}

describe("the rollout's transcript", () => {
  it.effect("a plain rollout of two instances", () =>
    Effect.gen(function*() {
      const { exit, steps, warnings } = yield* transcript({}, {})
      expect(result(exit).status).toBe("succeeded")
      expect(steps).toEqual([
        INSPECT_TWO,
        SUSPEND,
        RAISE_TWO,
        "wait: waiting up to 10m for 2 new healthy in the group and its 1 load balancer(s)",
        "terminate-old: terminating 2 old instance(s): i1, i2",
        "restore: min 2, max 4, desired 2",
        RESUME
      ])
      expect(warnings).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("waves with a canary, a bake and an alarm, one instance in Standby", () =>
    Effect.gen(function*() {
      const { exit, steps } = yield* transcript({ desiredCapacity: 4, maxSize: 8 }, { maxSurge: units(2), canary: units(1), bake: "60 seconds", alarms: ["shop-5xx"] }, (w) =>
        Effect.gen(function*() {
          yield* w.putAlarm("shop-5xx")
          const g = (yield* w.snapshot).groups.find((x) => x.name === "web")!
          yield* w.enterStandby(g.instances[0]!.instanceId)
        }))
      expect(result(exit).status).toBe("succeeded")
      expect(steps).toEqual([
        "inspect: 3 of 3 running instances outdated; replacing 3 (capacity units) in 2 waves of up to 2, a canary of 1 first; 1 in Standby kept as they are",
        SUSPEND,
        "scale-out: wave 1: min 2→4, max 8→9, desired 3→4",
        "wait: wave 1: waiting up to 10m for 1 new healthy in the group and its 1 load balancer(s) while alarm shop-5xx stays out of ALARM",
        "bake: wave 1: 1 new healthy; watching them for 1m before retiring old ones",
        "terminate-old: wave 1: terminating 1 old instance(s): i1",
        "scale-out: wave 2: min 3→5, max 9→10, desired 3→5",
        "wait: wave 2: waiting up to 10m for 2 new healthy in the group and its 1 load balancer(s) while alarm shop-5xx stays out of ALARM",
        "bake: wave 2: 2 new healthy; watching them for 1m before retiring old ones",
        "terminate-old: wave 2: terminating 2 old instance(s): i2, i3",
        // The instance in Standby leaves its zone short: one more wave moves an instance out of the fullest zone.
        "scale-out: wave 3 (balancing zones before AZRebalance resumes): min 3→4, max 10→10, desired 3→4",
        "wait: wave 3 (balancing zones before AZRebalance resumes): waiting up to 10m for 1 new healthy in the group and its 1 load balancer(s) while alarm shop-5xx stays out of ALARM",
        "bake: wave 3 (balancing zones before AZRebalance resumes): 1 new healthy; watching them for 1m before retiring old ones",
        "terminate-old: wave 3 (balancing zones before AZRebalance resumes): terminating 1 instance(s) of the fullest zone: i4",
        "restore: min 2, max 8, desired 3",
        RESUME
      ])
    }).pipe(Effect.provide(world)))

  it.effect("two alarms, scaling frozen, and a wave rolled back on a timeout", () =>
    Effect.gen(function*() {
      const { exit, steps } = yield* transcript({}, { maxSurge: units(1), alarms: ["a", "b"], freezeScaling: true, healthyTimeout: "120 seconds" }, (w) =>
        Effect.gen(function*() {
          yield* w.putAlarm("a")
          yield* w.putAlarm("b")
          yield* w.markNeverHealthy({ launchTemplateId: LT, version: "2" })
        }))
      expect(result(exit).reason).toBe("timed out after 120 s with 0 of 1 new healthy")
      expect(steps).toEqual([
        "inspect: 2 of 2 running instances outdated; replacing 2 (capacity units) in 2 waves of up to 1",
        "suspend: suspending AlarmNotification, AZRebalance, InstanceRefresh, ReplaceUnhealthy, ScheduledActions",
        "scale-out: wave 1: min 2→3, max 4→5, desired 2→3",
        "wait: wave 1: waiting up to 2m for 1 new healthy in the group and its 1 load balancer(s) while alarms a, b stay out of ALARM",
        "roll-back: rolling back wave 1: timed out after 120 s with 0 of 1 new healthy",
        "roll-back: terminated new instance(s): i1",
        DEGRADED
      ])
    }).pipe(Effect.provide(world)))

  it.effect("a scaling policy adds one while the rollout runs, scaling revived after a failed run", () =>
    Effect.gen(function*() {
      const { exit, steps } = yield* transcript(
        { suspendedProcesses: ["AlarmNotification", "AZRebalance"], tags: degradedTags("an earlier run failed", 0, ["AlarmNotification", "AZRebalance"]) },
        {},
        () => Effect.void,
        { second: 70, act: (w) => w.firePolicy("web", 1) }
      )
      expect(result(exit).status).toBe("succeeded")
      expect(steps).toEqual([
        INSPECT_TWO,
        "resume: resuming AlarmNotification, which a failed run left suspended: scaling stays alive during the rollout",
        "suspend: suspending InstanceRefresh, ReplaceUnhealthy, ScheduledActions (AlarmNotification stays on: scaling policies keep working)",
        RAISE_TWO,
        "wait: waiting up to 10m for 2 new healthy in the group and its 1 load balancer(s)",
        "terminate-old: terminating 2 old instance(s): i1, i2",
        "restore: min 2, max 4, desired 3 (2 before the rollout, changed meanwhile by a scaling policy or a person)",
        "resume: resuming InstanceRefresh, ReplaceUnhealthy, ScheduledActions, AlarmNotification, AZRebalance"
      ])
    }).pipe(Effect.provide(world)))

  it.effect("after a failed run whose processes someone resumed by hand since: nothing is revived, all is suspended anew", () =>
    Effect.gen(function*() {
      // The marker still names what the failed run left suspended; only ScheduledActions still is.
      const left = ["AlarmNotification", "AZRebalance", "ScheduledActions"]
      const { exit, steps } = yield* transcript({ suspendedProcesses: ["ScheduledActions"], tags: degradedTags("an earlier run failed", 0, left) }, {})
      expect(result(exit).status).toBe("succeeded")
      expect(steps).toEqual([
        INSPECT_TWO,
        "suspend: suspending AZRebalance, InstanceRefresh, ReplaceUnhealthy (AlarmNotification stays on: scaling policies keep working)",
        RAISE_TWO,
        "wait: waiting up to 10m for 2 new healthy in the group and its 1 load balancer(s)",
        "terminate-old: terminating 2 old instance(s): i1, i2",
        "restore: min 2, max 4, desired 2",
        "resume: resuming AZRebalance, InstanceRefresh, ReplaceUnhealthy, ScheduledActions"
      ])
    }).pipe(Effect.provide(world)))

  it.effect("an alarm fires during the bake", () =>
    Effect.gen(function*() {
      const { exit, steps } = yield* transcript({}, { bake: "120 seconds", alarms: ["shop-5xx"] }, (w) => w.putAlarm("shop-5xx"), {
        second: 150,
        act: (w) => w.setAlarmState("shop-5xx", "ALARM", "Threshold Crossed: 5xx above 1%")
      })
      expect(result(exit).status).toBe("rolled-back")
      expect(steps).toEqual([
        INSPECT_TWO,
        SUSPEND,
        RAISE_TWO,
        "wait: waiting up to 10m for 2 new healthy in the group and its 1 load balancer(s) while alarm shop-5xx stays out of ALARM",
        "bake: 2 new healthy; watching them for 2m before retiring old ones",
        "roll-back: rolling back: alarm shop-5xx went to ALARM: Threshold Crossed: 5xx above 1%",
        "roll-back: terminated new instance(s): i1, i2",
        DEGRADED
      ])
    }).pipe(Effect.provide(world)))

  it.effect("a later wave rolled back: the committed wave's new instances are named and stay", () =>
    Effect.gen(function*() {
      const { exit, steps } = yield* transcript({ desiredCapacity: 4, maxSize: 8 }, { maxSurge: units(2), alarms: ["shop-5xx"] }, (w) => w.putAlarm("shop-5xx"), {
        second: 150,
        act: (w) => w.setAlarmState("shop-5xx", "ALARM", "Threshold Crossed")
      })
      const r = result(exit)
      expect(steps).toEqual([
        "inspect: 4 of 4 running instances outdated; replacing 4 (capacity units) in 2 waves of up to 2",
        SUSPEND,
        "scale-out: wave 1: min 2→6, max 8→10, desired 4→6",
        "wait: wave 1: waiting up to 10m for 2 new healthy in the group and its 1 load balancer(s) while alarm shop-5xx stays out of ALARM",
        "terminate-old: wave 1: terminating 2 old instance(s): i1, i2",
        "scale-out: wave 2: min 4→6, max 10→10, desired 4→6",
        "wait: wave 2: waiting up to 10m for 2 new healthy in the group and its 1 load balancer(s) while alarm shop-5xx stays out of ALARM",
        "roll-back: rolling back wave 2: alarm shop-5xx went to ALARM: Threshold Crossed",
        "roll-back: terminated new instance(s): i3, i4",
        DEGRADED
      ])
      // Wave 1's two new instances are the new release that stays: named in the reason and the result.
      const wave1 = r.launched.filter((id) => !r.terminated.includes(id))
      expect(wave1).toHaveLength(2)
      expect(r.waves).toEqual({ committed: 1, newRelease: wave1 })
      expect(r.reason).toBe(`alarm shop-5xx went to ALARM: Threshold Crossed; 1 earlier wave committed: 2 instance(s) already run the new release (${wave1.join(", ")})`)
      const live = (yield* group("web")).instances.filter((i) => i.lifecycleState === "InService").map((i) => i.instanceId)
      expect(wave1.every((id) => live.includes(id))).toBe(true)
    }).pipe(Effect.provide(world)))

  it.effect("an old instance lost during the wait: its replacement goes as surplus", () =>
    Effect.gen(function*() {
      const { exit, steps } = yield* transcript({}, {}, () => Effect.void, {
        second: 20,
        act: (w) => Effect.flatMap(w.snapshot, (s) => w.terminateInstance(s.groups.find((x) => x.name === "web")!.instances[0]!.instanceId))
      })
      expect(result(exit).status).toBe("succeeded")
      expect(steps).toEqual([
        INSPECT_TWO,
        SUSPEND,
        RAISE_TWO,
        "wait: waiting up to 10m for 2 new healthy in the group and its 1 load balancer(s)",
        "terminate-old: terminating 1 old instance(s): i1",
        "restore: terminated 1 new instance(s) beyond the capacity to restore, least proven first: i2",
        "restore: min 2, max 4, desired 2",
        RESUME
      ])
    }).pipe(Effect.provide(world)))

  it.effect("both old instances lost during the wait: both replacements go as surplus", () =>
    Effect.gen(function*() {
      const { exit, steps } = yield* transcript({}, {}, () => Effect.void, {
        second: 20,
        act: (w) => Effect.flatMap(w.snapshot, (s) => Effect.forEach(s.groups.find((x) => x.name === "web")!.instances.slice(0, 2), (i) => w.terminateInstance(i.instanceId)))
      })
      expect(result(exit).status).toBe("succeeded")
      expect(steps).toEqual([
        INSPECT_TWO,
        SUSPEND,
        RAISE_TWO,
        "wait: waiting up to 10m for 2 new healthy in the group and its 1 load balancer(s)",
        "terminate-old: no old instance left to terminate: each one has already left the group",
        "restore: terminated 2 new instance(s) beyond the capacity to restore, least proven first: i1, i2",
        "restore: min 2, max 4, desired 2",
        RESUME
      ])
    }).pipe(Effect.provide(world)))

  it.effect("a group whose owner suspended every process the rollout would: none suspended, none resumed", () =>
    Effect.gen(function*() {
      const owners = ["AZRebalance", "InstanceRefresh", "ReplaceUnhealthy", "ScheduledActions"]
      const { exit, steps } = yield* transcript({ suspendedProcesses: owners }, {})
      expect(result(exit)).toMatchObject({ status: "succeeded", leftSuspended: [] })
      expect(steps).toEqual([
        INSPECT_TWO,
        RAISE_TWO,
        "wait: waiting up to 10m for 2 new healthy in the group and its 1 load balancer(s)",
        "terminate-old: terminating 2 old instance(s): i1, i2",
        "restore: min 2, max 4, desired 2"
      ])
      expect((yield* group("web")).suspendedProcesses).toEqual(owners)
    }).pipe(Effect.provide(world)))

  it.effect("a group behind a CLB and a target group: the wait names both", () =>
    Effect.gen(function*() {
      const { exit, steps } = yield* transcript({ targetGroupArns: [TG] }, {})
      expect(result(exit).status).toBe("succeeded")
      expect(steps.filter((s) => s.startsWith("wait: "))).toEqual(["wait: waiting up to 10m for 2 new healthy in the group and its 2 load balancer(s)"])
    }).pipe(Effect.provide(world)))

  it.effect("a commit that cannot terminate: nothing undone, the group tagged degraded", () =>
    Effect.gen(function*() {
      const { exit, steps } = yield* transcript({}, {}, (w) => w.failNext("TerminateInstanceInAutoScalingGroup", 100, "transient"))
      const r = result(exit)
      expect(r.status).toBe("failed")
      expect(steps.slice(-1)).toEqual(["terminate-old: terminating 2 old instance(s): i1, i2"])
      expect(r.reason).toMatch(/^committing failed \(TransientAwsError: .+\): the new instances are healthy and no old instance is terminated yet; the group is now at min 2, max 6, desired 4 \(before the rollout: 2, 4, 2\); processes stay suspended: check the group, then run recover$/)
    }).pipe(Effect.provide(world)))

  it.effect("a roll-back that cannot terminate says what it knows and points at recover", () =>
    Effect.gen(function*() {
      const { exit, steps, warnings } = yield* transcript({}, { healthyTimeout: "120 seconds" }, (w) =>
        Effect.zipRight(w.markNeverHealthy({ launchTemplateId: LT, version: "2" }), w.failNext("TerminateInstanceInAutoScalingGroup", 100, "transient")))
      const r = result(exit)
      expect(r.status).toBe("failed")
      expect(steps.slice(-1)).toEqual(["roll-back: rolling back: timed out after 120 s with 0 of 2 new healthy"])
      expect(warnings).toEqual([r.reason])
      expect(r.reason).toMatch(/^timed out after 120 s with 0 of 2 new healthy; the roll-back itself failed \(TransientAwsError: .+\) after terminating 0 new instance\(s\); the group is now at min \d+, max \d+, desired \d+ \(before the rollout: 2, 4, 2\): check the group, then run recover$/)
    }).pipe(Effect.provide(world)))

  const skips = (spec: Partial<GroupSpec>, release: boolean) =>
    Effect.gen(function*() {
      yield* webGroup(spec, { release })
      const events: Array<RolloutEvent> = []
      const r = result(yield* drive(collecting(runRollout({}), events)))
      expect(r.status).toBe("up-to-date")
      return events.flatMap((e) => (e.type === "step" ? [`${e.step}: ${e.message}`] : []))
    })

  it.effect("nothing to do: every instance runs the launch spec", () =>
    Effect.gen(function*() {
      expect(yield* skips({}, false)).toEqual(["skip: all instances run the group's launch spec"])
    }).pipe(Effect.provide(world)))

  it.effect("nothing to do: no instance runs", () =>
    Effect.gen(function*() {
      expect(yield* skips({ minSize: 0, desiredCapacity: 0 }, true)).toEqual(["skip: no running instance to replace"])
    }).pipe(Effect.provide(world)))
})
