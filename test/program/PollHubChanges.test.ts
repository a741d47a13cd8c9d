import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import * as PollHub from "../../src/program/rollout/PollHub.js"
import type { AlarmState } from "../../src/services/Alarms.js"
import { AutoScaling, type AsgInstance, type AutoScalingGroup } from "../../src/services/AutoScaling.js"
import { TransientAwsError } from "../../src/services/Errors.js"
import { type InstanceHealth, LoadBalancing } from "../../src/services/LoadBalancing.js"

/** What the scripted services answer, changed by the tests between rounds. */
interface Scene {
  instances: ReadonlyArray<AsgInstance>
  desired: number
  health: ReadonlyArray<InstanceHealth>
  targets: ReadonlyArray<InstanceHealth>
  alarms: ReadonlyArray<AlarmState>
  /** How long each DescribeInstanceHealth takes (TestClock ms). */
  healthTakes: number
  /** The group's classic load balancers: each answers with `health`. */
  classicNames: ReadonlyArray<string>
  /** The group's target groups: each answers with `targets`. */
  targetArns: ReadonlyArray<string>
  /** How long DescribeAutoScalingGroups takes, and whether it then fails. */
  describeTakes: number
  describeFails: boolean
  /** When each DescribeAutoScalingGroups began (TestClock ms). */
  readonly describes: Array<number>
}

const instance = (instanceId: string, lifecycleState = "InService", healthStatus = "Healthy"): AsgInstance => ({
  instanceId,
  lifecycleState,
  healthStatus,
  availabilityZone: "eu-west-1a",
  protectedFromScaleIn: false,
  weightedCapacity: 1
})

const groupNamed = (scene: Scene) => (name: string): AutoScalingGroup => ({
  name,
  minSize: 1,
  maxSize: 4,
  desiredCapacity: scene.desired,
  loadBalancerNames: scene.classicNames,
  targetGroupArns: scene.targetArns,
  instances: scene.instances,
  suspendedProcesses: [],
  tags: {},
  healthCheckType: "ELB"
})

const newScene = (): Scene => ({
  instances: [instance("i-1"), instance("i-2")],
  desired: 2,
  health: [{ instanceId: "i-1", state: "InService" }, { instanceId: "i-2", state: "InService" }],
  targets: [{ instanceId: "i-1", state: "healthy" }, { instanceId: "i-2", state: "healthy" }],
  alarms: [],
  classicNames: ["shop-elb"],
  targetArns: ["shop-tg"],
  healthTakes: 0,
  describeTakes: 0,
  describeFails: false,
  describes: []
})

/** DescribeAutoScalingGroups, the CLB's and the target group's health from the scene; every other call dies. */
const scripted = (scene: Scene) => <A, E, R>(effect: Effect.Effect<A, E, R>) => {
  const unused = () => Effect.dieMessage("not used by the poll hub")
  return effect.pipe(
    Effect.provideService(AutoScaling, {
      describeGroups: (names) =>
        Effect.gen(function*() {
          scene.describes.push(yield* Clock.currentTimeMillis)
          if (scene.describeTakes > 0) yield* Effect.sleep(scene.describeTakes)
          if (scene.describeFails) return yield* Effect.fail(new TransientAwsError({ operation: "DescribeAutoScalingGroups", message: "internal error" }))
          return names.map(groupNamed(scene))
        }),
      suspendProcesses: unused,
      resumeProcesses: unused,
      updateSizes: unused,
      terminateInstance: unused,
      describeInstances: unused,
      setTags: unused,
      deleteTags: unused,
      instanceRefreshInProgress: unused
    }),
    Effect.provideService(LoadBalancing, {
      classicHealth: () => Effect.zipRight(Effect.sleep(scene.healthTakes), Effect.sync(() => scene.health)),
      targetHealth: () => Effect.zipRight(Effect.sleep(scene.healthTakes), Effect.sync(() => scene.targets))
    })
  )
}

/** A group that waits round after round, as the rollout's wait does. */
const waitForever = (hub: PollHub.PollHub, group: string) =>
  Effect.gen(function*() {
    let after = 0
    for (;;) after = (yield* hub.next(group, after)).n
  })

const gaps = (times: ReadonlyArray<number>) => times.slice(1).map((t, k) => t - times[k]!)

/** Lets the hub back off to its longest interval (10 s for 5 s), then applies `change`: the gaps after it. */
const gapsAfter = (scene: Scene, change: () => void, settings: Partial<PollHub.PollSettings> = {}) =>
  Effect.gen(function*() {
    const hub = yield* PollHub.make({ interval: "5 seconds", ...settings })
    yield* Effect.fork(waitForever(hub, "web"))
    yield* TestClock.adjust("50 seconds")
    expect(gaps(scene.describes).at(-1)).toBe(10_000)
    const before = scene.describes.length
    change()
    yield* TestClock.adjust("30 seconds")
    return gaps(scene.describes.slice(before - 1))
  })

describe("a poll round counts as a change", () => {
  it.effect("when an instance only changes its lifecycle state: the interval comes back", () => {
    const scene = newScene()
    return gapsAfter(scene, () => (scene.instances = [instance("i-1"), instance("i-2", "Terminating")])).pipe(
      Effect.map((after) => expect(after.slice(0, 3)).toEqual([10_000, 5_000, 6_250])),
      Effect.scoped,
      scripted(scene)
    )
  })

  it.effect("when an instance only changes its health status: the interval comes back", () => {
    const scene = newScene()
    return gapsAfter(scene, () => (scene.instances = [instance("i-1"), instance("i-2", "InService", "Unhealthy")])).pipe(
      Effect.map((after) => expect(after.slice(0, 3)).toEqual([10_000, 5_000, 6_250])),
      Effect.scoped,
      scripted(scene)
    )
  })

  it.effect("when a load balancer only gives another reason for an instance out of service: the interval comes back", () => {
    const scene = newScene()
    scene.health = [{ instanceId: "i-1", state: "InService" }, { instanceId: "i-2", state: "OutOfService", reason: "Instance registration is still in progress." }]
    return gapsAfter(scene, () => (scene.health = [scene.health[0]!, { ...scene.health[1]!, reason: "Instance has failed at least the UnhealthyThreshold number of health checks consecutively." }])).pipe(
      Effect.map((after) => expect(after.slice(0, 3)).toEqual([10_000, 5_000, 6_250])),
      Effect.scoped,
      scripted(scene)
    )
  })

  /** Each change of the scene alone, seen by the round after it: the interval comes back. */
  const comesBack = (change: (scene: Scene) => void, setup: (scene: Scene) => void = () => {}) => {
    const scene = newScene()
    setup(scene)
    return gapsAfter(scene, () => change(scene)).pipe(
      Effect.map((after) => expect(after.slice(0, 3)).toEqual([10_000, 5_000, 6_250])),
      Effect.scoped,
      scripted(scene)
    )
  }

  it.effect("when desired capacity changes before any instance is listed", () => comesBack((scene) => (scene.desired = 3)))

  it.effect("when the group lists one instance more, desired unchanged", () =>
    comesBack((scene) => (scene.instances = [...scene.instances, instance("i-3", "Pending")])))

  it.effect("when one instance is replaced by another, the counts unchanged", () =>
    comesBack((scene) => {
      scene.instances = [instance("i-1"), instance("i-3")]
      scene.health = [scene.health[0]!, { instanceId: "i-3", state: "InService" }]
      scene.targets = [scene.targets[0]!, { instanceId: "i-3", state: "healthy" }]
    }))

  it.effect("when one instance is replaced by another in a group with no load balancer to tell", () =>
    comesBack((scene) => (scene.instances = [instance("i-1"), instance("i-3")]), (scene) => {
      scene.classicNames = []
      scene.targetArns = []
    }))

  it.effect("when a load balancer lists one instance more", () =>
    comesBack((scene) => (scene.health = [...scene.health, { instanceId: "i-3", state: "OutOfService" }])))

  it.effect("when a load balancer lists another instance in place of one", () =>
    comesBack((scene) => (scene.health = [scene.health[0]!, { instanceId: "i-3", state: "InService" }])))

  it.effect("when the group gains a load balancer that lists the same instances", () =>
    comesBack((scene) => (scene.classicNames = ["shop-elb", "shop-elb-2"])))

  it.effect("when only a target group's health changes", () =>
    comesBack((scene) => (scene.targets = [scene.targets[0]!, { instanceId: "i-2", state: "draining" }])))

  it.effect("when a watched alarm changes state: the interval comes back", () => {
    const scene = newScene()
    scene.alarms = [{ name: "web-5xx", state: "OK", reason: "fine" }, { name: "web-latency", state: "OK", reason: "fine" }]
    return gapsAfter(scene, () => (scene.alarms = [scene.alarms[0]!, { name: "web-latency", state: "ALARM", reason: "Threshold Crossed" }]), {
      alarms: Effect.sync(() => scene.alarms)
    }).pipe(
      Effect.map((after) => expect(after.slice(0, 3)).toEqual([10_000, 5_000, 6_250])),
      Effect.scoped,
      scripted(scene)
    )
  })

  it.effect("when a watched alarm is gone from DescribeAlarms (deleted meanwhile): the interval comes back", () => {
    const scene = newScene()
    scene.alarms = [{ name: "web-5xx", state: "OK", reason: "fine" }, { name: "web-latency", state: "OK", reason: "fine" }]
    return gapsAfter(scene, () => (scene.alarms = [scene.alarms[0]!]), { alarms: Effect.sync(() => scene.alarms) }).pipe(
      Effect.map((after) => expect(after.slice(0, 3)).toEqual([10_000, 5_000, 6_250])),
      Effect.scoped,
      scripted(scene)
    )
  })

  it.effect("when another group starts waiting on the shared rounds: the interval comes back", () => {
    const scene = newScene()
    return Effect.gen(function*() {
      const hub = yield* PollHub.make({ interval: "5 seconds" })
      yield* Effect.fork(waitForever(hub, "web"))
      yield* TestClock.adjust("50 seconds")
      expect(gaps(scene.describes).at(-1)).toBe(10_000)
      const before = scene.describes.length
      yield* Effect.fork(waitForever(hub, "api"))
      yield* TestClock.adjust("30 seconds")
      expect(gaps(scene.describes.slice(before - 1)).slice(0, 3)).toEqual([10_000, 5_000, 6_250])
    }).pipe(Effect.scoped, scripted(scene))
  })

  it.effect("never when nothing changed but an alarm's reason: the back-off goes on", () => {
    const scene = newScene()
    scene.alarms = [{ name: "web-5xx", state: "OK", reason: "fine" }]
    return gapsAfter(scene, () => (scene.alarms = [{ name: "web-5xx", state: "OK", reason: "still fine" }]), {
      alarms: Effect.sync(() => scene.alarms)
    }).pipe(
      Effect.map((after) => expect(after.slice(0, 3)).toEqual([10_000, 10_000, 10_000])),
      Effect.scoped,
      scripted(scene)
    )
  })
})

describe("the poll hub's intervals", () => {
  it.effect("grow by the back-off given, up to the longest interval given", () => {
    const scene = newScene()
    return Effect.gen(function*() {
      const hub = yield* PollHub.make({ interval: "2 seconds", backoff: 2, maxInterval: "7 seconds" })
      yield* Effect.fork(waitForever(hub, "web"))
      yield* TestClock.adjust("40 seconds")
      expect(gaps(scene.describes).slice(0, 5)).toEqual([2_000, 4_000, 7_000, 7_000, 7_000])
    }).pipe(Effect.scoped, scripted(scene))
  })
})

describe("a poll round's reads", () => {
  it.effect("every load balancer's health is read at once: a round with three CLBs and three target groups takes as long as one read", () => {
    const scene = newScene()
    return Effect.gen(function*() {
      scene.classicNames = ["elb-1", "elb-2", "elb-3"]
      scene.targetArns = ["tg-1", "tg-2", "tg-3"]
      scene.healthTakes = 2_000
      const hub = yield* PollHub.make({ interval: "5 seconds" })
      const round = yield* Effect.fork(hub.next("web", 0))
      // The round begins at 5 s and reads the three CLBs, then the three target groups, each three together: done at 9 s.
      yield* TestClock.adjust("8999 millis")
      expect(Option.isNone(yield* Fiber.poll(round))).toBe(true)
      yield* TestClock.adjust("1 millis")
      expect(Option.isSome(yield* Fiber.poll(round))).toBe(true)
    }).pipe(Effect.scoped, scripted(scene))
  })
})

describe("a group that joins while a round is being taken", () => {
  it.effect("never receives that round's failure: it waits for a round begun after it joined", () => {
    const scene = newScene()
    return Effect.gen(function*() {
      scene.describeTakes = 2_000
      scene.describeFails = true
      const hub = yield* PollHub.make({ interval: "5 seconds" })
      const a = yield* Effect.fork(hub.next("a", 0))
      // The round begins at 5 s and fails at 7 s; b joins in between.
      yield* TestClock.adjust("6 seconds")
      const b = yield* Effect.fork(hub.next("b", 0))
      yield* TestClock.adjust("1 second")
      expect(Exit.isFailure(yield* Fiber.await(a))).toBe(true)
      expect(Option.isNone(yield* Fiber.poll(b))).toBe(true)
      scene.describeFails = false
      scene.describeTakes = 0
      yield* TestClock.adjust("5 seconds")
      const round = yield* Fiber.poll(b)
      expect(Option.isSome(round) && Exit.isSuccess(round.value) && round.value.value.groups.has("b")).toBe(true)
      expect(scene.describes).toEqual([5_000, 12_000])
    }).pipe(Effect.scoped, scripted(scene))
  })

  it.effect("one that joins after a failed round, with none in flight, is served by the very next round", () => {
    const scene = newScene()
    return Effect.gen(function*() {
      scene.describeTakes = 2_000
      scene.describeFails = true
      const hub = yield* PollHub.make({ interval: "5 seconds" })
      const a = yield* Effect.fork(hub.next("a", 0))
      yield* TestClock.adjust("7 seconds")
      expect(Exit.isFailure(yield* Fiber.await(a))).toBe(true)
      yield* hub.leave("a")
      scene.describeFails = false
      scene.describeTakes = 0
      // Nothing in flight now: the round at 12 s is the first taken after c joined, and it is c's.
      const c = yield* Effect.fork(hub.next("c", 0))
      yield* TestClock.adjust("5 seconds")
      const round = yield* Fiber.poll(c)
      expect(Option.isSome(round) && Exit.isSuccess(round.value) && round.value.value.groups.has("c")).toBe(true)
      expect(scene.describes).toEqual([5_000, 12_000])
    }).pipe(Effect.scoped, scripted(scene))
  })
})

describe("a group leaving", () => {
  it.effect("takes only itself out: the group still waiting gets the next round: the group still waiting gets the next round", () => {
    const scene = newScene()
    return Effect.gen(function*() {
      const hub = yield* PollHub.make({ interval: "5 seconds" })
      const a = yield* Effect.fork(hub.next("a", 0))
      const b = yield* Effect.fork(hub.next("b", 0))
      yield* TestClock.adjust("5 seconds")
      expect((yield* Fiber.join(a)).n).toBe(1)
      expect((yield* Fiber.join(b)).n).toBe(1)
      const again = yield* Effect.fork(hub.next("b", 1))
      yield* Effect.yieldNow()
      yield* hub.leave("a")
      yield* TestClock.adjust("10 seconds")
      const round = yield* Fiber.poll(again)
      expect(Option.isSome(round) && Exit.isSuccess(round.value) ? [...round.value.value.groups.keys()] : round).toEqual(["b"])
    }).pipe(Effect.scoped, scripted(scene))
  })
})
