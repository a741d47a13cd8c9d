import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { AutoScaling } from "../../src/services/AutoScaling.js"
import { LoadBalancing } from "../../src/services/LoadBalancing.js"
import * as ThrottleGate from "../../src/services/ThrottleGate.js"

/** Throttles DescribeAutoScalingGroups, then 10 ms later starts an unrelated DescribeInstanceHealth. */
const scenario = (gate: "none" | "scoped" | "layer") =>
  Effect.gen(function*() {
    const w = yield* FakeWorld
    yield* w.addClassicLoadBalancer("elb")
    yield* w.addGroup({ name: "web", minSize: 1, maxSize: 2, desiredCapacity: 1, launchConfigurationName: "lc", loadBalancerNames: ["elb"] })
    yield* w.failNext("DescribeAutoScalingGroups", 2, "throttle")
    const asg = yield* AutoScaling
    const lb = yield* LoadBalancing
    const both = Effect.gen(function*() {
      const groups = yield* Effect.fork(asg.describeGroups(["web"]))
      yield* Effect.sleep("10 millis")
      yield* lb.classicHealth("elb")
      yield* Fiber.join(groups)
    })
    const gated = gate === "none" ? both : gate === "scoped" ? ThrottleGate.withThrottleGate(both) : both
    const fiber = yield* Effect.fork(gated)
    for (let i = 0; i < 300; i++) yield* TestClock.adjust("10 millis")
    yield* Fiber.join(fiber)
    const calls = yield* w.calls
    const start = calls[0]!.at
    return calls.find((c) => c.operation === "DescribeInstanceHealth")!.at - start
  }).pipe(
    Effect.provide(gate === "layer" ? Layer.merge(FakeAws.layer(), ThrottleGate.layer({ initialMillis: 400 })) : FakeAws.layer())
  )

describe("the run-wide throttle gate", () => {
  it.effect("makes every call site wait after AWS throttled one of them", () =>
    Effect.gen(function*() {
      expect(yield* scenario("none")).toBe(10)
      expect(yield* scenario("scoped")).toBeGreaterThanOrEqual(250)
    }))

  it.effect("gates every call as a layer provided beside the services', with its own settings", () =>
    Effect.gen(function*() {
      expect(yield* scenario("layer")).toBeGreaterThanOrEqual(400)
    }))
})
