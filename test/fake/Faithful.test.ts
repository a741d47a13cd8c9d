import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { AutoScaling } from "../../src/services/AutoScaling.js"
import { LoadBalancing } from "../../src/services/LoadBalancing.js"
import { addWeb, CLB, group, ids, states, TG, world } from "./Support.js"

/** The world with its defaults, as users' tests and the rollout tests get it. */
const defaults = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })

const describeWeb = Effect.flatMap(AutoScaling, (asg) => asg.describeGroups(["web"])).pipe(Effect.map((gs) => gs[0]!))

describe("fake world: AWS as it really is", () => {
  it.effect("a launched instance is listed by DescribeAutoScalingGroups only a few seconds after the launch", () =>
    Effect.gen(function*() {
      yield* addWeb()
      const asg = yield* AutoScaling
      yield* asg.updateSizes("web", { desiredCapacity: 3 })
      expect((yield* describeWeb).instances).toHaveLength(2)
      yield* TestClock.adjust("2 seconds")
      expect((yield* describeWeb).instances).toHaveLength(2)
      yield* TestClock.adjust("1 second")
      expect(states(yield* describeWeb)).toEqual(["InService", "InService", "Pending"])
    }).pipe(Effect.provide(defaults)))

  it.effect("Standby: deregistered while EnteringStandby, then out of the capacity; ExitStandby brings it back", () =>
    Effect.gen(function*() {
      yield* addWeb({ desiredCapacity: 3 })
      const w = yield* FakeWorld
      const lb = yield* LoadBalancing
      const [first] = ids(yield* group())
      yield* w.enterStandby(first!)
      let g = yield* group()
      expect([g.desiredCapacity, g.instances[0]?.lifecycleState]).toEqual([2, "EnteringStandby"])
      expect((yield* lb.targetHealth(TG)).find((h) => h.instanceId === first)?.state).toBe("draining")
      yield* TestClock.adjust("10 seconds")
      g = yield* group()
      expect(states(g)).toEqual(["Standby", "InService", "InService"])
      expect((yield* lb.classicHealth(CLB)).map((h) => h.instanceId)).not.toContain(first)
      expect(yield* w.healthyCount("web")).toBe(2)
      // Not in the capacity: no replacement, and a lower desired never picks it.
      yield* (yield* AutoScaling).updateSizes("web", { minSize: 1, desiredCapacity: 1 })
      yield* TestClock.adjust("10 seconds")
      expect(states(yield* group())).toEqual(["Standby", "InService"])

      yield* w.exitStandby(first!)
      expect(states(yield* group())).toEqual(["Pending", "InService"])
      expect((yield* group()).desiredCapacity).toBe(2)
      yield* TestClock.adjust("90 seconds")
      expect(yield* w.healthyCount("web")).toBe(2)
    }).pipe(Effect.provide(world)))

  it.effect("Standby without decrement: the group launches a replacement; an explicit terminate still takes it", () =>
    Effect.gen(function*() {
      yield* addWeb()
      const w = yield* FakeWorld
      const [first] = ids(yield* group())
      yield* w.enterStandby(first!, false)
      expect(states(yield* group())).toEqual(["EnteringStandby", "InService", "Pending"])
      yield* TestClock.adjust("10 seconds")
      yield* (yield* AutoScaling).terminateInstance(first!, false)
      yield* TestClock.adjust("10 seconds")
      expect(ids(yield* group())).not.toContain(first)
    }).pipe(Effect.provide(world)))

  it.effect("a warm pool: a scale-out takes its instances first, and they run the launch spec they were built with", () =>
    Effect.gen(function*() {
      yield* addWeb({ warmPoolSize: 2 })
      const w = yield* FakeWorld
      expect((yield* group()).warmPool).toEqual({ size: 2 })
      yield* w.setLaunchTemplateVersion("web", "2")
      yield* (yield* AutoScaling).updateSizes("web", { desiredCapacity: 3 })
      const g = yield* group()
      expect(g.instances.map((i) => i.launchTemplate?.version)).toEqual(["1", "1", "1"])
      // The pool is refilled from the spec of now; its new instance is not in the group.
      expect(g.warmPool).toEqual({ size: 2 })
      const pooled = (yield* w.snapshot).instances.filter((i) => i.lifecycleState.startsWith("Warmed:"))
      expect(pooled.map((i) => [i.lifecycleState, i.launchTemplate?.version])).toEqual([["Warmed:Stopped", "1"], ["Warmed:Pending", "2"]])
    }).pipe(Effect.provide(world)))

  it.effect("weighted instances make the capacity overshoot desired", () =>
    Effect.gen(function*() {
      yield* addWeb({ desiredCapacity: 3, initialWeights: [2, 2], instanceWeight: 1 })
      const g = yield* group()
      expect(g.instances.map((i) => i.weightedCapacity)).toEqual([2, 2])
      yield* (yield* AutoScaling).updateSizes("web", { desiredCapacity: 5 })
      // 4 running capacity units, desired 5: one instance of weight 1.
      expect((yield* group()).instances.map((i) => i.weightedCapacity)).toEqual([2, 2, 1])
    }).pipe(Effect.provide(world)))

  it.effect("a target in a zone its load balancer does not enable stays unused; a CLB reports it OutOfService", () =>
    Effect.gen(function*() {
      const w = yield* FakeWorld
      yield* w.addTargetGroup(TG, { zones: ["eu-west-1a", "eu-west-1b"] })
      yield* w.addClassicLoadBalancer(CLB, { zones: ["eu-west-1a", "eu-west-1b"] })
      yield* addWeb({ desiredCapacity: 3 })
      const lb = yield* LoadBalancing
      yield* TestClock.adjust("10 minutes")
      const inC = (yield* group()).instances.find((i) => i.availabilityZone === "eu-west-1c")!.instanceId
      expect((yield* lb.targetHealth(TG)).find((h) => h.instanceId === inC)).toEqual({ instanceId: inC, state: "unused", reason: "Target.NotInUse" })
      expect((yield* lb.classicHealth(CLB)).find((h) => h.instanceId === inC)?.state).toBe("OutOfService")
      expect(yield* w.healthyCount("web")).toBe(2)
    }).pipe(Effect.provide(world)))

  it.effect("setSizes: someone else changes the sizes; the group follows, within AWS's rules", () =>
    Effect.gen(function*() {
      yield* addWeb()
      const w = yield* FakeWorld
      yield* w.setSizes("web", { desiredCapacity: 4 })
      expect(states(yield* group())).toEqual(["InService", "InService", "Pending", "Pending"])
      yield* w.setSizes("web", { maxSize: 3 })
      const g = yield* group()
      expect([g.maxSize, g.desiredCapacity]).toEqual([3, 3])
      expect(yield* Effect.exit(w.setSizes("web", { desiredCapacity: 9 }))).toMatchObject({ _tag: "Failure" })
      // Not one of our calls: nothing recorded.
      expect(yield* w.calls).toEqual([])
    }).pipe(Effect.provide(world)))
})
