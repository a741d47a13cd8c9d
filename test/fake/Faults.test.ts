import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/TestClock"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { AutoScaling } from "../../src/services/AutoScaling.js"
import { RetryPolicy } from "../../src/services/Retry.js"
import { addWeb, group, ids, states, world } from "./Support.js"

/** No retry at all: the test sees each answer as the world gave it. */
const noRetries = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.provideService(effect, RetryPolicy, { schedule: Schedule.stop, activitySchedule: Schedule.stop })

const conflicting = FakeAws.layer({
  launchDelay: "60 seconds",
  healthDelay: "30 seconds",
  drainDelay: "10 seconds",
  listingDelay: 0,
  scalingActivityConflicts: true
})

const callsOf = (operation: string) =>
  Effect.map(Effect.flatMap(FakeWorld, (w) => w.calls), (calls) => calls.filter((c) => c.operation === operation))

describe("fake world: the faults AWS really answers with", () => {
  it.effect("scaling-activity answers ScalingActivityInProgress with AWS's words and changes nothing", () =>
    Effect.gen(function*() {
      yield* addWeb()
      yield* (yield* FakeWorld).failNext("UpdateAutoScalingGroup", 1, "scaling-activity")
      const error = yield* Effect.flip((yield* AutoScaling).updateSizes("web", { desiredCapacity: 3 }))
      expect(error._tag).toBe("ScalingActivityInProgress")
      expect(error.message).toMatch(/^Scaling activity [0-9a-f-]{36} is in progress and blocks this action$/)
      expect((yield* group()).desiredCapacity).toBe(2)
      expect((yield* callsOf("UpdateAutoScalingGroup")).map((c) => [c.failed, c.fault])).toEqual([[true, "scaling-activity"]])
    }).pipe(Effect.provide(world), noRetries))

  it.effect("resource-contention answers ResourceContention and changes nothing", () =>
    Effect.gen(function*() {
      yield* addWeb()
      const [victim] = ids(yield* group())
      yield* (yield* FakeWorld).failNext("TerminateInstanceInAutoScalingGroup", 1, "resource-contention")
      const error = yield* Effect.flip((yield* AutoScaling).terminateInstance(victim ?? "", false))
      expect(error._tag).toBe("ResourceContention")
      expect(states(yield* group())).toEqual(["InService", "InService"])
    }).pipe(Effect.provide(world), noRetries))

  it.effect("hang never answers, changes nothing, and ends when the caller gives up", () =>
    Effect.gen(function*() {
      yield* addWeb()
      yield* (yield* FakeWorld).failNext("UpdateAutoScalingGroup", 1, "hang")
      const fiber = yield* Effect.fork((yield* AutoScaling).updateSizes("web", { desiredCapacity: 3 }))
      yield* TestClock.adjust("20 seconds")
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      expect((yield* group()).desiredCapacity).toBe(2)
      expect((yield* callsOf("UpdateAutoScalingGroup")).map((c) => [c.at, c.failed, c.fault])).toEqual([[0, true, "hang"]])
      yield* Fiber.interrupt(fiber)
      expect((yield* group()).desiredCapacity).toBe(2)
    }).pipe(Effect.provide(world), noRetries))

  it.effect("ambiguous takes effect in the world, then answers a 5xx", () =>
    Effect.gen(function*() {
      yield* addWeb({ desiredCapacity: 3 })
      const [victim] = ids(yield* group())
      yield* (yield* FakeWorld).failNext("TerminateInstanceInAutoScalingGroup", 1, "ambiguous")
      const error = yield* Effect.flip((yield* AutoScaling).terminateInstance(victim ?? "", true))
      expect(error._tag).toBe("TransientAwsError")
      const g = yield* group()
      expect(g.desiredCapacity).toBe(2)
      expect(g.instances.find((i) => i.instanceId === victim)?.lifecycleState).toBe("Terminating")
      expect((yield* callsOf("TerminateInstanceInAutoScalingGroup")).map((c) => [c.failed, c.fault])).toEqual([[true, "ambiguous"]])
    }).pipe(Effect.provide(world), noRetries))

  it.effect("describeInstances reports each instance's state and leaves out those no longer managed", () =>
    Effect.gen(function*() {
      yield* addWeb({ desiredCapacity: 3 })
      const asg = yield* AutoScaling
      const [a, b, c] = ids(yield* group())
      yield* asg.terminateInstance(a ?? "", true)
      expect(yield* asg.describeInstances([a ?? "", b ?? "", "i-0ffffffffffffffff"])).toEqual([
        { instanceId: a, group: "web", lifecycleState: "Terminating" },
        { instanceId: b, group: "web", lifecycleState: "InService" }
      ])
      yield* TestClock.adjust("10 seconds")
      expect((yield* asg.describeInstances([a ?? "", c ?? ""])).map((i) => i.instanceId)).toEqual([c])
    }).pipe(Effect.provide(world)))
})

describe("fake world: scalingActivityConflicts", () => {
  it.effect("a size change is refused while instances launch, and accepted once they are InService", () =>
    Effect.gen(function*() {
      yield* addWeb()
      const asg = yield* AutoScaling
      yield* asg.updateSizes("web", { desiredCapacity: 3 })
      expect(states(yield* group())).toEqual(["InService", "InService", "Pending"])
      const refused = yield* Effect.flip(asg.updateSizes("web", { desiredCapacity: 4 }))
      expect(refused._tag).toBe("ScalingActivityInProgress")
      expect((yield* group()).desiredCapacity).toBe(3)
      yield* TestClock.adjust("60 seconds")
      yield* asg.updateSizes("web", { desiredCapacity: 4 })
      expect((yield* group()).desiredCapacity).toBe(4)
    }).pipe(Effect.provide(conflicting), noRetries))

  it.effect("a terminate is refused while another instance of the group drains, also for the draining one", () =>
    Effect.gen(function*() {
      yield* addWeb({ desiredCapacity: 3 })
      const asg = yield* AutoScaling
      const [a, b] = ids(yield* group())
      yield* asg.terminateInstance(a ?? "", true)
      expect((yield* Effect.flip(asg.terminateInstance(b ?? "", true)))._tag).toBe("ScalingActivityInProgress")
      expect((yield* Effect.flip(asg.terminateInstance(a ?? "", true)))._tag).toBe("ScalingActivityInProgress")
      expect((yield* group()).desiredCapacity).toBe(2)
      yield* TestClock.adjust("10 seconds")
      yield* asg.terminateInstance(b ?? "", false)
      expect((yield* group()).instances.find((i) => i.instanceId === b)?.lifecycleState).toBe("Terminating")
    }).pipe(Effect.provide(conflicting), noRetries))

  it.effect("reads and tag changes are never refused by a running activity", () =>
    Effect.gen(function*() {
      yield* addWeb()
      const asg = yield* AutoScaling
      yield* asg.updateSizes("web", { desiredCapacity: 3 })
      yield* asg.setTags("web", { owner: "team" })
      yield* asg.suspendProcesses("web", ["AZRebalance"])
      expect((yield* asg.describeGroups(["web"]))[0]?.tags).toEqual({ owner: "team" })
    }).pipe(Effect.provide(conflicting), noRetries))
})
