import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { AutoScaling } from "../../src/services/AutoScaling.js"
import { LoadBalancing } from "../../src/services/LoadBalancing.js"
import { addWeb, CLB, group, ids, LT, TG, world } from "./Support.js"

const stateOf = (health: ReadonlyArray<{ readonly instanceId: string; readonly state: string }>, id: string | undefined) =>
  health.find((h) => h.instanceId === id)?.state

describe("fake load balancers and health", () => {
  it.effect("instances of a never-healthy version stay out of service and unhealthy", () =>
    Effect.gen(function*() {
      yield* addWeb()
      const w = yield* FakeWorld
      const lb = yield* LoadBalancing
      yield* w.markNeverHealthy({ launchTemplateId: LT, version: "2" })
      yield* w.setLaunchTemplateVersion("web", "2")
      yield* (yield* AutoScaling).updateSizes("web", { desiredCapacity: 4 })
      yield* TestClock.adjust("60 seconds")
      const fresh = (yield* group()).instances.filter((i) => i.launchTemplate?.version === "2")
      expect(fresh.map((i) => i.lifecycleState)).toEqual(["InService", "InService"])
      expect(stateOf(yield* lb.targetHealth(TG), fresh[0]?.instanceId)).toBe("initial")

      yield* TestClock.adjust("10 minutes")
      expect(stateOf(yield* lb.targetHealth(TG), fresh[0]?.instanceId)).toBe("unhealthy")
      expect(stateOf(yield* lb.classicHealth(CLB), fresh[1]?.instanceId)).toBe("OutOfService")
      expect(yield* w.healthyCount("web")).toBe(2)
      // An EC2 health check does not look at the load balancers: the group keeps them.
      expect((yield* group()).instances.map((i) => i.healthStatus)).toEqual(["Healthy", "Healthy", "Healthy", "Healthy"])
    }).pipe(Effect.provide(world)))

  it.effect("a never-healthy launch configuration or single instance is never healthy either", () =>
    Effect.gen(function*() {
      yield* addWeb({ launchTemplate: undefined, launchConfigurationName: "web-v1" } as never)
      const w = yield* FakeWorld
      const [one] = ids(yield* group())
      yield* w.markNeverHealthy({ instanceId: one ?? "" })
      yield* w.markNeverHealthy({ launchConfigurationName: "web-v2" })
      yield* w.setLaunchConfiguration("web", "web-v2")
      yield* (yield* AutoScaling).updateSizes("web", { desiredCapacity: 3 })
      yield* TestClock.adjust("5 minutes")
      expect(stateOf(yield* (yield* LoadBalancing).classicHealth(CLB), one)).toBe("OutOfService")
      expect(yield* w.healthyCount("web")).toBe(1)
    }).pipe(Effect.provide(world)))

  it.effect("an ELB-checked group marks a failing instance Unhealthy and replaces it", () =>
    Effect.gen(function*() {
      yield* addWeb({ healthCheckType: "ELB" })
      const w = yield* FakeWorld
      const [sick] = ids(yield* group())
      yield* w.makeUnhealthy(sick ?? "", "45 seconds")
      yield* TestClock.adjust("44 seconds")
      expect(stateOf(yield* (yield* LoadBalancing).targetHealth(TG), sick)).toBe("healthy")
      expect(yield* w.healthyCount("web")).toBe(2)
      yield* TestClock.adjust("1 second")
      const g = yield* group()
      expect(g.instances.map((i) => [i.instanceId === sick, i.lifecycleState, i.healthStatus])).toEqual([
        [true, "Terminating", "Unhealthy"],
        [false, "InService", "Healthy"],
        [false, "Pending", "Healthy"]
      ])
      yield* TestClock.adjust("90 seconds")
      expect(ids(yield* group())).not.toContain(sick)
      expect(yield* w.healthyCount("web")).toBe(2)
    }).pipe(Effect.provide(world)))

  it.effect("with ReplaceUnhealthy suspended the Unhealthy instance stays, out of service", () =>
    Effect.gen(function*() {
      yield* addWeb({ healthCheckType: "ELB", suspendedProcesses: ["ReplaceUnhealthy"] })
      const w = yield* FakeWorld
      const lb = yield* LoadBalancing
      const [sick] = ids(yield* group())
      yield* w.makeUnhealthy(sick ?? "", "1 minute")
      yield* TestClock.adjust("5 minutes")
      const g = yield* group()
      expect(g.instances.map((i) => [i.lifecycleState, i.healthStatus])).toEqual([
        ["InService", "Unhealthy"],
        ["InService", "Healthy"]
      ])
      expect(stateOf(yield* lb.classicHealth(CLB), sick)).toBe("OutOfService")
      expect(stateOf(yield* lb.targetHealth(TG), sick)).toBe("unhealthy")
      expect(yield* w.healthyCount("web")).toBe(1)
    }).pipe(Effect.provide(world)))

  it.effect("DescribeInstanceHealth with ids: unregistered running ones OutOfService, terminated ones absent", () =>
    Effect.gen(function*() {
      yield* addWeb()
      const asg = yield* AutoScaling
      const lb = yield* LoadBalancing
      const [victim, kept] = ids(yield* group())
      yield* asg.updateSizes("web", { desiredCapacity: 3 })
      const pending = ids(yield* group())[2] ?? ""
      yield* asg.terminateInstance(victim ?? "", true)
      yield* TestClock.adjust("10 seconds")
      const health = yield* lb.classicHealth(CLB, [kept ?? "", pending, victim ?? ""])
      expect(health).toEqual([
        { instanceId: kept, state: "InService" },
        { instanceId: pending, state: "OutOfService", reason: "Instance is not currently registered with the LoadBalancer." }
      ])
      const unknown = yield* Effect.flip(lb.classicHealth(CLB, ["i-0000000000000beef"]))
      expect(unknown._tag).toBe("AwsValidationError")
    }).pipe(Effect.provide(world)))

  it.effect("an unknown load balancer or target group is a ValidationError", () =>
    Effect.gen(function*() {
      const lb = yield* LoadBalancing
      expect((yield* Effect.flip(lb.classicHealth("nope"))).message).toBe("There is no ACTIVE Load Balancer named 'nope'")
      expect((yield* Effect.flip(lb.targetHealth("arn:nope")))._tag).toBe("AwsValidationError")
      yield* (yield* FakeWorld).addClassicLoadBalancer("empty")
      expect(yield* lb.classicHealth("empty")).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("instances launched while AddToLoadBalancer is suspended never join the load balancers", () =>
    Effect.gen(function*() {
      yield* addWeb({ suspendedProcesses: ["AddToLoadBalancer"] })
      const asg = yield* AutoScaling
      yield* asg.updateSizes("web", { desiredCapacity: 3 })
      yield* TestClock.adjust("2 minutes")
      yield* asg.resumeProcesses("web", ["AddToLoadBalancer"])
      yield* TestClock.adjust("2 minutes")
      expect((yield* (yield* LoadBalancing).targetHealth(TG)).length).toBe(2)
      expect(yield* (yield* FakeWorld).healthyCount("web")).toBe(2)
    }).pipe(Effect.provide(world)))
})
