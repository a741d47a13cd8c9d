import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { AutoScaling } from "../../src/services/AutoScaling.js"
import { LoadBalancing } from "../../src/services/LoadBalancing.js"
import { addWeb, CLB, group, ids, states, TG, world } from "./Support.js"

describe("fake Auto Scaling: capacity", () => {
  it.effect("a new instance is Pending for launchDelay, InService after it and healthy healthDelay later", () =>
    Effect.gen(function*() {
      yield* addWeb()
      const asg = yield* AutoScaling
      const lb = yield* LoadBalancing
      const w = yield* FakeWorld
      yield* asg.updateSizes("web", { desiredCapacity: 3 })
      const [fresh] = ids(yield* group()).slice(2)
      expect(fresh).toMatch(/^i-[0-9a-f]{17}$/)
      expect(states(yield* group())).toEqual(["InService", "InService", "Pending"])
      expect((yield* lb.classicHealth(CLB)).map((h) => h.instanceId)).not.toContain(fresh)

      yield* TestClock.adjust("59 seconds")
      expect(states(yield* group())).toEqual(["InService", "InService", "Pending"])
      yield* TestClock.adjust("1 second")
      expect(states(yield* group())).toEqual(["InService", "InService", "InService"])
      expect((yield* lb.classicHealth(CLB)).find((h) => h.instanceId === fresh)?.state).toBe("OutOfService")
      expect((yield* lb.targetHealth(TG)).find((h) => h.instanceId === fresh)?.state).toBe("initial")
      expect(yield* w.healthyCount("web")).toBe(2)

      yield* TestClock.adjust("29 seconds")
      expect(yield* w.healthyCount("web")).toBe(2)
      yield* TestClock.adjust("1 second")
      expect((yield* lb.classicHealth(CLB)).find((h) => h.instanceId === fresh)?.state).toBe("InService")
      expect((yield* lb.targetHealth(TG)).find((h) => h.instanceId === fresh)?.state).toBe("healthy")
      expect(yield* w.healthyCount("web")).toBe(3)
    }).pipe(Effect.provide(world)))

  it.effect("launches nothing while Launch is suspended, and catches up when it resumes", () =>
    Effect.gen(function*() {
      yield* addWeb()
      const asg = yield* AutoScaling
      yield* asg.suspendProcesses("web", ["Launch"])
      yield* asg.updateSizes("web", { desiredCapacity: 4 })
      yield* TestClock.adjust("5 minutes")
      const g = yield* group()
      expect(g.desiredCapacity).toBe(4)
      expect(states(g)).toEqual(["InService", "InService"])
      yield* asg.resumeProcesses("web", ["Launch"])
      expect(states(yield* group())).toEqual(["InService", "InService", "Pending", "Pending"])
    }).pipe(Effect.provide(world)))

  it.effect("lowering desired after a release scales in the old, serving instances under AWS's Default policy", () =>
    Effect.gen(function*() {
      yield* addWeb()
      const asg = yield* AutoScaling
      const w = yield* FakeWorld
      const old = ids(yield* group())
      yield* w.setLaunchTemplateVersion("web", "2")
      yield* asg.updateSizes("web", { desiredCapacity: 4 })
      yield* TestClock.adjust("60 seconds")
      const fresh = ids(yield* group()).filter((id) => !old.includes(id))
      expect(fresh).toHaveLength(2)

      // Oldest launch template first: a tool that lowers desired instead of terminating exact ids loses what serves.
      yield* asg.updateSizes("web", { desiredCapacity: 2 })
      const g = yield* group()
      expect(g.instances.filter((i) => i.lifecycleState === "Terminating").map((i) => i.instanceId).sort()).toEqual([...old].sort())
      yield* TestClock.adjust("10 seconds")
      expect(ids(yield* group())).toEqual(fresh)
    }).pipe(Effect.provide(world)))

  it.effect("with one launch spec, Default scales in the instance closest to its next billing hour", () =>
    Effect.gen(function*() {
      yield* addWeb({ minSize: 1, desiredCapacity: 3 })
      const asg = yield* AutoScaling
      const [first] = ids(yield* group())
      yield* TestClock.adjust("50 minutes")
      yield* asg.updateSizes("web", { desiredCapacity: 4 })
      const newest = ids(yield* group())[3]
      // Both in the crowded zone: the newest has 59 min to its next hour, the first 8.5 min.
      yield* TestClock.adjust("1 minute")
      yield* asg.updateSizes("web", { desiredCapacity: 3 })
      const g = yield* group()
      expect(g.instances.find((i) => i.instanceId === newest)?.availabilityZone).toBe(g.instances[0]?.availabilityZone)
      expect(g.instances.filter((i) => i.lifecycleState === "Terminating").map((i) => i.instanceId)).toEqual([first])
    }).pipe(Effect.provide(world)))

  it.effect("NewestInstance scales in the newest instances", () =>
    Effect.gen(function*() {
      yield* addWeb({ terminationPolicy: "NewestInstance" })
      const asg = yield* AutoScaling
      const old = ids(yield* group())
      yield* asg.updateSizes("web", { desiredCapacity: 4 })
      yield* TestClock.adjust("90 seconds")
      yield* asg.updateSizes("web", { desiredCapacity: 2 })
      yield* TestClock.adjust("10 seconds")
      expect(ids(yield* group())).toEqual(old)
    }).pipe(Effect.provide(world)))

  it.effect("scale-in skips ProtectedFromScaleIn instances and follows OldestInstance when asked", () =>
    Effect.gen(function*() {
      yield* addWeb({ terminationPolicy: "OldestInstance", minSize: 1, desiredCapacity: 3 })
      const w = yield* FakeWorld
      const asg = yield* AutoScaling
      const [first, second, third] = ids(yield* group())
      yield* w.protectFromScaleIn(first ?? "")
      yield* asg.updateSizes("web", { desiredCapacity: 1 })
      yield* TestClock.adjust("10 seconds")
      expect(ids(yield* group())).toEqual([first])
      expect([second, third]).not.toContain(first)
    }).pipe(Effect.provide(world)))

  it.effect("with Terminate suspended a lower desired leaves the instances running until it resumes", () =>
    Effect.gen(function*() {
      yield* addWeb({ desiredCapacity: 4 })
      const asg = yield* AutoScaling
      yield* asg.suspendProcesses("web", ["Terminate"])
      yield* asg.updateSizes("web", { desiredCapacity: 2 })
      yield* TestClock.adjust("1 minute")
      expect(states(yield* group())).toEqual(["InService", "InService", "InService", "InService"])
      yield* asg.resumeProcesses("web", ["Terminate"])
      yield* TestClock.adjust("10 seconds")
      expect(states(yield* group())).toEqual(["InService", "InService"])
    }).pipe(Effect.provide(world)))

  it.effect("UpdateAutoScalingGroup refuses a desired capacity outside [min, max] and changes nothing", () =>
    Effect.gen(function*() {
      yield* addWeb()
      const asg = yield* AutoScaling
      const tooMany = yield* Effect.flip(asg.updateSizes("web", { desiredCapacity: 7 }))
      expect(tooMany._tag).toBe("AwsValidationError")
      expect(tooMany.message).toBe("Desired capacity:7 must be between the specified min size:2 and max size:6")
      const belowNewMin = yield* Effect.flip(asg.updateSizes("web", { minSize: 3, desiredCapacity: 2 }))
      expect(belowNewMin.message).toContain("must be between the specified min size:3")
      const crossed = yield* Effect.flip(asg.updateSizes("web", { minSize: 5, maxSize: 4 }))
      expect(crossed.message).toBe("Max bound, 4, must be greater than or equal to min bound, 5")
      const missing = yield* Effect.flip(asg.updateSizes("nope", { desiredCapacity: 1 }))
      expect(missing.message).toContain("AutoScalingGroup name not found")
      const g = yield* group()
      expect([g.minSize, g.maxSize, g.desiredCapacity, g.instances.length]).toEqual([2, 6, 2, 2])
    }).pipe(Effect.provide(world)))

  it.effect("a new minimum above desired raises desired, as AWS does when desired is not given", () =>
    Effect.gen(function*() {
      yield* addWeb()
      yield* (yield* AutoScaling).updateSizes("web", { minSize: 3 })
      const g = yield* group()
      expect([g.minSize, g.desiredCapacity]).toEqual([3, 3])
      expect(states(g)).toEqual(["InService", "InService", "Pending"])
    }).pipe(Effect.provide(world)))

  it.effect("new instances are spread over the region's zones", () =>
    Effect.gen(function*() {
      yield* addWeb({ desiredCapacity: 6 })
      const zones = (yield* group()).instances.map((i) => i.availabilityZone)
      expect(zones).toEqual(["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1a", "eu-west-1b", "eu-west-1c"])
    }).pipe(Effect.provide(world)))

  it.effect("AZRebalance evens out zones after explicit terminations unless it is suspended", () =>
    Effect.gen(function*() {
      yield* addWeb({ minSize: 1, desiredCapacity: 4, suspendedProcesses: ["AZRebalance"] })
      const asg = yield* AutoScaling
      const zones = () => Effect.map(group(), (g) => g.instances.filter((i) => i.lifecycleState !== "Terminating").map((i) => i.availabilityZone))
      const inB = (yield* group()).instances.find((i) => i.availabilityZone === "eu-west-1b")?.instanceId ?? ""
      yield* asg.terminateInstance(inB, true)
      expect(yield* zones()).toEqual(["eu-west-1a", "eu-west-1c", "eu-west-1a"])
      yield* asg.resumeProcesses("web", ["AZRebalance"])
      expect([...(yield* zones())].sort()).toEqual(["eu-west-1a", "eu-west-1b", "eu-west-1c"])
      expect((yield* group()).desiredCapacity).toBe(3)
    }).pipe(Effect.provide(world)))

  it.effect("a zone short of capacity: launches go to the other zones, and AZRebalance evens them out once it has capacity again", () =>
    Effect.gen(function*() {
      yield* addWeb({ desiredCapacity: 3 })
      const asg = yield* AutoScaling
      const w = yield* FakeWorld
      const zones = () => Effect.map(group(), (g) => g.instances.filter((i) => i.lifecycleState !== "Terminating").map((i) => i.availabilityZone).sort())
      yield* w.zoneShortOfCapacity("eu-west-1a")
      yield* asg.updateSizes("web", { maxSize: 10, desiredCapacity: 6 })
      expect(yield* zones()).toEqual(["eu-west-1a", "eu-west-1b", "eu-west-1b", "eu-west-1b", "eu-west-1c", "eu-west-1c"])
      // AZRebalance cannot bring 1a up while it is short: nothing moves.
      expect((yield* group()).instances.every((i) => i.lifecycleState !== "Terminating")).toBe(true)
      yield* w.zoneShortOfCapacity("eu-west-1a", false)
      expect(yield* zones()).toEqual(["eu-west-1a", "eu-west-1a", "eu-west-1b", "eu-west-1b", "eu-west-1c", "eu-west-1c"])
    }).pipe(Effect.provide(world)))

  it.effect("a shortage in every zone at once is refused as a set-up mistake, as is a zone the region does not have", () =>
    Effect.gen(function*() {
      const w = yield* FakeWorld
      yield* w.zoneShortOfCapacity("eu-west-1a")
      yield* w.zoneShortOfCapacity("eu-west-1b")
      expect(String(yield* Effect.flip(Effect.sandbox(w.zoneShortOfCapacity("eu-west-1c"))))).toContain("eu-west-1c is the last zone with capacity")
      expect(String(yield* Effect.flip(Effect.sandbox(w.zoneShortOfCapacity("eu-west-1d"))))).toContain("no zone eu-west-1d (the zones are eu-west-1a, eu-west-1b, eu-west-1c)")
    }).pipe(Effect.provide(world)))
})
