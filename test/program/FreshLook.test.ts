import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { encodeRecord, RECORD_PREFIX } from "../../src/program/rollout/RolloutRecord.js"
import { AutoScaling } from "../../src/services/AutoScaling.js"
import { rollStack } from "../../src/program/stack/StackRollout.js"
import { group, options, STACK, twoGroups as twoGroupsOf } from "../support/World.js"

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })

const twoGroups = twoGroupsOf({ minSize: 1, maxSize: 6, desiredCapacity: 2 })

const recordTags = (tags: Readonly<Record<string, string>>) => Object.keys(tags).filter((k) => k.startsWith("aws-ha-updater:"))

describe("each group is looked at again right before its own rollout", () => {
  it.effect("a group that scaled out while an earlier group rolled keeps its new size and all its capacity", () =>
    Effect.gen(function*() {
      const w = yield* twoGroups
      const run = yield* Effect.fork(rollStack(STACK, options({ parallel: 1 })))
      // web is waiting for its new instances: api scales 2→4 meanwhile (a scaling policy, a person).
      yield* TestClock.adjust("30 seconds")
      expect((yield* group("web")).tags[`${RECORD_PREFIX}:phase`]).toBe("waiting")
      yield* w.setSizes("api", { desiredCapacity: 4 })
      for (let i = 0; i < 120 && Option.isNone(yield* Fiber.poll(run)); i++) yield* TestClock.adjust("5 seconds")
      const result = yield* Fiber.join(run)
      expect(result.groups.map((g) => [g.name, g.status])).toEqual([["web", "succeeded"], ["api", "succeeded"]])
      yield* TestClock.adjust("30 seconds")
      const api = yield* group("api")
      expect([api.minSize, api.maxSize, api.desiredCapacity]).toEqual([1, 6, 4])
      expect(api.instances.filter((i) => i.lifecycleState === "InService")).toHaveLength(4)
      expect(api.instances.every((i) => i.launchConfigurationName === "api-v2")).toBe(true)
      expect(yield* w.healthyCount("api")).toBe(4)
      expect(recordTags(api.tags)).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("a group that got someone's rollout record while an earlier group rolled is refused at its turn and left as it is", () =>
    Effect.gen(function*() {
      yield* twoGroups
      const run = yield* Effect.fork(rollStack(STACK, options({ parallel: 1 })))
      yield* TestClock.adjust("30 seconds")
      const before = yield* group("api")
      const planted = encodeRecord({
        id: "someone-else",
        stack: STACK,
        phase: "waiting",
        startedAt: 0,
        sizes: { minSize: 1, maxSize: 6, desiredCapacity: 2 },
        needed: 2,
        ours: [],
        oldIds: before.instances.map((i) => i.instanceId)
      })
      yield* (yield* AutoScaling).setTags("api", planted)
      for (let i = 0; i < 120 && Option.isNone(yield* Fiber.poll(run)); i++) yield* TestClock.adjust("5 seconds")
      const result = yield* Fiber.join(run)
      expect(result.groups.map((g) => [g.name, g.status])).toEqual([["web", "succeeded"], ["api", "failed"]])
      expect(result.groups[1]?.reason).toContain("not rolled")
      const api = yield* group("api")
      expect([api.minSize, api.maxSize, api.desiredCapacity]).toEqual([1, 6, 2])
      expect(api.instances.map((i) => i.instanceId)).toEqual(before.instances.map((i) => i.instanceId))
      expect(api.suspendedProcesses).toEqual([])
      expect(recordTags(api.tags).sort()).toEqual(Object.keys(planted).sort())
    }).pipe(Effect.provide(world)))
})
