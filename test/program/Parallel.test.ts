import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { rollStack } from "../../src/program/stack/StackRollout.js"
import { drive, group, LT, options, STACK, twoGroups as twoGroupsOf } from "../support/World.js"

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })

const twoGroups = twoGroupsOf({ minSize: 3, maxSize: 6, desiredCapacity: 3 })

const count = (calls: ReadonlyArray<{ readonly operation: string }>, op: string) => calls.filter((c) => c.operation === op).length

describe("parallel groups and shared polling", () => {
  it.effect("--parallel all rolls both groups in the time of one, with one shared poll round", () =>
    Effect.gen(function*() {
      const w = yield* twoGroups
      const start = yield* Clock.currentTimeMillis
      const result = yield* Effect.flatten(drive(rollStack(STACK, options({ parallel: "all" }))))
      const elapsed = (yield* Clock.currentTimeMillis) - start
      expect(result.groups.map((g) => [g.name, g.status])).toEqual([["web", "succeeded"], ["api", "succeeded"]])
      // launch 60 s + health 30 s, plus at most two poll intervals of lag.
      expect(elapsed).toBeLessThanOrEqual(90_000 + 2 * 5_000 + 1_000)
      const calls = yield* w.calls
      // Every round asks each load balancer once, for both groups together.
      expect(count(calls, "DescribeInstanceHealth")).toBe(count(calls, "DescribeTargetHealth"))
      expect(count(calls, "DescribeInstanceHealth")).toBeLessThan(30)
    }).pipe(Effect.provide(world)))

  it.effect("one by one takes the time of both", () =>
    Effect.gen(function*() {
      yield* twoGroups
      const start = yield* Clock.currentTimeMillis
      const result = yield* Effect.flatten(drive(rollStack(STACK, options())))
      expect(result.status).toBe("succeeded")
      expect((yield* Clock.currentTimeMillis) - start).toBeGreaterThanOrEqual(2 * 90_000)
    }).pipe(Effect.provide(world)))

  it.effect("in parallel each group commits or rolls back on its own, and the worst status wins", () =>
    Effect.gen(function*() {
      const w = yield* twoGroups
      yield* w.markNeverHealthy({ launchConfigurationName: "api-v2" })
      const result = yield* Effect.flatten(drive(rollStack(STACK, options({ parallel: "all", healthyTimeout: "300 seconds" }))))
      expect(result.groups.map((g) => [g.name, g.status])).toEqual([["web", "succeeded"], ["api", "rolled-back"]])
      expect(result.status).toBe("rolled-back")
      const web = yield* group("web")
      expect(web.instances.every((i) => i.launchTemplate?.version === "2")).toBe(true)
    }).pipe(Effect.provide(world)))

  it.effect("one by one, a failed group stops the run before the next group starts", () =>
    Effect.gen(function*() {
      const w = yield* twoGroups
      yield* w.markNeverHealthy({ launchTemplateId: LT, version: "2" })
      const result = yield* Effect.flatten(drive(rollStack(STACK, options({ healthyTimeout: "120 seconds" }))))
      expect(result.groups.map((g) => [g.name, g.status])).toEqual([["web", "rolled-back"]])
      expect(result.notAttempted).toEqual(["api"])
      const api = yield* group("api")
      expect(api.instances.every((i) => i.launchConfigurationName === "api-v1")).toBe(true)
      expect(api.suspendedProcesses).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("polling backs off while nothing changes", () =>
    Effect.gen(function*() {
      const w = yield* twoGroups
      yield* w.markNeverHealthy({ launchTemplateId: LT, version: "2" })
      yield* Effect.flatten(drive(rollStack(STACK, options({ groups: ["web"], healthyTimeout: "600 seconds" })), { step: "5 seconds" }))
      const rounds = count(yield* w.calls, "DescribeInstanceHealth")
      // A fixed 5 s interval would make 120 rounds in 600 s; backing off to 10 s makes far fewer.
      expect(rounds).toBeLessThan(75)
      expect(rounds).toBeGreaterThan(55)
    }).pipe(Effect.provide(world)))
})
