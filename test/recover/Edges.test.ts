import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { DEGRADED_TAG, DEGRADED_TAGS, degradedTags } from "../../src/program/rollout/Degraded.js"
import type { RolloutEvent } from "../../src/program/Events.js"
import { recoverStack } from "../../src/program/recover/Recover.js"
import { decide } from "../../src/program/recover/RecoverView.js"
import { processesToSuspend } from "../../src/program/rollout/Rollout.js"

/** What a failed rollout leaves suspended: scaling too. */
const PROCESSES_TO_SUSPEND = processesToSuspend(true)
import { RECORD_PREFIX } from "../../src/program/rollout/RolloutRecord.js"
import { stackStatus } from "../../src/program/recover/Status.js"
import { AutoScaling } from "../../src/services/AutoScaling.js"
import { collecting, drive, group, mutatingCalls, STACK, twoGroups, webGroup } from "../support/World.js"
import { cli } from "./Cli.js"
import { afterCalls, COMPLETING, healthyNew, KILLED_JUST_NOW, killedAt, PHASE_TAG, rolloutKilledAt } from "./Kill.js"

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })

const tag = (name: string) => `${RECORD_PREFIX}:${name}`
const recordTags = (tags: Readonly<Record<string, string>>) => Object.keys(tags).filter((k) => k.startsWith(RECORD_PREFIX))
const ids = (g: { readonly instances: ReadonlyArray<{ readonly instanceId: string }> }) => g.instances.map((i) => i.instanceId)
const damage = (keys: ReadonlyArray<string>) => Effect.flatMap(AutoScaling, (asg) => asg.deleteTags("web", keys))

describe("a damaged record", () => {
  it.effect("written only in part while suspending: every instance not listed as old counts as new, the sizes are the current ones", () =>
    Effect.gen(function*() {
      yield* webGroup()
      const w = yield* FakeWorld
      yield* rolloutKilledAt(afterCalls("SuspendProcesses", 1), Effect.void)
      const [lost, kept] = ids(yield* group("web"))
      // An old instance dies on its own; the group, still launching, replaces it with one the record never saw.
      yield* w.terminateInstance(lost!)
      yield* TestClock.adjust("15 seconds")
      const replacement = ids(yield* group("web")).find((id) => id !== kept)!
      yield* damage([tag("id"), tag("started"), tag("sizes")])

      expect((yield* stackStatus(STACK)).groups[0]).toMatchObject({ state: "damaged-record", phase: "suspending", usable: true })
      const events: Array<RolloutEvent> = []
      const result = yield* Effect.flatten(drive(collecting(recoverStack(STACK, KILLED_JUST_NOW), events)))
      expect(result.groups[0]).toMatchObject({ status: "rolled-back", terminated: [replacement] })
      // The record still names the processes it suspended: nothing said about them.
      const warnings = events.flatMap((e) => (e.type === "warning" ? [e.message] : []))
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatch(/; every instance not listed as old counts as new$/)
      yield* TestClock.adjust("30 seconds")
      const after = yield* group("web")
      expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([2, 4, 2])
      expect(ids(after)).toContain(kept)
      expect(ids(after)).not.toContain(replacement)
      expect(after.suspendedProcesses).toEqual([])
      expect(recordTags(after.tags)).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("without the processes it suspended: none is resumed, and the warning says so", () =>
    Effect.gen(function*() {
      yield* webGroup({ suspendedProcesses: ["AZRebalance"] })
      yield* rolloutKilledAt(afterCalls("UpdateAutoScalingGroup", 1), Effect.void)
      const suspended = [...(yield* group("web")).suspendedProcesses].sort()
      expect(suspended.length).toBeGreaterThan(1)
      yield* damage([tag("id"), tag("ours")])
      const events: Array<RolloutEvent> = []
      const result = yield* Effect.flatten(drive(collecting(recoverStack(STACK, KILLED_JUST_NOW), events)))
      expect(result.groups[0]).toMatchObject({ status: "rolled-back" })
      expect(events.filter((e) => e.type === "warning").map((e) => e.message)).toEqual([
        expect.stringMatching(/; every instance not listed as old counts as new; the record does not say which processes it suspended, so none is resumed$/)
      ])
      const after = yield* group("web")
      expect([...after.suspendedProcesses].sort()).toEqual(suspended)
      expect(recordTags(after.tags)).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("whose old-instance list is unreadable is refused with what to check: exit 2, nothing changed", () =>
    Effect.gen(function*() {
      yield* webGroup()
      yield* rolloutKilledAt(afterCalls("UpdateAutoScalingGroup", 1), Effect.void)
      yield* damage([tag("old-0")])
      expect((yield* stackStatus(STACK)).groups[0]).toMatchObject({ state: "damaged-record", usable: false })
      const before = (yield* mutatingCalls).length
      const r = yield* cli("recover", ["shop", "--force"])
      expect(r.code).toBe(2)
      expect(r.err).toHaveLength(1)
      expect(r.err[0]).toContain("group web carries a damaged rollout record: the list of old instance ids")
      expect(r.err[0]).toContain("check by hand which instances run the group's previous launch template")
      expect((yield* mutatingCalls).length).toBe(before)
    }).pipe(Effect.provide(world)))

  it.effect("whose sizes are unreadable after the scale-out is refused: exit 2, nothing changed", () =>
    Effect.gen(function*() {
      yield* webGroup()
      yield* rolloutKilledAt(afterCalls("UpdateAutoScalingGroup", 1), Effect.void)
      yield* damage([tag("sizes")])
      const before = (yield* mutatingCalls).length
      const r = yield* cli("recover", ["shop", "--force"])
      expect(r.code).toBe(2)
      expect(r.err[0]).toContain("the original sizes (tag aws-ha-updater:rollout:sizes) are unreadable")
      expect((yield* mutatingCalls).length).toBe(before)
    }).pipe(Effect.provide(world)))
})

describe("a rollout killed in its own roll-back", () => {
  it.effect("after it tagged the group degraded: recover finishes, keeps the marker and what the marker keeps suspended", () =>
    Effect.gen(function*() {
      yield* webGroup()
      yield* (yield* FakeWorld).markNeverHealthy({ launchTemplateId: "lt-0123456789abcdef0", version: "2" })
      // The claim, the record, scaling-out, waiting, rolling-back, then the degraded marker: the sixth
      // CreateOrUpdateTags (no heartbeat is due within the hour).
      yield* rolloutKilledAt(afterCalls("CreateOrUpdateTags", 6), Effect.void, { healthyTimeout: "120 seconds", heartbeatInterval: "1 hour" })
      const killed = yield* group("web")
      expect(killed.tags[PHASE_TAG]).toBe("rolling-back")
      expect(killed.tags[DEGRADED_TAG]).toContain("timed out")
      const result = yield* Effect.flatten(drive(recoverStack(STACK, KILLED_JUST_NOW)))
      expect(result.groups[0]).toMatchObject({ status: "rolled-back", terminated: [] })
      expect([...result.groups[0]!.leftSuspended].sort()).toEqual([...PROCESSES_TO_SUSPEND].sort())
      const after = yield* group("web")
      expect([...after.suspendedProcesses].sort()).toEqual([...PROCESSES_TO_SUSPEND].sort())
      expect(after.tags[DEGRADED_TAG]).toContain("timed out")
      expect(recordTags(after.tags)).toEqual([])
      expect((yield* stackStatus(STACK)).groups[0]).toMatchObject({ state: "degraded" })
    }).pipe(Effect.provide(world)))
})

describe("a rollout killed in its own roll-back, once that suspended Launch", () => {
  it.effect("names Launch in its record, and recover leaves Launch running", () =>
    Effect.gen(function*() {
      yield* webGroup()
      yield* (yield* FakeWorld).markNeverHealthy({ launchTemplateId: "lt-0123456789abcdef0", version: "2" })
      // The rollout's SuspendProcesses, then its roll-back's (the scaling process and Launch): killed at the call after.
      yield* rolloutKilledAt(afterCalls("SuspendProcesses", 2), Effect.void, { healthyTimeout: "120 seconds" })
      const killed = yield* group("web")
      expect(killed.tags[PHASE_TAG]).toBe("rolling-back")
      expect(killed.suspendedProcesses).toContain("Launch")
      expect(killed.tags[tag("ours")]?.split(",")).toContain("Launch")
      const result = yield* Effect.flatten(drive(recoverStack(STACK, KILLED_JUST_NOW)))
      expect(result.groups[0]).toMatchObject({ status: "rolled-back" })
      const after = yield* group("web")
      expect(after.suspendedProcesses).not.toContain("Launch")
      expect(recordTags(after.tags)).toEqual([])
    }).pipe(Effect.provide(world)))
})

describe("interrupting recover", () => {
  it.effect("while it waits leaves the record for the next recover, which then finishes the job", () =>
    Effect.gen(function*() {
      yield* webGroup()
      yield* rolloutKilledAt(afterCalls("SuspendProcesses", 1), Effect.void)
      const events: Array<RolloutEvent> = []
      const fiber = yield* Effect.fork(collecting(recoverStack(STACK, COMPLETING), events))
      for (let i = 0; i < 100 && !events.some((e) => e.type === "step" && e.step === "wait"); i++) yield* TestClock.adjust("1 second")
      yield* TestClock.adjust("20 seconds")
      yield* Fiber.interrupt(fiber)
      expect(events.find((e) => e.type === "group-result")).toMatchObject({
        status: "interrupted",
        launched: [],
        terminated: [],
        reason: "interrupted before the group was finished: the record stays; run recover again",
        leftSuspended: []
      })
      expect((yield* group("web")).tags[PHASE_TAG]).toBe("waiting")

      const again = yield* Effect.flatten(drive(recoverStack(STACK, COMPLETING)))
      expect(again.groups[0]?.status).toBe("succeeded")
      yield* TestClock.adjust("30 seconds")
      const after = yield* group("web")
      expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([2, 4, 2])
      expect(after.instances.map((i) => i.launchTemplate?.version)).toEqual(["2", "2"])
      expect(recordTags(after.tags)).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("during its terminate step finishes that step, restores and clears the record before it stops", () =>
    Effect.gen(function*() {
      yield* webGroup()
      const w = yield* FakeWorld
      yield* rolloutKilledAt(healthyNew, Effect.void)
      yield* w.failNext("TerminateInstanceInAutoScalingGroup", 2, "throttle")
      const events: Array<RolloutEvent> = []
      const fiber = yield* Effect.fork(collecting(recoverStack(STACK, KILLED_JUST_NOW), events))
      let throttled = false
      for (let i = 0; i < 1000 && !throttled; i++) {
        yield* TestClock.adjust("100 millis")
        throttled = (yield* w.calls).some((c) => c.operation === "TerminateInstanceInAutoScalingGroup" && c.failed)
      }
      expect(throttled).toBe(true)
      yield* Fiber.interruptFork(fiber)
      const exit = yield* Effect.flatten(drive(Effect.exit(Fiber.join(fiber)), { step: "100 millis" }))
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect(events.filter((e) => e.type === "group-result")).toMatchObject([{ status: "succeeded" }])
      yield* TestClock.adjust("30 seconds")
      const after = yield* group("web")
      expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([2, 4, 2])
      expect(after.instances.map((i) => i.launchTemplate?.version)).toEqual(["2", "2"])
      expect(after.suspendedProcesses).toEqual([])
      expect(recordTags(after.tags)).toEqual([])
    }).pipe(Effect.provide(world)))
})

describe("auto's choice", () => {
  const view = (o: { oldCapacity: number; healthy: number }) => ({ oldIds: [], newIds: [], needed: 2, ...o })

  it("completes what was committing, and never rolls back over new instances that serve in place of lost old ones", () => {
    expect(decide("auto", view({ oldCapacity: 0, healthy: 1 }), "terminating-old").action).toBe("complete")
    expect(decide("auto", view({ oldCapacity: 1, healthy: 1 }), "waiting").action).toBe("complete")
    expect(decide("auto", view({ oldCapacity: 1, healthy: 0 }), "waiting").action).toBe("rollback")
    expect(decide("auto", view({ oldCapacity: 2, healthy: 0 }), "restoring").action).toBe("rollback")
    expect(decide("auto", view({ oldCapacity: 2, healthy: 1 }), "terminating-old").action).toBe("rollback")
    expect(decide("rollback", view({ oldCapacity: 2, healthy: 2 }), "waiting").action).toBe("rollback")
  })
})

describe("restoring the sizes", () => {
  /** A rollout killed once it had put the sizes back, then one size changed by hand: recover puts that one back too. */
  const changedThenRecovered = (change: { readonly minSize: number; readonly maxSize: number; readonly desiredCapacity: number }, launchHeld: boolean) =>
    Effect.gen(function*() {
      yield* webGroup()
      yield* rolloutKilledAt(afterCalls("UpdateAutoScalingGroup", 3), Effect.void)
      expect((yield* group("web")).tags[PHASE_TAG]).toBe("restoring")
      const asg = yield* AutoScaling
      // Launch held, so that a raised desired capacity launches nothing recover would count as new.
      if (launchHeld) yield* asg.suspendProcesses("web", ["Launch"])
      yield* asg.updateSizes("web", change)
      const events: Array<RolloutEvent> = []
      const result = yield* Effect.flatten(drive(collecting(recoverStack(STACK, KILLED_JUST_NOW), events)))
      expect(result.groups[0]).toMatchObject({ status: "succeeded", terminated: [] })
      const after = yield* group("web")
      expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([2, 4, 2])
      return events.flatMap((e) => e.type === "step" && e.step === "restore" ? [e.message] : [])
    })

  it.effect("puts back a minimum that alone differs from the record's", () =>
    Effect.gen(function*() {
      const restored = yield* changedThenRecovered({ minSize: 1, maxSize: 4, desiredCapacity: 2 }, false)
      expect(restored).toEqual(["min 1→2, max 4→4, desired 2→2", "rollout record removed"])
    }).pipe(Effect.provide(world)))

  it.effect("puts back a desired capacity that alone differs from the record's", () =>
    Effect.gen(function*() {
      const restored = yield* changedThenRecovered({ minSize: 2, maxSize: 4, desiredCapacity: 3 }, true)
      expect(restored).toEqual(["min 2→2, max 4→4, desired 3→2", "rollout record removed"])
    }).pipe(Effect.provide(world)))
})

describe("a group marked degraded by an earlier failed run", () => {
  it.effect("is clean again once recover completes a later rollout: the marker goes with the record, and recover says so", () =>
    Effect.gen(function*() {
      yield* webGroup()
      yield* (yield* AutoScaling).setTags("web", degradedTags("rolled back: the release never became healthy", 0, []))
      yield* rolloutKilledAt(healthyNew, Effect.void)
      const events: Array<RolloutEvent> = []
      const result = yield* Effect.flatten(drive(collecting(recoverStack(STACK, KILLED_JUST_NOW), events)))
      expect(result.groups[0]).toMatchObject({ status: "succeeded" })
      expect(events.flatMap((e) => e.type === "step" && e.step === "restore" ? [e.message] : [])).toEqual([
        "min 2→2, max 6→4, desired 2→2",
        "rollout record removed, degraded marker cleared"
      ])
      const after = yield* group("web")
      expect(DEGRADED_TAGS.filter((k) => after.tags[k] !== undefined)).toEqual([])
      expect((yield* stackStatus(STACK)).groups[0]).toEqual({ name: "web", logicalId: "Web", state: "clean" })
    }).pipe(Effect.provide(world)))
})

describe("recover killed in its own roll-back", () => {
  it.effect("once it suspended Launch: the record names Launch among the processes to resume, and the next recover resumes it", () =>
    Effect.gen(function*() {
      yield* webGroup()
      yield* rolloutKilledAt(afterCalls("UpdateAutoScalingGroup", 1), Effect.void)
      expect((yield* group("web")).suspendedProcesses).not.toContain("Launch")
      // The rollout's one SuspendProcesses, then the roll-back's own (Launch): killed at the call after it.
      yield* killedAt(afterCalls("SuspendProcesses", 2), Effect.void, recoverStack(STACK, { ...KILLED_JUST_NOW, mode: "rollback" }))
      const killed = yield* group("web")
      expect(killed.suspendedProcesses).toContain("Launch")
      expect(killed.tags[PHASE_TAG]).toBe("rolling-back")
      expect(killed.tags[tag("ours")]?.split(",")).toContain("Launch")

      const result = yield* Effect.flatten(drive(recoverStack(STACK, KILLED_JUST_NOW)))
      expect(result.groups[0]).toMatchObject({ status: "rolled-back", leftSuspended: [] })
      const after = yield* group("web")
      expect(after.suspendedProcesses).toEqual([])
      expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([2, 4, 2])
      expect(recordTags(after.tags)).toEqual([])
    }).pipe(Effect.provide(world)))
})

describe("zones apart after a rollout without waves", () => {
  it.effect("an operator's Standby leaves the zones 2-1-0: recover resumes AZRebalance, as the commit of a rollout without waves does (only waves hold it)", () =>
    Effect.gen(function*() {
      yield* webGroup({ minSize: 1, maxSize: 10, desiredCapacity: 4 })
      const w = yield* FakeWorld
      const inC = (yield* group("web")).instances.find((i) => i.availabilityZone === "eu-west-1c")!
      yield* rolloutKilledAt(afterCalls("UpdateAutoScalingGroup", 1), Effect.void)
      // The operator takes the old instance of eu-west-1c out to Standby: once the new ones go, the zones run 2-1-0.
      yield* w.enterStandby(inC.instanceId, false)
      const events: Array<RolloutEvent> = []
      const result = yield* Effect.flatten(drive(collecting(recoverStack(STACK, { ...KILLED_JUST_NOW, mode: "rollback" }), events)))
      expect(result.groups[0]).toMatchObject({ status: "rolled-back", leftSuspended: [] })
      expect(events.filter((e) => e.type === "warning")).toEqual([])
      const after = yield* group("web")
      expect(after.instances.filter((i) => i.lifecycleState === "InService").map((i) => i.availabilityZone).sort()).toEqual(["eu-west-1a", "eu-west-1a", "eu-west-1b"])
      expect(after.suspendedProcesses).toEqual([])
      expect(DEGRADED_TAGS.filter((k) => after.tags[k] !== undefined)).toEqual([])
      expect(recordTags(after.tags)).toEqual([])
    }).pipe(Effect.provide(world)))
})

describe("processes an earlier failed run left suspended", () => {
  it.effect("one resumed by hand after the kill is not reported as left suspended; the others still are", () =>
    Effect.gen(function*() {
      yield* webGroup({ suspendedProcesses: ["ReplaceUnhealthy", "ScheduledActions"] })
      const asg = yield* AutoScaling
      yield* asg.setTags("web", degradedTags("rolled back: the release never became healthy", 0, ["ReplaceUnhealthy", "ScheduledActions"]))
      yield* rolloutKilledAt(afterCalls("UpdateAutoScalingGroup", 1), Effect.void)
      yield* asg.resumeProcesses("web", ["ReplaceUnhealthy"])
      const result = yield* Effect.flatten(drive(recoverStack(STACK, { ...KILLED_JUST_NOW, mode: "rollback" })))
      expect(result.groups[0]).toMatchObject({ status: "rolled-back", leftSuspended: ["ScheduledActions"] })
      expect((yield* group("web")).suspendedProcesses).toEqual(["ScheduledActions"])
    }).pipe(Effect.provide(world)))
})

describe("a group the stack names but Auto Scaling does not list", () => {
  it.effect("is named in a warning, and recover goes on with the others", () =>
    Effect.gen(function*() {
      yield* twoGroups({ minSize: 1, maxSize: 2, desiredCapacity: 1 })
      const events: Array<RolloutEvent> = []
      const result = yield* collecting(recoverStack(STACK, KILLED_JUST_NOW), events).pipe(
        Effect.updateService(AutoScaling, (asg) => ({
          ...asg,
          describeGroups: (names) => Effect.map(asg.describeGroups(names), (groups) => groups.filter((g) => g.name !== "api"))
        }))
      )
      expect(events.flatMap((e) => (e.type === "warning" ? [e.message] : []))).toEqual([
        "the stack names group api (Api) but Auto Scaling does not know it: nothing to recover there"
      ])
      expect(result).toEqual({
        stack: STACK,
        status: "up-to-date",
        groups: [{ name: "web", status: "up-to-date", launched: [], terminated: [], reason: "clean: no rollout record", leftSuspended: [] }],
        decisions: [{ group: "web", action: "none", why: "no rollout record" }]
      })
      expect(yield* mutatingCalls).toEqual([])
    }).pipe(Effect.provide(world)))
})
