import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import * as PollHub from "../../src/program/rollout/PollHub.js"
import { CLB, LT, TG } from "../support/World.js"

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })

/** "web" behind a CLB and "api" behind a target group, two instances each, nothing moving. */
const twoGroups = Effect.gen(function*() {
  const w = yield* FakeWorld
  yield* w.addGroup({ name: "web", minSize: 2, maxSize: 4, desiredCapacity: 2, launchTemplate: { id: LT, version: "1" }, loadBalancerNames: [CLB] })
  yield* w.addGroup({ name: "api", minSize: 2, maxSize: 4, desiredCapacity: 2, launchConfigurationName: "api-v1", targetGroupArns: [TG] })
  return w
})

/** When each DescribeAutoScalingGroups was made, relative to the first. */
const describeTimes = Effect.map(Effect.flatMap(FakeWorld, (w) => w.calls), (calls) => {
  const at = calls.filter((c) => c.operation === "DescribeAutoScalingGroups").map((c) => c.at)
  return at.map((t) => t - (at[0] ?? 0))
})
const gaps = (times: ReadonlyArray<number>) => times.slice(1).map((t, k) => t - times[k]!)
const count = (op: string) => Effect.map(Effect.flatMap(FakeWorld, (w) => w.calls), (calls) => calls.filter((c) => c.operation === op).length)

/** A group that waits round after round, as the rollout's wait does. */
const waitForever = (hub: PollHub.PollHub, group: string) =>
  Effect.gen(function*() {
    let after = 0
    for (;;) after = (yield* hub.next(group, after)).n
  })

describe("the poll hub", () => {
  it.scoped("serves every waiting group from one round: one DescribeAutoScalingGroups, one read per load balancer", () =>
    Effect.gen(function*() {
      yield* twoGroups
      const hub = yield* PollHub.make({ interval: "5 seconds" })
      const both = yield* Effect.fork(Effect.all([hub.next("web", 0), hub.next("api", 0)], { concurrency: "unbounded" }))
      yield* TestClock.adjust("5 seconds")
      const [web, api] = yield* Fiber.join(both)
      expect(web).toBe(api)
      expect([...web.groups.keys()].sort()).toEqual(["api", "web"])
      expect(web.health.classic[CLB]?.map((h) => h.state)).toEqual(["InService", "InService"])
      expect(web.health.targetGroups[TG]?.map((h) => h.state)).toEqual(["healthy", "healthy"])
      expect([yield* count("DescribeAutoScalingGroups"), yield* count("DescribeInstanceHealth"), yield* count("DescribeTargetHealth")])
        .toEqual([1, 1, 1])
      // A group asking again for a round it has not seen yet gets the latest one at once, without a call.
      expect(yield* hub.next("web", 0)).toBe(web)
      expect(yield* count("DescribeAutoScalingGroups")).toBe(1)
    }).pipe(Effect.provide(world)))

  it.scoped("backs off by 1.25 per round in which nothing changed, up to twice the interval, and comes back at a change", () =>
    Effect.gen(function*() {
      const w = yield* twoGroups
      const hub = yield* PollHub.make({ interval: "5 seconds" })
      yield* Effect.fork(waitForever(hub, "web"))
      for (let i = 0; i < 50; i++) yield* TestClock.adjust("1 second")
      // Rounds at 5, 10, 16.25, 24.06, 33.83 and 43.83 s after the group joined.
      expect(gaps(yield* describeTimes)).toEqual([5_000, 6_250, 7_812.5, 9_765.625, 10_000])
      // A health change alone (the CLB fails an instance) counts as a change.
      const snap = yield* w.snapshot
      yield* w.makeUnhealthy(snap.groups.find((g) => g.name === "web")!.instances[0]!.instanceId)
      const before = (yield* describeTimes).length
      for (let i = 0; i < 30; i++) yield* TestClock.adjust("1 second")
      const after = gaps(yield* describeTimes).slice(before - 1)
      expect(after[0]).toBeLessThanOrEqual(10_000)
      expect(after[1]).toBe(5_000)
      expect(after[2]).toBe(6_250)
    }).pipe(Effect.provide(world)))

  it.scoped("a change in the group alone (a new Pending instance) brings the interval back too", () =>
    Effect.gen(function*() {
      const w = yield* twoGroups
      const hub = yield* PollHub.make({ interval: "5 seconds" })
      yield* Effect.fork(waitForever(hub, "api"))
      for (let i = 0; i < 50; i++) yield* TestClock.adjust("1 second")
      const before = (yield* describeTimes).length
      yield* w.setSizes("api", { desiredCapacity: 3 })
      for (let i = 0; i < 25; i++) yield* TestClock.adjust("1 second")
      const after = gaps(yield* describeTimes).slice(before - 1)
      expect(after[1]).toBe(5_000)
      expect(after[2]).toBe(6_250)
    }).pipe(Effect.provide(world)))

  it.scoped("a round that fails after the retries fails every waiting group, and the next round serves them again", () =>
    Effect.gen(function*() {
      const w = yield* twoGroups
      const hub = yield* PollHub.make({ interval: "5 seconds" })
      yield* w.failNext("DescribeAutoScalingGroups", 9, "transient")
      const both = yield* Effect.fork(Effect.all([Effect.flip(hub.next("web", 0)), Effect.flip(hub.next("api", 0))], { concurrency: "unbounded" }))
      for (let i = 0; i < 300 && (yield* Fiber.poll(both))._tag === "None"; i++) yield* TestClock.adjust("1 second")
      const [web, api] = yield* Fiber.join(both)
      expect(web).toMatchObject({ _tag: "TransientAwsError", operation: "DescribeAutoScalingGroups" })
      expect(api).toBe(web)
      const again = yield* Effect.fork(hub.next("web", 1))
      for (let i = 0; i < 30 && (yield* Fiber.poll(again))._tag === "None"; i++) yield* TestClock.adjust("1 second")
      const round = yield* Fiber.join(again)
      expect(round.n).toBe(2)
      expect(round.groups.has("web")).toBe(true)
    }).pipe(Effect.provide(world)))

  it.scoped("polls nothing once every group has left", () =>
    Effect.gen(function*() {
      yield* twoGroups
      const hub = yield* PollHub.make({ interval: "5 seconds" })
      const waiting = yield* Effect.fork(waitForever(hub, "web"))
      for (let i = 0; i < 20; i++) yield* TestClock.adjust("1 second")
      yield* Fiber.interrupt(waiting)
      yield* hub.leave("web")
      const before = yield* count("DescribeAutoScalingGroups")
      expect(before).toBeGreaterThan(0)
      for (let i = 0; i < 60; i++) yield* TestClock.adjust("1 second")
      expect(yield* count("DescribeAutoScalingGroups")).toBe(before)
      // The next group to join is polled within one interval.
      const next = yield* Effect.fork(hub.next("api", 0))
      yield* TestClock.adjust("5 seconds")
      expect((yield* Fiber.join(next)).groups.has("api")).toBe(true)
    }).pipe(Effect.provide(world)))
})
