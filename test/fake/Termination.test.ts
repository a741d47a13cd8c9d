import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { AutoScaling } from "../../src/services/AutoScaling.js"
import { LoadBalancing } from "../../src/services/LoadBalancing.js"
import { addWeb, CLB, group, ids, states, TG, world } from "./Support.js"

describe("fake Auto Scaling: termination", () => {
  it.effect("terminating without decrement drains the instance, then launches a replacement", () =>
    Effect.gen(function*() {
      yield* addWeb()
      const asg = yield* AutoScaling
      const lb = yield* LoadBalancing
      const [victim, survivor] = ids(yield* group())
      yield* asg.terminateInstance(victim ?? "", false)

      const during = yield* group()
      expect(during.desiredCapacity).toBe(2)
      expect(during.instances.map((i) => [i.instanceId === victim, i.lifecycleState])).toEqual([
        [true, "Terminating"],
        [false, "InService"],
        [false, "Pending"]
      ])
      expect((yield* lb.targetHealth(TG)).find((h) => h.instanceId === victim)?.state).toBe("draining")
      expect((yield* lb.classicHealth(CLB)).find((h) => h.instanceId === victim)?.state).toBe("OutOfService")

      yield* TestClock.adjust("10 seconds")
      const after = yield* group()
      expect(ids(after)).not.toContain(victim)
      expect(ids(after)).toContain(survivor)
      expect((yield* lb.targetHealth(TG)).map((h) => h.instanceId)).not.toContain(victim)
      expect((yield* lb.classicHealth(CLB)).map((h) => h.instanceId)).not.toContain(victim)
      const snap = yield* (yield* FakeWorld).snapshot
      expect(snap.instances.find((i) => i.instanceId === victim)?.lifecycleState).toBe("Terminated")
    }).pipe(Effect.provide(world)))

  it.effect("terminating with decrement lowers desired and launches nothing", () =>
    Effect.gen(function*() {
      yield* addWeb({ desiredCapacity: 3 })
      const asg = yield* AutoScaling
      const [victim] = ids(yield* group())
      yield* asg.terminateInstance(victim ?? "", true)
      yield* TestClock.adjust("2 minutes")
      const g = yield* group()
      expect(g.desiredCapacity).toBe(2)
      expect(states(g)).toEqual(["InService", "InService"])
      expect(ids(g)).not.toContain(victim)
    }).pipe(Effect.provide(world)))

  it.effect("terminating with decrement at the minimum size is refused: lower min first", () =>
    Effect.gen(function*() {
      yield* addWeb()
      const asg = yield* AutoScaling
      const [victim] = ids(yield* group())
      const refused = yield* Effect.flip(asg.terminateInstance(victim ?? "", true))
      expect(refused._tag).toBe("AwsValidationError")
      expect(refused.message).toContain("violate group's min size constraint")
      expect(states(yield* group())).toEqual(["InService", "InService"])

      yield* asg.updateSizes("web", { minSize: 1 })
      yield* asg.terminateInstance(victim ?? "", true)
      const g = yield* group()
      expect([g.minSize, g.desiredCapacity]).toEqual([1, 1])
      expect(states(g)).toEqual(["Terminating", "InService"])
    }).pipe(Effect.provide(world)))

  it.effect("terminating an id that is in no group, or is gone, is a ValidationError", () =>
    Effect.gen(function*() {
      yield* addWeb()
      const asg = yield* AutoScaling
      const unknown = yield* Effect.flip(asg.terminateInstance("i-0000000000000dead", false))
      expect(unknown.message).toBe("Instance Id not found - No managed instance found for instance ID: i-0000000000000dead")
      const [victim] = ids(yield* group())
      yield* asg.terminateInstance(victim ?? "", false)
      yield* TestClock.adjust("10 seconds")
      const gone = yield* Effect.flip(asg.terminateInstance(victim ?? "", false))
      expect(gone._tag).toBe("AwsValidationError")
    }).pipe(Effect.provide(world)))

  it.effect("an instance terminated from outside goes at the given time and the group replaces it", () =>
    Effect.gen(function*() {
      yield* addWeb()
      const w = yield* FakeWorld
      const [victim] = ids(yield* group())
      yield* w.terminateInstance(victim ?? "", "20 seconds")
      yield* TestClock.adjust("19 seconds")
      expect(states(yield* group())).toEqual(["InService", "InService"])
      yield* TestClock.adjust("1 second")
      expect(states(yield* group())).toEqual(["Terminating", "InService", "Pending"])
      yield* TestClock.adjust("90 seconds")
      expect(ids(yield* group())).not.toContain(victim)
      expect(yield* w.healthyCount("web")).toBe(2)
    }).pipe(Effect.provide(world)))
})
