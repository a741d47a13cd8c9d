import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/TestClock"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { DEGRADED_TAG } from "../../src/program/rollout/Degraded.js"
import { hasRecord } from "../../src/program/rollout/RolloutRecord.js"
import { units } from "../../src/program/rollout/Waves.js"
import { RetryPolicy } from "../../src/services/Retry.js"
import { CLB, drive, group, LT, mutatingCalls, runRollout, TG, webGroup } from "../support/World.js"

/** The world with its faithful defaults: Default termination policy, new instances listed 3 s after their launch. */
const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })

/** Retries 10 s apart, so a test can act between two attempts. */
const slowRetries = world.pipe(
  Layer.provide(Layer.succeed(RetryPolicy, { schedule: Schedule.intersect(Schedule.spaced("10 seconds"), Schedule.recurs(3)) }))
)

const ids = (g: { readonly instances: ReadonlyArray<{ readonly instanceId: string }> }) => g.instances.map((i) => i.instanceId)
const sizes = (g: { readonly minSize: number; readonly maxSize: number; readonly desiredCapacity: number }) => [g.minSize, g.maxSize, g.desiredCapacity]

describe("the rollout against AWS as it really is", () => {
  it.effect("rolls back every new instance when there are more of them than the raise (an old one was replaced meanwhile)", () =>
    Effect.gen(function*() {
      yield* webGroup()
      const w = yield* FakeWorld
      yield* w.markNeverHealthy({ launchTemplateId: LT, version: "2" })
      const [lost, kept] = ids(yield* group("web"))
      // Lost while the rollout waits: the group launches a replacement from the new release, a third new instance.
      yield* w.terminateInstance(lost!, "100 seconds")
      const result = yield* Effect.flatten(drive(runRollout({ healthyTimeout: "300 seconds" }), { step: "5 seconds" }))
      const g = result.groups[0]!
      expect(g.status).toBe("rolled-back")
      expect(g.launched).toHaveLength(3)
      expect([...g.terminated].sort()).toEqual([...g.launched].sort())
      yield* TestClock.adjust("1 minute")
      const after = yield* group("web")
      expect(sizes(after)).toEqual([2, 4, 2])
      // Not one instance the rollout launched is left, and the old one that survived serves; the group may then
      // replace the lost one itself (from its launch template, the new release: a stack roll-back is the user's call).
      expect(ids(after).filter((id) => g.launched.includes(id))).toEqual([])
      expect(after.instances.find((i) => i.instanceId === kept)?.lifecycleState).toBe("InService")
      expect(hasRecord(after.tags)).toBe(false)
      expect(after.tags[DEGRADED_TAG]).toContain("timed out")
    }).pipe(Effect.provide(world)))

  it.effect("a commit that cannot restore the sizes reports the old instances it did terminate, and says what is true", () =>
    Effect.gen(function*() {
      yield* webGroup()
      const w = yield* FakeWorld
      const before = ids(yield* group("web"))
      // The commit's first terminate is throttled, which gives the test a moment to break every later size change.
      yield* w.failNext("TerminateInstanceInAutoScalingGroup", 1, "throttle")
      let armed = false
      const arm = Effect.gen(function*() {
        if (armed || !(yield* w.calls).some((c) => c.operation === "TerminateInstanceInAutoScalingGroup")) return
        armed = true
        yield* w.failNext("UpdateAutoScalingGroup", 100, "transient")
      })
      const result = yield* Effect.flatten(drive(runRollout(), { onStep: () => arm }))
      const g = result.groups[0]!
      expect(g.status).toBe("failed")
      expect([...g.terminated].sort()).toEqual([...before].sort())
      expect(g.reason).not.toContain("sizes stay raised")
      expect(g.reason).toContain("old instances are terminated")
      const after = yield* group("web")
      expect(after.instances.filter((i) => before.includes(i.instanceId) && i.lifecycleState === "InService")).toEqual([])
    }).pipe(Effect.provide(slowRetries)))

  it.effect("keeps an operator's Standby instance: neither counted nor terminated, and listed in the result", () =>
    Effect.gen(function*() {
      yield* webGroup({ desiredCapacity: 3, maxSize: 6 })
      const w = yield* FakeWorld
      const [standby] = ids(yield* group("web"))
      yield* w.enterStandby(standby!)
      yield* TestClock.adjust("10 seconds")
      const result = yield* Effect.flatten(drive(runRollout()))
      const g = result.groups[0]!
      expect(g.status).toBe("succeeded")
      expect(g.terminated).not.toContain(standby)
      expect(g.terminated).toHaveLength(2)
      expect(g.launched).toHaveLength(2)
      expect(g.standby).toEqual([standby])
      yield* TestClock.adjust("1 minute")
      const after = yield* group("web")
      expect(after.instances.find((i) => i.instanceId === standby)?.lifecycleState).toBe("Standby")
      expect(sizes(after)).toEqual([2, 6, 2])
    }).pipe(Effect.provide(world)))

  it.effect("a weighted group whose capacity exceeds desired succeeds: desired is raised by what the new capacity needs", () =>
    Effect.gen(function*() {
      // Two instances of weight 2 serve a desired of 3; the release launches instances of weight 1.
      yield* webGroup({ minSize: 1, maxSize: 10, desiredCapacity: 3, initialWeights: [2, 2], instanceWeight: 1 })
      const before = ids(yield* group("web"))
      const result = yield* Effect.flatten(drive(runRollout(), { step: "5 seconds" }))
      const g = result.groups[0]!
      expect(g.status).toBe("succeeded")
      yield* TestClock.adjust("1 minute")
      const after = yield* group("web")
      expect(ids(after).some((id) => before.includes(id))).toBe(false)
      expect(after.instances.reduce((n, i) => n + i.weightedCapacity, 0)).toBeGreaterThanOrEqual(3)
      expect(sizes(after)).toEqual([1, 10, 3])
    }).pipe(Effect.provide(world)))

  it.effect("refuses a group with a warm pool before any change: its instances would bring back the old release", () =>
    Effect.gen(function*() {
      yield* webGroup({ warmPoolSize: 2 })
      const error = yield* Effect.flip(drive(runRollout()).pipe(Effect.flatten))
      expect(error._tag).toBe("WarmPoolPresent")
      expect(yield* mutatingCalls).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("a roll-back right after the scale-out also finds the instances AWS has not listed yet, and keeps every old one", () =>
    Effect.gen(function*() {
      yield* webGroup()
      const w = yield* FakeWorld
      const before = ids(yield* group("web"))
      const fiber = yield* Effect.fork(runRollout())
      for (let i = 0; i < 200; i++) {
        yield* TestClock.adjust("100 millis")
        if ((yield* w.calls).some((c) => c.operation === "UpdateAutoScalingGroup")) break
      }
      // Interrupted before AWS lists what the scale-out launched.
      yield* Fiber.interruptFork(fiber)
      yield* drive(Fiber.await(fiber))
      yield* TestClock.adjust("5 minutes")
      const after = yield* group("web")
      expect(ids(after).sort()).toEqual([...before].sort())
      expect(after.instances.every((i) => i.lifecycleState === "InService")).toBe(true)
      expect(sizes(after)).toEqual([2, 4, 2])
      expect(yield* w.healthyCount("web")).toBe(2)
    }).pipe(Effect.provide(world)))

  it.effect("succeeds where new instances land in zones a load balancer does not enable, as the old ones did", () =>
    Effect.gen(function*() {
      const w = yield* FakeWorld
      yield* w.addClassicLoadBalancer(CLB, { zones: ["eu-west-1a", "eu-west-1b"] })
      yield* w.addTargetGroup(TG, { zones: ["eu-west-1a", "eu-west-1b"] })
      yield* webGroup({ minSize: 3, maxSize: 6, desiredCapacity: 3, targetGroupArns: [TG] })
      expect(yield* w.healthyCount("web")).toBe(2)
      const before = ids(yield* group("web"))
      const result = yield* Effect.flatten(drive(runRollout(), { step: "5 seconds" }))
      expect(result.groups[0]!.status).toBe("succeeded")
      yield* TestClock.adjust("1 minute")
      const after = yield* group("web")
      expect(ids(after).some((id) => before.includes(id))).toBe(false)
      expect(yield* w.healthyCount("web")).toBe(2)
    }).pipe(Effect.provide(world)))

  it.effect("in waves of one, a load balancer never serves less than at the start, though some new instances land where it cannot route", () =>
    Effect.gen(function*() {
      const w = yield* FakeWorld
      yield* w.addClassicLoadBalancer(CLB, { zones: ["eu-west-1a", "eu-west-1b"] })
      yield* webGroup({ minSize: 3, maxSize: 6, desiredCapacity: 3 })
      const start = yield* w.healthyCount("web")
      expect(start).toBe(2)
      let lowest = start
      const result = yield* Effect.flatten(drive(runRollout({ maxSurge: units(1) }), {
        onStep: () => Effect.map(w.healthyCount("web"), (n) => void (lowest = Math.min(lowest, n)))
      }))
      expect(result.groups[0]!.status).toBe("succeeded")
      expect(lowest).toBe(start)
      yield* TestClock.adjust("1 minute")
      expect(yield* w.healthyCount("web")).toBe(2)
    }).pipe(Effect.provide(world)))

  /**
   * The two old instances serve from zones a and b; of the two new ones, AWS puts one in the empty zone c, which the
   * CLB (and, with `tg`, the target group) does not enable: the rollout rolls back, naming every one left short.
   */
  const shortInZoneC = (tg: boolean) =>
    Effect.gen(function*() {
      const w = yield* FakeWorld
      yield* w.addClassicLoadBalancer(CLB, { zones: ["eu-west-1a", "eu-west-1b"] })
      if (tg) yield* w.addTargetGroup(TG, { zones: ["eu-west-1a", "eu-west-1b"] })
      yield* webGroup({ minSize: 2, maxSize: 4, desiredCapacity: 2, ...(tg ? { targetGroupArns: [TG] } : {}) })
      expect((yield* group("web")).instances.map((i) => i.availabilityZone).sort()).toEqual(["eu-west-1a", "eu-west-1b"])
      const start = yield* w.healthyCount("web")
      let lowest = start
      const result = yield* Effect.flatten(drive(runRollout({ healthyTimeout: "300 seconds" }), {
        onStep: () => Effect.map(w.healthyCount("web"), (n) => void (lowest = Math.min(lowest, n)))
      }))
      const g = result.groups[0]!
      expect(g.status).toBe("rolled-back")
      expect(g.reason).toBe(`timed out after 300 s with 2 of 2 new healthy, but serving less than the old instances did at the start in ${tg ? `shop-elb, ${TG}` : "shop-elb"}`)
      expect(lowest).toBe(start)
      yield* TestClock.adjust("1 minute")
      expect(yield* w.healthyCount("web")).toBe(2)
    })

  it.effect("rolls back rather than leave a load balancer short, when a new instance lands in a zone it does not enable", () =>
    shortInZoneC(false).pipe(Effect.provide(world)))

  it.effect("the same behind a CLB and a target group: the reason names both", () =>
    shortInZoneC(true).pipe(Effect.provide(world)))

  it.effect("a scale-out someone makes while the rollout waits is kept when it succeeds, dropped when it rolls back", () =>
    Effect.gen(function*() {
      yield* webGroup({ maxSize: 6 })
      const w = yield* FakeWorld
      let scaled = false
      // Desired 4 → 5 once the scale-out is in: a policy adding one instance (new release) mid-rollout.
      const scaleOut = Effect.gen(function*() {
        const g = yield* group("web")
        if (scaled || g.desiredCapacity !== 4) return
        scaled = true
        yield* w.setSizes("web", { desiredCapacity: 5 })
      })
      const result = yield* Effect.flatten(drive(runRollout(), { onStep: () => scaleOut }))
      expect(scaled).toBe(true)
      expect(result.status).toBe("succeeded")
      yield* TestClock.adjust("2 minutes")
      const after = yield* group("web")
      expect(sizes(after)).toEqual([2, 6, 3])
      expect(after.instances.filter((i) => i.lifecycleState === "InService" && i.launchTemplate?.version === "2")).toHaveLength(3)
    }).pipe(Effect.provide(world)))

  it.effect("after a roll-back the sizes are the original ones, whatever was scaled meanwhile", () =>
    Effect.gen(function*() {
      yield* webGroup({ maxSize: 6 })
      const w = yield* FakeWorld
      yield* w.markNeverHealthy({ launchTemplateId: LT, version: "2" })
      const before = ids(yield* group("web"))
      let scaled = false
      const scaleOut = Effect.gen(function*() {
        if (scaled || (yield* group("web")).desiredCapacity !== 4) return
        scaled = true
        yield* w.setSizes("web", { desiredCapacity: 5 })
      })
      const result = yield* Effect.flatten(drive(runRollout({ healthyTimeout: "200 seconds" }), { onStep: () => scaleOut }))
      expect(result.status).toBe("rolled-back")
      yield* TestClock.adjust("2 minutes")
      const after = yield* group("web")
      expect(sizes(after)).toEqual([2, 6, 2])
      expect(ids(after).sort()).toEqual([...before].sort())
    }).pipe(Effect.provide(world)))
})
