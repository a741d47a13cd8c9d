import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { recoverStack } from "../../src/program/recover/Recover.js"
import { RECORD_PREFIX } from "../../src/program/rollout/RolloutRecord.js"
import type { RolloutEvent } from "../../src/program/Events.js"
import { AutoScaling } from "../../src/services/AutoScaling.js"
import { collecting, drive, group, mutatingCalls, STACK, webGroup } from "../support/World.js"
import { afterCalls, COMPLETING, healthyNew, KILLED_JUST_NOW, logLine, rolloutKilledAt } from "./Kill.js"

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })

const everLaunched = Effect.map(Effect.flatMap(FakeWorld, (w) => w.snapshot), (s) => s.instances.filter((i) => i.group === "web").length)

describe("recover does not redo what the rollout already did", () => {
  it.effect("a rollout killed after resuming: recover only clears the record, suspending nothing again", () =>
    Effect.gen(function*() {
      yield* webGroup()
      yield* rolloutKilledAt(afterCalls("ResumeProcesses", 1), Effect.void)
      expect((yield* group("web")).suspendedProcesses).toEqual([])
      const before = (yield* mutatingCalls).length
      const events: Array<RolloutEvent> = []
      const t0 = yield* Clock.currentTimeMillis
      const result = yield* Effect.flatten(drive(collecting(recoverStack(STACK, KILLED_JUST_NOW), events)))
      expect(result.groups[0]).toMatchObject({ status: "succeeded", terminated: [] })
      expect((yield* mutatingCalls).slice(before)).toEqual(["CreateOrUpdateTags", "DeleteTags"])
      // Nothing left to resume: no resume step either.
      expect(events.map(logLine(t0)).filter((l) => l !== undefined)).toEqual([
        "t+0s inspect: recover: completing the rollout (phase restoring): enough new instances are already healthy (2 of 2 new capacity healthy, 0 old capacity still running)",
        "t+0s restore: rollout record removed",
        "t+0s result: succeeded; terminated none; completed: enough new instances are already healthy (2 of 2 new capacity healthy, 0 old capacity still running)"
      ])
      expect((yield* group("web")).suspendedProcesses).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("a record without its phase, old instances already retiring: no second scale-out", () =>
    Effect.gen(function*() {
      yield* webGroup()
      yield* rolloutKilledAt(afterCalls("TerminateInstanceInAutoScalingGroup", 1), Effect.void)
      // The phase tag is lost: recover must tell from the instances that the scale-out happened.
      yield* Effect.flatMap(AutoScaling, (asg) => asg.deleteTags("web", [`${RECORD_PREFIX}:phase`]))
      expect(yield* everLaunched).toBe(4)
      const result = yield* Effect.flatten(drive(recoverStack(STACK, COMPLETING)))
      expect(result.groups[0]).toMatchObject({ status: "succeeded" })
      yield* TestClock.adjust("1 minute")
      expect(yield* everLaunched).toBe(4)
      const after = yield* group("web")
      expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([2, 4, 2])
      expect(after.instances.map((i) => i.launchTemplate?.version)).toEqual(["2", "2"])
    }).pipe(Effect.provide(world)))
})

describe("recover puts the group back where the wait can succeed", () => {
  it.effect("new instances healthy, old ones left, AZRebalance resumed by hand: suspended again before the old ones go", () =>
    Effect.gen(function*() {
      yield* webGroup()
      yield* rolloutKilledAt(healthyNew, Effect.void)
      yield* Effect.flatMap(AutoScaling, (asg) => asg.resumeProcesses("web", ["AZRebalance"]))
      const events: Array<RolloutEvent> = []
      const t0 = yield* Clock.currentTimeMillis
      const result = yield* Effect.flatten(drive(collecting(recoverStack(STACK, KILLED_JUST_NOW), events)))
      expect(result.groups[0]).toMatchObject({ status: "succeeded" })
      expect(events.map(logLine(t0)).filter((l) => l !== undefined).slice(0, 3)).toEqual([
        "t+0s inspect: recover: completing the rollout (phase waiting): enough new instances are already healthy (2 of 2 new capacity healthy, 2 old capacity still running)",
        "t+0s suspend: suspending AZRebalance",
        "t+0s terminate-old: terminating 2 old instance(s): i-00000000000000001, i-00000000000000002"
      ])
    }).pipe(Effect.provide(world)))

  it.effect("a record without its phase, killed before its scale-out: --mode complete scales out itself", () =>
    Effect.gen(function*() {
      yield* webGroup()
      yield* rolloutKilledAt(afterCalls("SuspendProcesses", 1), Effect.void)
      yield* Effect.flatMap(AutoScaling, (asg) => asg.deleteTags("web", [`${RECORD_PREFIX}:phase`]))
      const events: Array<RolloutEvent> = []
      const result = yield* Effect.flatten(drive(collecting(recoverStack(STACK, COMPLETING), events)))
      expect(result.groups[0]).toMatchObject({ status: "succeeded", terminated: ["i-00000000000000001", "i-00000000000000002"] })
      expect(events.flatMap((e) => (e.type === "step" && e.step === "scale-out" ? [e.message] : []))).toEqual(["min 2→4, max 4→6, desired 2→4"])
      yield* TestClock.adjust("1 minute")
      expect(yield* everLaunched).toBe(4)
      const after = yield* group("web")
      expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([2, 4, 2])
    }).pipe(Effect.provide(world)))

  it.effect("processes resumed by hand after the kill are suspended again before --mode complete waits, then resumed", () =>
    Effect.gen(function*() {
      yield* webGroup()
      yield* rolloutKilledAt(afterCalls("UpdateAutoScalingGroup", 1), Effect.void)
      const ours = ["AZRebalance", "InstanceRefresh", "ReplaceUnhealthy", "ScheduledActions"]
      expect((yield* group("web")).suspendedProcesses).toEqual(ours)
      yield* Effect.flatMap(AutoScaling, (asg) => asg.resumeProcesses("web", ["ReplaceUnhealthy", "ScheduledActions"]))
      const events: Array<RolloutEvent> = []
      const t0 = yield* Clock.currentTimeMillis
      const suspendedWhileWaiting: Array<ReadonlyArray<string>> = []
      const result = yield* Effect.flatten(drive(
        collecting(recoverStack(STACK, COMPLETING), events),
        { onStep: () => Effect.map(group("web"), (g) => void suspendedWhileWaiting.push(g.suspendedProcesses)) }
      ))
      expect(result.groups[0]).toMatchObject({ status: "succeeded" })
      expect(events.map(logLine(t0)).filter((l) => l !== undefined).slice(0, 3)).toEqual([
        "t+0s inspect: recover: completing the rollout (phase scaling-out): --mode complete (0 of 2 new capacity healthy, 2 old capacity still running)",
        "t+0s suspend: suspending ReplaceUnhealthy, ScheduledActions",
        "t+0s wait: waiting up to 10m for 2 new capacity healthy in the group and its load balancers"
      ])
      // ReplaceUnhealthy stays suspended for the whole wait; everything is resumed at the end.
      expect(suspendedWhileWaiting.length).toBeGreaterThan(10)
      expect(suspendedWhileWaiting.slice(0, -1).every((p) => p.includes("ReplaceUnhealthy"))).toBe(true)
      expect((yield* group("web")).suspendedProcesses).toEqual([])
    }).pipe(Effect.provide(world)))
})
