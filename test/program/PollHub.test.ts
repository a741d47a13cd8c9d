import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import * as PollHub from "../../src/program/rollout/PollHub.js"
import { AutoScaling, type AutoScalingGroup } from "../../src/services/AutoScaling.js"
import { TransientAwsError } from "../../src/services/Errors.js"
import { LoadBalancing } from "../../src/services/LoadBalancing.js"

const groupNamed = (name: string): AutoScalingGroup => ({
  name,
  minSize: 1,
  maxSize: 2,
  desiredCapacity: 1,
  loadBalancerNames: [],
  targetGroupArns: [],
  instances: [],
  suspendedProcesses: [],
  tags: {},
  healthCheckType: "EC2"
})

/** DescribeAutoScalingGroups fails while `failing` says so; everything else is never called. */
const services = (failing: { value: boolean }) => {
  const unused = () => Effect.dieMessage("not used by the poll hub")
  return Effect.provideService(AutoScaling, {
    describeGroups: (names) =>
      failing.value
        ? Effect.fail(new TransientAwsError({ operation: "DescribeAutoScalingGroups", message: "internal error" }))
        : Effect.succeed(names.map(groupNamed)),
    suspendProcesses: unused,
    resumeProcesses: unused,
    updateSizes: unused,
    terminateInstance: unused,
    describeInstances: unused,
    setTags: unused,
    deleteTags: unused,
    instanceRefreshInProgress: unused
  })
}

const loadBalancing = Effect.provideService(LoadBalancing, {
  classicHealth: () => Effect.succeed([]),
  targetHealth: () => Effect.succeed([])
})

describe("shared poll rounds", () => {
  it.effect("a group that joins after a round failed never receives that failure, only rounds taken after it joined", () => {
    const failing = { value: true }
    return Effect.gen(function*() {
      const hub = yield* PollHub.make({ interval: "5 seconds" })
      const a = yield* Effect.fork(hub.next("a", 0))
      yield* TestClock.adjust("5 seconds")
      // The round that a waited for failed: a sees it.
      const aExit = yield* Fiber.await(a)
      expect(Exit.isFailure(aExit)).toBe(true)
      yield* hub.leave("a")

      failing.value = false
      const b = yield* Effect.fork(hub.next("b", 0))
      yield* TestClock.adjust("1 second")
      // Nothing was polled since b joined: it must still be waiting, not holding a's old failure.
      expect(Option.isNone(yield* Fiber.poll(b))).toBe(true)
      yield* TestClock.adjust("10 seconds")
      const round = yield* Fiber.join(b)
      expect([...round.groups.keys()]).toEqual(["b"])
    }).pipe(Effect.scoped, services(failing), loadBalancing)
  })

  it.effect("a poll loop that dies fails the group waiting on it, and one joining later, instead of leaving them waiting", () =>
    Effect.gen(function*() {
      const hub = yield* PollHub.make({ interval: "5 seconds", alarms: Effect.dieMessage("the alarm reader broke") })
      const a = yield* Effect.fork(hub.next("a", 0))
      yield* TestClock.adjust("5 seconds")
      const aExit = yield* Fiber.await(a)
      expect(Exit.isFailure(aExit) && Cause.isDie(aExit.cause)).toBe(true)
      const bExit = yield* Effect.exit(hub.next("b", 0))
      expect(Exit.isFailure(bExit) && Cause.isDie(bExit.cause)).toBe(true)
    }).pipe(Effect.scoped, services({ value: false }), loadBalancing))
})
