import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { DEGRADED_TAG } from "../../src/program/rollout/Degraded.js"
import type { RolloutEvent } from "../../src/program/Events.js"
import { RECORD_PREFIX } from "../../src/program/rollout/RolloutRecord.js"
import { AutoScaling } from "../../src/services/AutoScaling.js"
import { TransientAwsError } from "../../src/services/Errors.js"
import { collecting, drive, group, LT, runRollout, webGroup } from "../support/World.js"
import { groupDeletedAfter } from "../support/Operator.js"

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })

const ids = (g: { readonly instances: ReadonlyArray<{ readonly instanceId: string }> }) => g.instances.map((i) => i.instanceId).sort()
const recordTags = (tags: Readonly<Record<string, string>>) => Object.keys(tags).filter((k) => k.startsWith(RECORD_PREFIX))
const everLaunched = Effect.map(Effect.flatMap(FakeWorld, (w) => w.snapshot), (s) => s.instances.filter((i) => i.group === "web").length)

describe("the rollout's roll-back", () => {
  it.effect("terminates the new instances with decrement: the group never launches a replacement for one", () =>
    Effect.gen(function*() {
      const before = ids(yield* webGroup().pipe(Effect.zipRight(group("web"))))
      yield* (yield* FakeWorld).markNeverHealthy({ launchTemplateId: LT, version: "2" })
      const result = yield* Effect.flatten(drive(runRollout({ healthyTimeout: "120 seconds" })))
      expect(result.groups[0]?.status).toBe("rolled-back")
      yield* TestClock.adjust("1 minute")
      // A replacement of a broken new instance would run the broken release; only the two of the scale-out may launch.
      expect(yield* everLaunched).toBe(4)
      const after = yield* group("web")
      expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([2, 4, 2])
      expect(ids(after)).toEqual(before)
    }).pipe(Effect.provide(world)))

  it.effect("leaves the scaling process out of what it calls ours when the operator had suspended it before the run", () =>
    Effect.gen(function*() {
      yield* webGroup({ suspendedProcesses: ["AlarmNotification"] })
      yield* (yield* FakeWorld).markNeverHealthy({ launchTemplateId: LT, version: "2" })
      const events: Array<RolloutEvent> = []
      const result = yield* Effect.flatten(drive(collecting(runRollout({ healthyTimeout: "120 seconds" }), events)))
      expect(result.groups[0]?.status).toBe("rolled-back")
      // A later `resume` resumes what the run suspended, never what the operator had: AlarmNotification is not ours.
      expect(result.groups[0]?.leftSuspended).not.toContain("AlarmNotification")
      expect((yield* group("web")).suspendedProcesses).toContain("AlarmNotification")
      const terminated = result.groups[0]!.terminated
      expect(terminated).toHaveLength(2)
      const steps = events.flatMap((e) => (e.type === "step" && e.step === "roll-back" ? [e.message] : []))
      expect(steps).toContain(`terminated new instance(s): ${terminated.join(", ")}`)
      const degraded = events.flatMap((e) => (e.type === "step" && e.step === "degraded" ? [e.message] : []))
      expect(degraded).toEqual([`left suspended on purpose: ${result.groups[0]!.leftSuspended.join(", ")}; the group is tagged degraded`])
    }).pipe(Effect.provide(world)))

  it.effect("says it had no new instance to terminate when none was launched, and names no process when it suspended none", () =>
    Effect.gen(function*() {
      yield* webGroup({ suspendedProcesses: ["Launch", "Terminate", "HealthCheck", "AddToLoadBalancer", "AZRebalance", "ReplaceUnhealthy", "AlarmNotification", "ScheduledActions", "InstanceRefresh"] })
      yield* (yield* FakeWorld).markNeverHealthy({ launchTemplateId: LT, version: "2" })
      const events: Array<RolloutEvent> = []
      const result = yield* Effect.flatten(drive(collecting(runRollout({ healthyTimeout: "120 seconds" }), events)))
      expect(result.groups[0]?.status).toBe("rolled-back")
      expect(result.groups[0]?.terminated).toEqual([])
      expect(result.groups[0]?.leftSuspended).toEqual([])
      const steps = events.flatMap((e) => (e.type === "step" && (e.step === "roll-back" || e.step === "degraded") ? [e.message] : []))
      expect(steps).toContain("no new instance to terminate")
      expect(steps).toContain("left suspended on purpose: none; the group is tagged degraded")
    }).pipe(Effect.provide(world)))

  it.effect("after a timeout is not abandoned when Ctrl-C interrupts it: it terminates, restores and reports first", () =>
    Effect.gen(function*() {
      const before = ids(yield* webGroup().pipe(Effect.zipRight(group("web"))))
      const w = yield* FakeWorld
      yield* w.markNeverHealthy({ launchTemplateId: LT, version: "2" })
      // The roll-back's first terminate is throttled: its retries (seconds of back-off) are where the interruption lands.
      yield* w.failNext("TerminateInstanceInAutoScalingGroup", 5, "throttle")
      const events: Array<RolloutEvent> = []
      const fiber = yield* Effect.fork(collecting(runRollout({ healthyTimeout: "120 seconds" }), events))
      let throttled = false
      for (let i = 0; i < 300 && !throttled; i++) {
        yield* TestClock.adjust("1 second")
        throttled = (yield* w.calls).some((c) => c.operation === "TerminateInstanceInAutoScalingGroup" && c.failed)
      }
      expect(throttled).toBe(true)
      expect(events.some((e) => e.type === "step" && e.step === "roll-back" && e.message.includes("timed out"))).toBe(true)
      yield* Fiber.interruptFork(fiber)
      const exit = yield* Effect.flatten(drive(Effect.exit(Fiber.join(fiber)), { step: "100 millis" }))
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect(events.filter((e) => e.type === "group-result")).toMatchObject([{ status: "rolled-back", terminated: expect.any(Array) }])
      yield* TestClock.adjust("1 minute")
      const after = yield* group("web")
      expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([2, 4, 2])
      expect(ids(after)).toEqual(before)
      expect(after.tags[DEGRADED_TAG]).toContain("timed out")
      expect(recordTags(after.tags)).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("a poll error that outlasts the retries rolls back at once, not at the healthy timeout", () =>
    Effect.gen(function*() {
      const before = ids(yield* webGroup().pipe(Effect.zipRight(group("web"))))
      const w = yield* FakeWorld
      let injectedAt: number | undefined
      // Once the rollout waits, every attempt of the next poll round's health read fails, the retries' too.
      const injectOnce = Effect.gen(function*() {
        if (injectedAt !== undefined || (yield* group("web")).tags[`${RECORD_PREFIX}:phase`] !== "waiting") return
        injectedAt = yield* Clock.currentTimeMillis
        yield* w.failNext("DescribeInstanceHealth", 20, "transient")
      })
      const result = yield* Effect.flatten(drive(runRollout({ healthyTimeout: "600 seconds" }), { onStep: () => injectOnce }))
      expect(injectedAt).toBeDefined()
      const g = result.groups[0]!
      expect(g.status).toBe("failed")
      expect(g.reason).toContain("TransientAwsError")
      // The retries take about a minute; the healthy timeout would have taken ten.
      expect((yield* Clock.currentTimeMillis) - injectedAt!).toBeLessThan(150_000)
      yield* TestClock.adjust("1 minute")
      const after = yield* group("web")
      expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([2, 4, 2])
      expect(ids(after)).toEqual(before)
    }).pipe(Effect.provide(world)))

  it.effect("a timeout reports how much of the needed capacity was healthy", () =>
    Effect.gen(function*() {
      yield* webGroup()
      const w = yield* FakeWorld
      let marked = false
      // One of the two new instances never passes its health check; the other does.
      const markOne = Effect.gen(function*() {
        if (marked) return
        const fresh = (yield* w.snapshot).instances.filter((i) => i.launchTemplate?.version === "2")
        if (fresh.length === 0) return
        marked = true
        yield* w.markNeverHealthy({ instanceId: fresh[0]!.instanceId })
      })
      const result = yield* Effect.flatten(drive(runRollout({ healthyTimeout: "300 seconds" }), { onStep: () => markOne }))
      expect(result.groups[0]).toMatchObject({ status: "rolled-back", reason: "timed out after 300 s with 1 of 2 new healthy" })
    }).pipe(Effect.provide(world)))

  it.effect("a roll-back that fails itself ends failed, warns to check the group, and leaves the record for recover", () =>
    Effect.gen(function*() {
      yield* webGroup()
      const w = yield* FakeWorld
      yield* w.markNeverHealthy({ launchTemplateId: LT, version: "2" })
      yield* w.failNext("TerminateInstanceInAutoScalingGroup", 60, "transient")
      const events: Array<RolloutEvent> = []
      const result = yield* Effect.flatten(drive(collecting(runRollout({ healthyTimeout: "120 seconds" }), events)))
      const g = result.groups[0]!
      expect(g.status).toBe("failed")
      expect(g.reason).toContain("the roll-back itself failed (TransientAwsError")
      expect(g.cause).toMatchObject({ _tag: "RollBackFailed", group: "web", during: { _tag: "HealthTimeout", seconds: 120 }, error: { _tag: "TransientAwsError" } })
      expect(g.launched).toHaveLength(2)
      expect(events.some((e) => e.type === "warning" && e.message.includes("check the group, then run recover"))).toBe(true)
      const after = yield* group("web")
      expect(recordTags(after.tags).length).toBeGreaterThan(0)
      expect(after.tags[DEGRADED_TAG]).toBeUndefined()
    }).pipe(Effect.provide(world)))

  it.effect("a roll-back that fails after its terminations names the instances it terminated, and the sizes it cannot read", () =>
    Effect.gen(function*() {
      yield* webGroup()
      yield* (yield* FakeWorld).markNeverHealthy({ launchTemplateId: LT, version: "2" })
      // Once the roll-back has terminated anything, AWS answers no tag write and no describe any more.
      let terminatedAny = false
      const down = (operation: string) => Effect.fail(new TransientAwsError({ operation, message: "internal error" }))
      const failingAfterTerminations = Effect.updateService(AutoScaling, (asg) => ({
        ...asg,
        terminateInstance: (id: string, decrement: boolean) =>
          Effect.tap(asg.terminateInstance(id, decrement), () => Effect.sync(() => void (terminatedAny = true))),
        setTags: (name: string, tags: Readonly<Record<string, string>>) => terminatedAny ? down("CreateOrUpdateTags") : asg.setTags(name, tags),
        describeGroups: (names: ReadonlyArray<string>) => terminatedAny ? down("DescribeAutoScalingGroups") : asg.describeGroups(names)
      }))
      const result = yield* Effect.flatten(drive(failingAfterTerminations(runRollout({ healthyTimeout: "120 seconds" }))))
      const g = result.groups[0]!
      expect(g.status).toBe("failed")
      expect(g.terminated).toHaveLength(2)
      expect([...g.terminated].sort()).toEqual([...g.launched].sort())
      expect(g.reason).toMatch(/; the roll-back itself failed \(TransientAwsError: .+\) after terminating 2 new instance\(s\); its sizes could not be read: check the group, then run recover$/)
      expect(g.cause).toMatchObject({ _tag: "RollBackFailed", terminated: g.terminated, error: { _tag: "TransientAwsError" } })
    }).pipe(Effect.provide(world)))

  it.effect("a group deleted while its new instances are awaited: the run says the group disappeared, and what it could not do", () =>
    Effect.gen(function*() {
      yield* webGroup()
      // Deleted by someone else once the rollout raised it.
      const result = yield* Effect.flatten(drive(groupDeletedAfter("updateSizes")(runRollout())))
      const g = result.groups[0]!
      expect(g.status).toBe("failed")
      expect(g.reason).toBe("the group web disappeared; the roll-back itself failed (GroupNotFound) after terminating 0 new instance(s); its sizes could not be read: check the group, then run recover")
      expect(g.cause).toMatchObject({ _tag: "RollBackFailed", during: { _tag: "GroupNotFound", group: "web" }, error: { _tag: "GroupNotFound" } })
    }).pipe(Effect.provide(world)))
})
