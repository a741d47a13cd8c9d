import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { type CallRecord, FakeWorld, type FaultKind, type Operation } from "../../src/layers/fake/FakeWorld.js"
import type { RolloutEvent } from "../../src/program/Events.js"
import { terminateExactly } from "../../src/program/rollout/Terminations.js"
import { collecting, drive, group, LT, runRollout, webGroup } from "../support/World.js"

/** AWS as it is: a group busy launching or draining refuses size changes and terminations. */
const conflicting = FakeAws.layer({
  launchDelay: "60 seconds",
  healthDelay: "30 seconds",
  drainDelay: "10 seconds",
  scalingActivityConflicts: true
})
const plain = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })
/** No load balancer drain and no lifecycle hook: a terminated instance is gone almost at once. */
const quickDrain = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "100 millis" })

const ids = (g: { readonly instances: ReadonlyArray<{ readonly instanceId: string }> }) => g.instances.map((i) => i.instanceId)

/** The run's instances as the world knows them, terminated ones included. */
const lifecycleOf = Effect.map(Effect.flatMap(FakeWorld, (w) => w.snapshot), (s) =>
  new Map(s.instances.map((i) => [i.instanceId, i.lifecycleState] as const)))

/** Committed: sizes as before, every old instance gone, every new one serving, none of them terminated. */
const expectCommitted = (before: ReadonlyArray<string>, launched: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    yield* TestClock.adjust("1 minute")
    const after = yield* group("web")
    expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([2, 4, 2])
    expect(ids(after).sort()).toEqual([...launched].sort())
    expect(after.instances.map((i) => [i.lifecycleState, i.launchTemplate?.version])).toEqual([["InService", "2"], ["InService", "2"]])
    const states = yield* lifecycleOf
    expect(before.map((id) => states.get(id))).toEqual(before.map(() => "Terminated"))
    expect([...states.entries()].filter(([id, s]) => !before.includes(id) && s !== "InService")).toEqual([])
    expect(after.suspendedProcesses).toEqual([])
  })

/** Rolled back: sizes as before, the old instances serving, every new one gone. */
const expectRolledBack = (before: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    yield* TestClock.adjust("1 minute")
    const after = yield* group("web")
    expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([2, 4, 2])
    expect(ids(after).sort()).toEqual([...before].sort())
    expect(after.instances.map((i) => i.lifecycleState)).toEqual(["InService", "InService"])
    const states = yield* lifecycleOf
    expect([...states.entries()].filter(([id, s]) => !before.includes(id) && s !== "Terminated")).toEqual([])
  })

/** The next call of `operation` meets `kind` once `ready` holds for the calls made so far. */
const injectWhen = (ready: (calls: ReadonlyArray<CallRecord>) => boolean, operation: Operation, kind: FaultKind) => {
  let injected = false
  const onStep = () =>
    Effect.gen(function*() {
      const w = yield* FakeWorld
      if (injected || !ready(yield* w.calls)) return
      injected = true
      yield* w.failNext(operation, 1, kind)
    })
  return { onStep, injected: () => injected }
}

const count = (calls: ReadonlyArray<CallRecord>, operation: string) => calls.filter((c) => c.operation === operation).length

/** Runs the rollout to its end on the TestClock: its result, and the simulated seconds it took. */
const timedRun = (onStep?: () => Effect.Effect<void, never, FakeWorld>, healthyTimeout: Duration.DurationInput = "600 seconds") =>
  Effect.gen(function*() {
    const started = yield* Clock.currentTimeMillis
    const exit = yield* drive(runRollout({ healthyTimeout }), onStep === undefined ? {} : { onStep })
    const result = yield* exit
    return { result, seconds: ((yield* Clock.currentTimeMillis) - started) / 1000 }
  })

describe("ScalingActivityInProgress is waited out, not fatal (defect 8)", () => {
  it.effect("a commit whose terminate answers ScalingActivityInProgress three times still terminates exactly the old instances", () =>
    Effect.gen(function*() {
      const before = ids(yield* webGroup().pipe(Effect.zipRight(group("web"))))
      yield* (yield* FakeWorld).failNext("TerminateInstanceInAutoScalingGroup", 3, "scaling-activity")
      const { result } = yield* timedRun()
      expect(result.status).toBe("succeeded")
      expect([...result.groups[0]!.terminated].sort()).toEqual([...before].sort())
      yield* expectCommitted(before, result.groups[0]!.launched)
    }).pipe(Effect.provide(plain)))

  it.effect("with AWS refusing changes while the group launches or drains, the commit waits out each drain", () =>
    Effect.gen(function*() {
      const before = ids(yield* webGroup().pipe(Effect.zipRight(group("web"))))
      const { result } = yield* timedRun()
      expect(result.status).toBe("succeeded")
      const calls = yield* (yield* FakeWorld).calls
      // The second terminate and the restore each met the drain of the instance before.
      expect(count(calls, "TerminateInstanceInAutoScalingGroup")).toBeGreaterThan(2)
      yield* expectCommitted(before, result.groups[0]!.launched)
    }).pipe(Effect.provide(conflicting)))

  it.effect("with AWS refusing changes while the group drains, a roll-back still terminates exactly the new instances", () =>
    Effect.gen(function*() {
      const before = ids(yield* webGroup().pipe(Effect.zipRight(group("web"))))
      yield* (yield* FakeWorld).markNeverHealthy({ launchTemplateId: LT, version: "2" })
      const { result } = yield* timedRun(undefined, "300 seconds")
      expect(result.groups[0]).toMatchObject({ status: "rolled-back" })
      yield* expectRolledBack(before)
    }).pipe(Effect.provide(conflicting)))
})

describe("a terminate retried after an ambiguous failure looks first (defect 8)", () => {
  it.effect("commit: a terminate that took effect but answered 5xx is not sent again while its instance drains", () =>
    Effect.gen(function*() {
      const before = ids(yield* webGroup().pipe(Effect.zipRight(group("web"))))
      const w = yield* FakeWorld
      yield* w.failNext("TerminateInstanceInAutoScalingGroup", 1, "ambiguous")
      let lowest = yield* w.healthyCount("web")
      const { result } = yield* timedRun(() => Effect.map(w.healthyCount("web"), (n) => void (lowest = Math.min(lowest, n))))
      expect(result.status).toBe("succeeded")
      expect([...result.groups[0]!.terminated].sort()).toEqual([...before].sort())
      expect(lowest).toBeGreaterThanOrEqual(2)
      yield* expectCommitted(before, result.groups[0]!.launched)
    }).pipe(Effect.provide(conflicting)))

  it.effect("commit: a terminate whose instance is already gone when retried counts as done", () =>
    Effect.gen(function*() {
      const before = ids(yield* webGroup({ loadBalancerNames: [] }).pipe(Effect.zipRight(group("web"))))
      const w = yield* FakeWorld
      yield* w.failNext("TerminateInstanceInAutoScalingGroup", 1, "ambiguous")
      const { result } = yield* timedRun()
      expect(result.status).toBe("succeeded")
      const sequence = (yield* w.calls)
        .filter((c) => c.operation === "TerminateInstanceInAutoScalingGroup" || c.operation === "DescribeAutoScalingInstances")
        .map((c) => [c.operation, c.fault ?? "answered"])
      // The two terminates go out together; the ambiguous one is looked up, found gone, and not sent again.
      expect(sequence[0]).toEqual(["TerminateInstanceInAutoScalingGroup", "ambiguous"])
      expect(sequence.map((c) => c.join(" ")).sort()).toEqual([
        "DescribeAutoScalingInstances answered",
        "TerminateInstanceInAutoScalingGroup ambiguous",
        "TerminateInstanceInAutoScalingGroup answered"
      ])
      yield* expectCommitted(before, result.groups[0]!.launched)
    }).pipe(Effect.provide(quickDrain)))

  it.effect("roll-back: a terminate that took effect but answered 5xx is not sent again, the sizes come back exactly", () =>
    Effect.gen(function*() {
      const before = ids(yield* webGroup().pipe(Effect.zipRight(group("web"))))
      const w = yield* FakeWorld
      yield* w.markNeverHealthy({ launchTemplateId: LT, version: "2" })
      yield* w.failNext("TerminateInstanceInAutoScalingGroup", 1, "ambiguous")
      const { result } = yield* timedRun(undefined, "300 seconds")
      expect(result.groups[0]).toMatchObject({ status: "rolled-back" })
      expect(result.groups[0]!.terminated).toHaveLength(2)
      yield* expectRolledBack(before)
    }).pipe(Effect.provide(conflicting)))
})

describe("no AWS call can hold the run (defect 11)", () => {
  it.effect("a DescribeAutoScalingGroups that never answers during the wait is abandoned and retried", () =>
    Effect.gen(function*() {
      const before = ids(yield* webGroup().pipe(Effect.zipRight(group("web"))))
      const inject = injectWhen((calls) => count(calls, "UpdateAutoScalingGroup") >= 1, "DescribeAutoScalingGroups", "hang")
      const { result, seconds } = yield* timedRun(inject.onStep)
      expect(inject.injected()).toBe(true)
      expect(result.status).toBe("succeeded")
      // Launch 60 s and health 30 s, plus one call timeout of 30 s, a few polls and drains.
      expect(seconds).toBeLessThan(240)
      const hung = (yield* (yield* FakeWorld).calls).filter((c) => c.fault === "hang")
      expect(hung.map((c) => c.operation)).toEqual(["DescribeAutoScalingGroups"])
      yield* expectCommitted(before, result.groups[0]!.launched)
    }).pipe(Effect.provide(plain)))

  it.effect("a TerminateInstanceInAutoScalingGroup that never answers inside the uninterruptible commit is abandoned and retried", () =>
    Effect.gen(function*() {
      const before = ids(yield* webGroup().pipe(Effect.zipRight(group("web"))))
      yield* (yield* FakeWorld).failNext("TerminateInstanceInAutoScalingGroup", 1, "hang")
      const { result, seconds } = yield* timedRun()
      expect(result.status).toBe("succeeded")
      expect(seconds).toBeLessThan(240)
      expect([...result.groups[0]!.terminated].sort()).toEqual([...before].sort())
      yield* expectCommitted(before, result.groups[0]!.launched)
    }).pipe(Effect.provide(plain)))

  it.effect("a terminate that never answers inside the uninterruptible roll-back is abandoned and retried", () =>
    Effect.gen(function*() {
      const before = ids(yield* webGroup().pipe(Effect.zipRight(group("web"))))
      const w = yield* FakeWorld
      yield* w.markNeverHealthy({ launchTemplateId: LT, version: "2" })
      yield* w.failNext("TerminateInstanceInAutoScalingGroup", 1, "hang")
      const { result, seconds } = yield* timedRun(undefined, "300 seconds")
      expect(result.groups[0]).toMatchObject({ status: "rolled-back" })
      expect(seconds).toBeLessThan(420)
      yield* expectRolledBack(before)
    }).pipe(Effect.provide(plain)))

  it.effect("interrupted while waiting, the roll-back's hung terminate is abandoned and the roll-back completes", () =>
    Effect.gen(function*() {
      const before = ids(yield* webGroup().pipe(Effect.zipRight(group("web"))))
      const w = yield* FakeWorld
      const events: Array<RolloutEvent> = []
      const fiber = yield* Effect.fork(collecting(runRollout(), events))
      for (let i = 0; i < 100 && count(yield* w.calls, "DescribeInstanceHealth") < 3; i++) yield* TestClock.adjust("1 second")
      expect(count(yield* w.calls, "DescribeInstanceHealth")).toBeGreaterThanOrEqual(3)
      yield* w.failNext("TerminateInstanceInAutoScalingGroup", 1, "hang")
      const started = yield* Clock.currentTimeMillis
      yield* Fiber.interruptFork(fiber)
      const exit = yield* Effect.flatten(drive(Fiber.await(fiber), { maxSteps: 600 }))
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect(((yield* Clock.currentTimeMillis) - started) / 1000).toBeLessThan(120)
      expect(events.find((e) => e.type === "group-result")).toMatchObject({ status: "interrupted" })
      yield* expectRolledBack(before)
    }).pipe(Effect.provide(plain)))

  it.effect("interrupted while the commit's terminate hangs, the commit still completes once the attempt is abandoned", () =>
    Effect.gen(function*() {
      const before = ids(yield* webGroup().pipe(Effect.zipRight(group("web"))))
      const w = yield* FakeWorld
      yield* w.failNext("TerminateInstanceInAutoScalingGroup", 1, "hang")
      const events: Array<RolloutEvent> = []
      const fiber = yield* Effect.fork(collecting(runRollout(), events))
      const hung = (calls: ReadonlyArray<CallRecord>) => calls.some((c) => c.fault === "hang")
      for (let i = 0; i < 300 && !hung(yield* w.calls); i++) yield* TestClock.adjust("1 second")
      expect(hung(yield* w.calls)).toBe(true)
      yield* Fiber.interruptFork(fiber)
      const exit = yield* Effect.flatten(drive(Fiber.await(fiber), { maxSteps: 600 }))
      expect(Exit.isInterrupted(exit)).toBe(true)
      const result = events.find((e) => e.type === "group-result")
      expect(result).toMatchObject({ status: "succeeded" })
      yield* expectCommitted(before, result?.type === "group-result" ? result.launched : [])
    }).pipe(Effect.provide(plain)))
})

describe("a terminate of an instance that left the group meanwhile", () => {
  it.effect("counts as done: AWS's 'Instance Id not found' means what the terminate was for has happened", () =>
    Effect.gen(function*() {
      yield* webGroup()
      const w = yield* FakeWorld
      const listed = yield* group("web")
      const [gone, staying] = listed.instances.map((i) => i.instanceId)
      // Terminated from outside after the group was read, and finished leaving before our terminate arrives.
      yield* w.terminateInstance(gone!)
      yield* TestClock.adjust("5 minutes")
      expect((yield* group("web")).instances.some((i) => i.instanceId === gone)).toBe(false)
      const terminated = yield* terminateExactly(listed, [gone!], 0)
      expect(terminated).toEqual([gone])
      expect((yield* group("web")).instances.find((i) => i.instanceId === staying)?.lifecycleState).toBe("InService")
    }).pipe(Effect.provide(FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" }))))
})
