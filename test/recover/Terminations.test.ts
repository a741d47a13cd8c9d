import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import type { RolloutEvent } from "../../src/program/Events.js"
import { recoverStack } from "../../src/program/recover/Recover.js"
import { RECORD_PREFIX } from "../../src/program/rollout/RolloutRecord.js"
import { collecting, drive, group, LT, STACK, webGroup } from "../support/World.js"
import { afterCalls, healthyNew, KILLED_JUST_NOW, logLine, rolloutKilledAt } from "./Kill.js"

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })

const ids = (g: { readonly instances: ReadonlyArray<{ readonly instanceId: string }> }) => g.instances.map((i) => i.instanceId).sort()
const recordTags = (tags: Readonly<Record<string, string>>) => Object.keys(tags).filter((k) => k.startsWith(RECORD_PREFIX))
const everLaunched = Effect.map(Effect.flatMap(FakeWorld, (w) => w.snapshot), (s) => s.instances.filter((i) => i.group === "web").length)

describe("recover terminates with decrement: the group never launches a replacement", () => {
  it.effect("for a new instance it rolls back", () =>
    Effect.gen(function*() {
      const before = ids(yield* webGroup().pipe(Effect.zipRight(group("web"))))
      yield* rolloutKilledAt(afterCalls("UpdateAutoScalingGroup", 1), Effect.void)
      expect(yield* everLaunched).toBe(4)
      const result = yield* Effect.flatten(drive(recoverStack(STACK, KILLED_JUST_NOW)))
      expect(result.groups[0]).toMatchObject({ status: "rolled-back" })
      yield* TestClock.adjust("1 minute")
      expect(yield* everLaunched).toBe(4)
      const after = yield* group("web")
      expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([2, 4, 2])
      expect(ids(after)).toEqual(before)
    }).pipe(Effect.provide(world)))

  it.effect("for an old instance it retires", () =>
    Effect.gen(function*() {
      const before = ids(yield* webGroup().pipe(Effect.zipRight(group("web"))))
      yield* rolloutKilledAt(healthyNew, Effect.void)
      const result = yield* Effect.flatten(drive(recoverStack(STACK, KILLED_JUST_NOW)))
      expect(result.groups[0]).toMatchObject({ status: "succeeded" })
      yield* TestClock.adjust("1 minute")
      expect(yield* everLaunched).toBe(4)
      const after = yield* group("web")
      expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([2, 4, 2])
      expect(ids(after).some((id) => before.includes(id))).toBe(false)
    }).pipe(Effect.provide(world)))
})

describe("interrupting recover's roll-back", () => {
  it.effect("after --mode complete timed out does not abandon it: it terminates, restores and clears the record first", () =>
    Effect.gen(function*() {
      const before = ids(yield* webGroup().pipe(Effect.zipRight(group("web"))))
      const w = yield* FakeWorld
      yield* w.markNeverHealthy({ launchTemplateId: LT, version: "2" })
      yield* rolloutKilledAt(afterCalls("DescribeInstanceHealth", 4), Effect.void)
      // The roll-back's first terminate is throttled: its retries (seconds of back-off) are where the interruption lands.
      yield* w.failNext("TerminateInstanceInAutoScalingGroup", 5, "throttle")
      const events: Array<RolloutEvent> = []
      const fiber = yield* Effect.fork(collecting(
        recoverStack(STACK, { force: true, mode: "complete", healthyTimeout: "120 seconds", pollInterval: "5 seconds" }),
        events
      ))
      let throttled = false
      for (let i = 0; i < 300 && !throttled; i++) {
        yield* TestClock.adjust("1 second")
        throttled = (yield* w.calls).some((c) => c.operation === "TerminateInstanceInAutoScalingGroup" && c.failed)
      }
      expect(throttled).toBe(true)
      expect(events.some((e) => e.type === "step" && e.step === "roll-back" && e.message.includes("falling back"))).toBe(true)
      yield* Fiber.interruptFork(fiber)
      const exit = yield* Effect.flatten(drive(Effect.exit(Fiber.join(fiber)), { step: "100 millis" }))
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect(events.filter((e) => e.type === "group-result")).toMatchObject([{ status: "rolled-back" }])
      yield* TestClock.adjust("1 minute")
      const after = yield* group("web")
      expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([2, 4, 2])
      expect(ids(after)).toEqual(before)
      expect(recordTags(after.tags)).toEqual([])
      expect(after.suspendedProcesses).toEqual([])
    }).pipe(Effect.provide(world)))
})

describe("recover's commit with more new instances than the capacity to restore", () => {
  /**
   * The rollout dies once its new instances serve; then `lost` old instances go. Launch is not suspended: AWS replaces
   * each, on the new release, to keep desired at 4.
   */
  const oldLostAfterKill = (lost: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      yield* webGroup()
      const w = yield* FakeWorld
      yield* rolloutKilledAt(healthyNew, Effect.void)
      for (const id of lost) yield* w.terminateInstance(id)
      yield* TestClock.adjust("15 seconds")
      expect(yield* everLaunched).toBe(4 + lost.length)
    })

  it.effect("an old instance lost after the kill got a replacement: the surplus new one goes too, and the result names it", () =>
    Effect.gen(function*() {
      yield* oldLostAfterKill(["i-00000000000000001"])
      const events: Array<RolloutEvent> = []
      const t0 = yield* Clock.currentTimeMillis
      const result = yield* Effect.flatten(drive(collecting(recoverStack(STACK, KILLED_JUST_NOW), events)))
      expect(events.map(logLine(t0)).filter((l) => l !== undefined)).toEqual([
        "t+0s inspect: recover: completing the rollout (phase waiting): enough new instances are already healthy (2 of 2 new capacity healthy, 1 old capacity still running)",
        "t+0s terminate-old: terminating 1 old instance(s): i-00000000000000002",
        "t+0s restore: terminated 1 new instance(s) beyond the capacity to restore, least proven first: i-00000000000000005",
        "t+0s restore: min 2→2, max 6→4, desired 2→2",
        "t+0s resume: resuming AZRebalance, InstanceRefresh, ReplaceUnhealthy, ScheduledActions",
        "t+0s restore: rollout record removed",
        "t+0s result: succeeded; terminated i-00000000000000002, i-00000000000000005; completed: enough new instances are already healthy (2 of 2 new capacity healthy, 1 old capacity still running)"
      ])
      expect(result.groups[0]).toMatchObject({ status: "succeeded", terminated: ["i-00000000000000002", "i-00000000000000005"] })
      expect(result.decisions[0]).toEqual({ group: "web", action: "complete", why: "enough new instances are already healthy (2 of 2 new capacity healthy, 1 old capacity still running)" })
      yield* TestClock.adjust("1 minute")
      const after = yield* group("web")
      expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([2, 4, 2])
      expect(ids(after)).toEqual(["i-00000000000000003", "i-00000000000000004"])
      expect(recordTags(after.tags)).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("both old instances lost after the kill: no old one left to retire, the two surplus new ones are named, least proven first", () =>
    Effect.gen(function*() {
      yield* oldLostAfterKill(["i-00000000000000001", "i-00000000000000002"])
      const events: Array<RolloutEvent> = []
      const result = yield* Effect.flatten(drive(collecting(recoverStack(STACK, KILLED_JUST_NOW), events)))
      expect(events.flatMap((e) => (e.type === "step" && e.step === "restore" && e.message.startsWith("terminated") ? [e.message] : []))).toEqual([
        "terminated 2 new instance(s) beyond the capacity to restore, least proven first: i-00000000000000006, i-00000000000000005"
      ])
      expect(result.groups[0]).toMatchObject({ status: "succeeded", terminated: ["i-00000000000000006", "i-00000000000000005"] })
      yield* TestClock.adjust("1 minute")
      expect(ids(yield* group("web"))).toEqual(["i-00000000000000003", "i-00000000000000004"])
    }).pipe(Effect.provide(world)))
})
