import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/TestClock"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld, type FaultKind } from "../../src/layers/fake/FakeWorld.js"
import { AutoScaling, type AutoScalingGroup } from "../../src/services/AutoScaling.js"
import type { AwsError } from "../../src/services/Errors.js"
import * as Retry from "../../src/services/Retry.js"

const once = Schedule.recurs(1)

/** One DescribeAutoScalingGroups after `count` faults of `kind`: its outcome and how many attempts it made. */
const describeAfter = (
  count: number,
  kind: FaultKind,
  wrap: (call: Effect.Effect<ReadonlyArray<AutoScalingGroup>, AwsError, AutoScaling>) => typeof call = (call) => call
) =>
  Effect.gen(function*() {
    const world = yield* FakeWorld
    yield* world.addGroup({ name: "web", minSize: 1, maxSize: 2, desiredCapacity: 1, launchConfigurationName: "lc" })
    yield* world.failNext("DescribeAutoScalingGroups", count, kind)
    const fiber = yield* Effect.fork(Effect.either(wrap(Effect.flatMap(AutoScaling, (a) => a.describeGroups(["web"])))))
    yield* TestClock.adjust("10 minutes")
    const outcome = yield* Fiber.join(fiber)
    const attempts = (yield* world.calls).filter((c) => c.operation === "DescribeAutoScalingGroups").length
    return { succeeded: outcome._tag === "Right", attempts }
  })

describe("the retry policy", () => {
  it.effect("by default retries three throttles and succeeds on the fourth attempt", () =>
    Effect.gen(function*() {
      expect(yield* describeAfter(3, "throttle")).toEqual({ succeeded: true, attempts: 4 })
    }).pipe(Effect.provide(FakeAws.layer())))

  it.effect("takes effect when provided inside the layers, to the program that makes the calls", () =>
    Effect.gen(function*() {
      const result = yield* describeAfter(3, "throttle", Effect.provideService(Retry.RetryPolicy, { schedule: once }))
      expect(result).toEqual({ succeeded: false, attempts: 2 })
    }).pipe(Effect.provide(FakeAws.layer())))

  it.effect("takes effect as a layer beside the world's, or around it", () =>
    Effect.gen(function*() {
      const beside = yield* describeAfter(3, "throttle").pipe(
        Effect.provide(Layer.merge(FakeAws.layer(), Retry.layer({ schedule: once })))
      )
      const around = yield* describeAfter(3, "throttle").pipe(
        Effect.provide(FakeAws.layer()),
        Effect.provide(Retry.layer({ schedule: once }))
      )
      expect([beside, around]).toEqual([{ succeeded: false, attempts: 2 }, { succeeded: false, attempts: 2 }])
    }))

  it.effect("provided to the layers when they are built, applies to their calls unless one nearer the call does", () =>
    Effect.gen(function*() {
      const world = FakeAws.layer().pipe(Layer.provide(Retry.layer({ schedule: once })))
      const built = yield* describeAfter(3, "throttle").pipe(Effect.provide(world))
      const nearer = yield* describeAfter(3, "throttle", Effect.provideService(Retry.RetryPolicy, { schedule: Schedule.recurs(5) }))
        .pipe(Effect.provide(world))
      expect([built, nearer]).toEqual([{ succeeded: false, attempts: 2 }, { succeeded: true, attempts: 4 }])
    }))

  it.effect("sees the error it retries: a policy may retry throttling and give up on a 5xx at once", () =>
    Effect.gen(function*() {
      const policy = Retry.layer({
        schedule: Schedule.recurs(5).pipe(Schedule.whileInput((e: AwsError) => e._tag === "Throttled"))
      })
      const throttled = yield* describeAfter(3, "throttle").pipe(Effect.provide(FakeAws.layer()), Effect.provide(policy))
      const transient = yield* describeAfter(1, "transient").pipe(Effect.provide(FakeAws.layer()), Effect.provide(policy))
      expect(throttled).toEqual({ succeeded: true, attempts: 4 })
      expect(transient).toEqual({ succeeded: false, attempts: 1 })
    }))

  it.effect("bounds each attempt by the call timeout in scope where the call runs", () =>
    Effect.gen(function*() {
      const policy = { schedule: once, callTimeout: "1 second" } as const
      const world = yield* FakeWorld
      yield* world.addGroup({ name: "web", minSize: 1, maxSize: 2, desiredCapacity: 1, launchConfigurationName: "lc" })
      yield* world.failNext("DescribeAutoScalingGroups", 1, "hang")
      const call = Effect.flatMap(AutoScaling, (a) => a.describeGroups(["web"]))
      const fiber = yield* Effect.fork(Effect.provideService(call, Retry.RetryPolicy, policy))
      yield* TestClock.adjust("1 second")
      const groups = yield* Fiber.join(fiber)
      expect(groups.map((g) => g.name)).toEqual(["web"])
      expect((yield* world.calls).map((c) => [c.at, c.fault ?? "answered"])).toEqual([[0, "hang"], [1000, "answered"]])
    }).pipe(Effect.provide(FakeAws.layer())))
})
