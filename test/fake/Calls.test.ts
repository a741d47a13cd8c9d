import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { AutoScaling } from "../../src/services/AutoScaling.js"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import * as rolloutWorld from "../support/World.js"
import { addWeb, fixedRetries, group, operations, world } from "./Support.js"

describe("fake world: calls and injected faults", () => {
  it.effect("a throttled call is retried by the layer's schedule, every attempt recorded", () =>
    Effect.gen(function*() {
      yield* addWeb()
      const w = yield* FakeWorld
      yield* w.failNext("UpdateAutoScalingGroup", 2, "throttle")
      const fiber = yield* Effect.fork((yield* AutoScaling).updateSizes("web", { desiredCapacity: 3 }))
      yield* TestClock.adjust("1 second")
      yield* TestClock.adjust("1 second")
      expect(Exit.isSuccess(yield* Fiber.await(fiber))).toBe(true)
      expect((yield* group()).desiredCapacity).toBe(3)
      const calls = (yield* w.calls).filter((c) => c.operation === "UpdateAutoScalingGroup")
      expect(calls.map((c) => [c.at, c.failed, c.mutating])).toEqual([
        [0, true, true],
        [1000, true, true],
        [2000, false, true]
      ])
    }).pipe(Effect.provide(world), fixedRetries))

  it.effect("the default retry policy survives a throttled DescribeAutoScalingGroups too", () =>
    Effect.gen(function*() {
      yield* addWeb()
      yield* (yield* FakeWorld).failNext("DescribeAutoScalingGroups", 3, "transient")
      const fiber = yield* Effect.fork((yield* AutoScaling).describeGroups(["web"]))
      yield* TestClock.adjust("1 minute")
      const found = yield* Fiber.join(fiber)
      expect(found.map((g) => g.name)).toEqual(["web"])
      expect(yield* operations).toEqual(Array.from({ length: 4 }, () => "DescribeAutoScalingGroups"))
    }).pipe(Effect.provide(world)))

  it.effect("faults beyond the schedule's patience reach the caller as Throttled", () =>
    Effect.gen(function*() {
      yield* addWeb()
      yield* (yield* FakeWorld).failNext("SuspendProcesses", 10, "throttle")
      const fiber = yield* Effect.fork(Effect.flip((yield* AutoScaling).suspendProcesses("web", ["Launch"])))
      yield* TestClock.adjust("10 seconds")
      const error = yield* Fiber.join(fiber)
      expect(error._tag).toBe("Throttled")
      expect((yield* operations).length).toBe(6)
      expect((yield* group()).suspendedProcesses).toEqual([])
    }).pipe(Effect.provide(world), fixedRetries))

  it.effect("describeGroups asks for 100 names a call, as the live layer does: 220 names are 3 calls", () =>
    Effect.gen(function*() {
      yield* addWeb({ name: "g-7" })
      yield* addWeb({ name: "g-201" })
      const names = Array.from({ length: 220 }, (_, i) => `g-${i}`)
      const found = yield* (yield* AutoScaling).describeGroups(names)
      expect(found.map((g) => g.name)).toEqual(["g-7", "g-201"])
      expect(yield* operations).toEqual(["DescribeAutoScalingGroups", "DescribeAutoScalingGroups", "DescribeAutoScalingGroups"])
    }).pipe(Effect.provide(world)))

  it.effect("calls are recorded in order with whether they mutate, refused ones included", () =>
    Effect.gen(function*() {
      yield* addWeb()
      const asg = yield* AutoScaling
      yield* asg.describeGroups(["web"])
      yield* Effect.flip(asg.updateSizes("web", { desiredCapacity: 99 }))
      yield* asg.setTags("web", { owner: "team" })
      const calls = yield* (yield* FakeWorld).calls
      expect(calls.map((c) => [c.operation, c.mutating, c.failed])).toEqual([
        ["DescribeAutoScalingGroups", false, false],
        ["UpdateAutoScalingGroup", true, false],
        ["CreateOrUpdateTags", true, false]
      ])
    }).pipe(Effect.provide(world)))

  it.effect("failNext with an operation the fake does not answer does not compile, and dies instead of never firing", () =>
    Effect.gen(function*() {
      // @ts-expect-error a misspelt operation is not an Operation
      const exit = yield* Effect.exit((yield* FakeWorld).failNext("DescribeAutoscalingGroups", 1, "throttle"))
      expect(Exit.isFailure(exit) && !Exit.isInterrupted(exit)).toBe(true)
      expect(String(Exit.isFailure(exit) ? exit.cause : "")).toContain("not an operation the fake answers")
    }).pipe(Effect.provide(world)))
})

describe("fake world: the call log's request parameters", () => {
  it.effect("name what each call asked for, by AWS's parameter names: a rollout terminated exactly the old ids", () =>
    Effect.gen(function*() {
      yield* rolloutWorld.webGroup()
      const before = (yield* rolloutWorld.group("web")).instances.map((i) => i.instanceId).sort()
      const result = yield* rolloutWorld.drive(rolloutWorld.runRollout())
      expect(result).toMatchObject({ _tag: "Success" })
      const calls = yield* (yield* FakeWorld).calls
      const terminated = calls.filter((c) => c.operation === "TerminateInstanceInAutoScalingGroup" && !c.failed)
      expect(terminated.map((c) => c.params["InstanceId"]).sort()).toEqual(before)
      expect(terminated.every((c) => c.params["ShouldDecrementDesiredCapacity"] === true)).toBe(true)
      const raise = calls.find((c) => c.operation === "UpdateAutoScalingGroup")
      expect(raise?.params).toMatchObject({ AutoScalingGroupName: "web", DesiredCapacity: 4 })
      expect(calls.find((c) => c.operation === "DescribeStacks")?.params).toEqual({ StackName: rolloutWorld.STACK })
    }).pipe(Effect.provide(FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" }))))
})
