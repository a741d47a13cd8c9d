import { RolloutInterrupted } from "../../src/program/rollout/RolloutErrors.js"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Clock from "effect/Clock"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import type { CallRecord } from "../../src/layers/fake/FakeWorld.js"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { DEGRADED_TAG, LEFT_SUSPENDED_TAG } from "../../src/program/rollout/Degraded.js"
import type { RolloutEvent } from "../../src/program/Events.js"
import { processesToSuspend } from "../../src/program/rollout/Rollout.js"

const PROCESSES_TO_SUSPEND = processesToSuspend(true)
import { CLB, collecting, drive, group, LT, mutatingCalls, runRollout, TG, webGroup } from "../support/World.js"

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })

const ids = (g: { readonly instances: ReadonlyArray<{ readonly instanceId: string }> }) => g.instances.map((i) => i.instanceId)

describe("rollout", () => {
  it.effect("replaces every instance behind a classic ELB and restores the group", () =>
    Effect.gen(function*() {
      yield* webGroup()
      const before = yield* group("web")
      const exit = yield* drive(runRollout())
      const result = yield* exit
      expect(result.status).toBe("succeeded")
      yield* TestClock.adjust("30 seconds")
      const after = yield* group("web")
      expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([2, 4, 2])
      expect(ids(after).filter((id) => ids(before).includes(id))).toEqual([])
      expect(after.instances.map((i) => [i.lifecycleState, i.launchTemplate?.version])).toEqual([
        ["InService", "2"],
        ["InService", "2"]
      ])
      expect(after.suspendedProcesses).toEqual([])
      const snap = yield* (yield* FakeWorld).snapshot
      expect(snap.classicLoadBalancers[CLB]?.filter((h) => h.state === "InService").map((h) => h.instanceId).sort())
        .toEqual(ids(after).sort())
      expect(result.groups[0]?.terminated.slice().sort()).toEqual(ids(before).sort())
      expect(result.groups[0]?.launched.slice().sort()).toEqual(ids(after).sort())
    }).pipe(Effect.provide(world)))

  it.effect("replaces every instance behind a target group", () =>
    Effect.gen(function*() {
      yield* webGroup({ loadBalancerNames: [], targetGroupArns: [TG], launchTemplate: undefined, launchConfigurationName: "web-v1" } as never)
      const before = yield* group("web")
      const result = yield* Effect.flatten(drive(runRollout()))
      expect(result.status).toBe("succeeded")
      const after = yield* group("web")
      const running = after.instances.filter((i) => i.lifecycleState === "InService")
      expect(running.map((i) => i.launchConfigurationName)).toEqual(["web-v1-v2", "web-v1-v2"])
      expect(running.some((i) => ids(before).includes(i.instanceId))).toBe(false)
      const snap = yield* (yield* FakeWorld).snapshot
      expect(snap.targetGroups[TG]?.filter((h) => h.state === "healthy").length).toBe(2)
    }).pipe(Effect.provide(world)))

  it.effect("skips an up-to-date group without a single mutating call", () =>
    Effect.gen(function*() {
      yield* webGroup({}, { release: false })
      const result = yield* Effect.flatten(drive(runRollout()))
      expect(result.groups.map((g) => g.status)).toEqual(["up-to-date"])
      expect(yield* mutatingCalls).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("--replace-all replaces an up-to-date group", () =>
    Effect.gen(function*() {
      yield* webGroup({}, { release: false })
      const before = yield* group("web")
      const result = yield* Effect.flatten(drive(runRollout({ replaceAll: true })))
      expect(result.status).toBe("succeeded")
      const after = yield* group("web")
      expect(after.instances.filter((i) => i.lifecycleState === "InService").some((i) => ids(before).includes(i.instanceId))).toBe(false)
    }).pipe(Effect.provide(world)))

  it.effect("terminates only the new instances when health times out, and leaves processes suspended", () =>
    Effect.gen(function*() {
      yield* webGroup()
      yield* (yield* FakeWorld).markNeverHealthy({ launchTemplateId: LT, version: "2" })
      const before = yield* group("web")
      const result = yield* Effect.flatten(drive(runRollout({ healthyTimeout: "300 seconds" }), { step: "5 seconds" }))
      const g = result.groups[0]!
      expect(g.status).toBe("rolled-back")
      expect(g.reason).toContain("timed out after 300 s with 0 of 2 new healthy")
      expect(g.terminated.length).toBe(2)
      yield* TestClock.adjust("30 seconds")
      const after = yield* group("web")
      expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([2, 4, 2])
      expect(ids(after).sort()).toEqual(ids(before).sort())
      expect([...after.suspendedProcesses].sort()).toEqual([...PROCESSES_TO_SUSPEND].sort())
      expect(after.tags[DEGRADED_TAG]).toContain("timed out")
      expect(after.tags[LEFT_SUSPENDED_TAG]?.split(",").sort()).toEqual([...PROCESSES_TO_SUSPEND].sort())
    }).pipe(Effect.provide(world)))

  it.effect("rolls back at once when a new instance turns unhealthy mid-wait", () =>
    Effect.gen(function*() {
      yield* webGroup({ desiredCapacity: 3, maxSize: 6 })
      const w = yield* FakeWorld
      let injected = false
      // One new instance never passes (so the wait goes on); the first one seen healthy fails 10 s later.
      const injectOnce = Effect.gen(function*() {
        if (injected) return
        const snap = yield* w.snapshot
        const fresh = snap.instances.filter((i) => i.launchTemplate?.version === "2").map((i) => i.instanceId)
        if (fresh.length === 3) yield* w.markNeverHealthy({ instanceId: fresh[2]! })
        const healthy = snap.classicLoadBalancers[CLB]?.find((h) => h.state === "InService" && fresh.includes(h.instanceId))
        if (healthy === undefined) return
        injected = true
        yield* w.makeUnhealthy(healthy.instanceId, "10 seconds")
      })
      const started = yield* Clock.currentTimeMillis
      const result = yield* Effect.flatten(drive(runRollout(), { step: "5 seconds", onStep: () => injectOnce }))
      const g = result.groups[0]!
      expect(injected).toBe(true)
      expect(g.status).toBe("rolled-back")
      expect(g.reason).toMatch(/turned unhealthy|marked it Unhealthy/)
      expect((yield* Clock.currentTimeMillis) - started).toBeLessThan(200_000)
      yield* TestClock.adjust("1 minute")
      const after = yield* group("web")
      expect(after.instances.every((i) => i.launchTemplate?.version === "1")).toBe(true)
    }).pipe(Effect.provide(world)))

  it.effect("a process suspended before the run stays suspended after it", () =>
    Effect.gen(function*() {
      yield* webGroup({ suspendedProcesses: ["AZRebalance", "Launch"].slice(0, 1) })
      const result = yield* Effect.flatten(drive(runRollout()))
      expect(result.status).toBe("succeeded")
      expect((yield* group("web")).suspendedProcesses).toEqual(["AZRebalance"])
      const suspendCalls = (yield* (yield* FakeWorld).calls).filter((c) => c.operation === "SuspendProcesses")
      expect(suspendCalls.length).toBe(1)
    }).pipe(Effect.provide(world)))

  it.effect("refuses a group with an UpdatePolicy before any mutating call", () =>
    Effect.gen(function*() {
      yield* webGroup({}, { updatePolicy: { AutoScalingRollingUpdate: { MaxBatchSize: 1 } } })
      const error = yield* Effect.flip(runRollout())
      expect(error._tag).toBe("UpdatePolicyPresent")
      expect(error).toMatchObject({ logicalId: "Web", group: "web", policies: ["AutoScalingRollingUpdate"] })
      expect(yield* mutatingCalls).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("survives throttling of every kind of call", () =>
    Effect.gen(function*() {
      yield* webGroup()
      const w = yield* FakeWorld
      for (const op of ["DescribeAutoScalingGroups", "SuspendProcesses", "UpdateAutoScalingGroup", "TerminateInstanceInAutoScalingGroup", "DescribeInstanceHealth"] as const) {
        yield* w.failNext(op, 3, "throttle")
      }
      yield* w.failNext("ResumeProcesses", 2, "transient")
      const result = yield* Effect.flatten(drive(runRollout()))
      expect(result.status).toBe("succeeded")
      const failed = (yield* w.calls).filter((c) => c.failed).length
      expect(failed).toBe(17)
    }).pipe(Effect.provide(world)))

  it.effect("keeps the HA invariant: serving instances never drop below the start, at every simulated second", () =>
    Effect.gen(function*() {
      yield* webGroup({ desiredCapacity: 3, maxSize: 6 })
      const w = yield* FakeWorld
      const start = yield* w.healthyCount("web")
      expect(start).toBe(3)
      let lowest = start
      const result = yield* Effect.flatten(drive(runRollout(), {
        onStep: () => Effect.map(w.healthyCount("web"), (n) => void (lowest = Math.min(lowest, n)))
      }))
      expect(result.status).toBe("succeeded")
      expect(lowest).toBeGreaterThanOrEqual(start)
    }).pipe(Effect.provide(world)))

  it.effect("the group's own scale-in never takes a new instance: every launched instance survives", () =>
    Effect.gen(function*() {
      // Newest-first termination is what would pick our new instances if the tool lowered desired.
      yield* webGroup({ desiredCapacity: 2, minSize: 2, terminationPolicy: "NewestInstance" })
      const result = yield* Effect.flatten(drive(runRollout()))
      yield* TestClock.adjust("1 minute")
      const after = yield* group("web")
      expect(ids(after).sort()).toEqual(result.groups[0]!.launched.slice().sort())
      const terminateCalls = (yield* (yield* FakeWorld).calls).filter((c) => c.operation === "TerminateInstanceInAutoScalingGroup")
      expect(terminateCalls.length).toBe(2)
    }).pipe(Effect.provide(world)))

  it.effect("resolves $Latest to the version the instances report", () =>
    Effect.gen(function*() {
      yield* webGroup({ launchTemplate: { id: LT, name: "web", version: "$Latest" } }, { release: false })
      const result = yield* Effect.flatten(drive(runRollout()))
      expect(result.groups.map((g) => g.status)).toEqual(["up-to-date"])
      expect(yield* mutatingCalls).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("raises sizes by running capacity units under instance weights", () =>
    Effect.gen(function*() {
      yield* webGroup({ minSize: 4, maxSize: 8, desiredCapacity: 4, instanceWeight: 2 })
      const before = yield* group("web")
      expect(before.instances.length).toBe(2)
      const calls: Array<RolloutEvent> = []
      const result = yield* Effect.flatten(drive(collecting(runRollout(), calls)))
      expect(result.status).toBe("succeeded")
      expect(calls.some((e) => e.type === "step" && e.step === "scale-out" && e.message.includes("desired 4→8"))).toBe(true)
      const after = yield* group("web")
      expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([4, 8, 4])
    }).pipe(Effect.provide(world)))

  it.effect("a successful run clears the degraded marker of an earlier failed run and resumes what it left", () =>
    Effect.gen(function*() {
      yield* webGroup({
        suspendedProcesses: [...PROCESSES_TO_SUSPEND],
        tags: { [DEGRADED_TAG]: "timed out", [LEFT_SUSPENDED_TAG]: PROCESSES_TO_SUSPEND.join(",") }
      })
      const result = yield* Effect.flatten(drive(runRollout()))
      expect(result.status).toBe("succeeded")
      const after = yield* group("web")
      expect(after.suspendedProcesses).toEqual([])
      expect(after.tags[DEGRADED_TAG]).toBeUndefined()
    }).pipe(Effect.provide(world)))

  it.effect("refuses an unknown --asg and a missing stack with no mutating call", () =>
    Effect.gen(function*() {
      yield* webGroup()
      const unknown = yield* Effect.flip(runRollout({ groups: ["nope"] }))
      expect(unknown._tag).toBe("InvalidInput")
      const missing = yield* Effect.flip(Effect.flatMap(Effect.succeed(0), () => runRollout().pipe(Effect.provide(FakeAws.layer()))))
      expect(missing._tag).toBe("StackNotFound")
      expect(yield* mutatingCalls).toEqual([])
    }).pipe(Effect.provide(world)))
})

describe("interruption restores the group at each phase", () => {
  /** Forks the rollout, advances the clock until `ready` holds for the calls made, then interrupts it. */
  const interruptWhen = (ready: (calls: ReadonlyArray<CallRecord>) => boolean) =>
    Effect.gen(function*() {
      const w = yield* FakeWorld
      const events: Array<RolloutEvent> = []
      const fiber = yield* Effect.fork(collecting(runRollout(), events))
      let seen = false
      for (let i = 0; i < 5000 && !seen; i++) {
        yield* TestClock.adjust("100 millis")
        seen = ready(yield* w.calls)
      }
      expect(seen).toBe(true)
      yield* Fiber.interruptFork(fiber)
      const exit = yield* Effect.flatten(drive(Fiber.await(fiber)))
      yield* TestClock.adjust("1 minute")
      return { exit, events }
    })
  const failedCall = (op: string) => (calls: ReadonlyArray<CallRecord>) => calls.some((c) => c.operation === op && c.failed)
  const resultOf = (events: ReadonlyArray<RolloutEvent>) => events.find((e) => e.type === "group-result")

  const expectRolledBack = (before: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const after = yield* group("web")
      expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([2, 4, 2])
      expect(ids(after).sort()).toEqual([...before].sort())
      expect(after.tags[DEGRADED_TAG]).toBe("interrupted")
    })

  it.effect("while suspending the processes", () =>
    Effect.gen(function*() {
      const before = ids(yield* webGroup().pipe(Effect.zipRight(group("web"))))
      yield* (yield* FakeWorld).failNext("SuspendProcesses", 3, "throttle")
      const { exit, events } = yield* interruptWhen(failedCall("SuspendProcesses"))
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect(resultOf(events)).toMatchObject({ status: "interrupted", launched: [] })
      yield* expectRolledBack(before)
    }).pipe(Effect.provide(world)))

  it.effect("while scaling out", () =>
    Effect.gen(function*() {
      const before = ids(yield* webGroup().pipe(Effect.zipRight(group("web"))))
      yield* (yield* FakeWorld).failNext("UpdateAutoScalingGroup", 2, "throttle")
      const { exit, events } = yield* interruptWhen(failedCall("UpdateAutoScalingGroup"))
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect(resultOf(events)).toMatchObject({ status: "interrupted" })
      yield* expectRolledBack(before)
    }).pipe(Effect.provide(world)))

  it.effect("while waiting for the new instances", () =>
    Effect.gen(function*() {
      const before = ids(yield* webGroup().pipe(Effect.zipRight(group("web"))))
      const { exit, events } = yield* interruptWhen((calls) =>
        calls.filter((c) => c.operation === "DescribeInstanceHealth").length >= 10
      )
      expect(Exit.isInterrupted(exit)).toBe(true)
      const result = resultOf(events)
      expect(result).toMatchObject({ status: "interrupted" })
      expect(result?.type === "group-result" && result.cause).toEqual(new RolloutInterrupted({ group: "web" }))
      expect(result?.type === "group-result" && result.terminated.length).toBe(2)
      yield* expectRolledBack(before)
    }).pipe(Effect.provide(world)))

  it.effect("while terminating the old instances, the commit completes (rolling back would kill the healthy ones)", () =>
    Effect.gen(function*() {
      const before = ids(yield* webGroup().pipe(Effect.zipRight(group("web"))))
      yield* (yield* FakeWorld).failNext("TerminateInstanceInAutoScalingGroup", 2, "throttle")
      const { exit, events } = yield* interruptWhen(failedCall("TerminateInstanceInAutoScalingGroup"))
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect(resultOf(events)).toMatchObject({ status: "succeeded" })
      const after = yield* group("web")
      expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([2, 4, 2])
      expect(ids(after).some((id) => before.includes(id))).toBe(false)
      expect(after.suspendedProcesses).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("while restoring and resuming, the commit completes", () =>
    Effect.gen(function*() {
      yield* webGroup()
      yield* (yield* FakeWorld).failNext("ResumeProcesses", 2, "throttle")
      const { exit, events } = yield* interruptWhen(failedCall("ResumeProcesses"))
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect(resultOf(events)).toMatchObject({ status: "succeeded" })
      const after = yield* group("web")
      expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([2, 4, 2])
      expect(after.suspendedProcesses).toEqual([])
    }).pipe(Effect.provide(world)))
})
