import { CommitFailed } from "../../src/program/rollout/RolloutErrors.js"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import type { RolloutEvent } from "../../src/program/Events.js"
import { AutoScaling } from "../../src/services/AutoScaling.js"
import { TransientAwsError } from "../../src/services/Errors.js"
import { phaseTags } from "../../src/program/rollout/RolloutRecord.js"
import { collecting, drive, group, LT, mutatingCalls, runRollout, webGroup } from "../support/World.js"

/** The record's phase tag. */
const PHASE_KEY = Object.keys(phaseTags("terminating-old"))[0]!

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })

const ids = (g: { readonly instances: ReadonlyArray<{ readonly instanceId: string }> }) => g.instances.map((i) => i.instanceId)

/** Every instance the world ever launched into "web", terminated ones included. */
const everLaunched = Effect.map(Effect.flatMap(FakeWorld, (w) => w.snapshot), (s) => s.instances.filter((i) => i.group === "web").length)

const terminateCalls = Effect.map(Effect.flatMap(FakeWorld, (w) => w.calls), (calls) =>
  calls.filter((c) => c.operation === "TerminateInstanceInAutoScalingGroup").length)

/** Runs the rollout one simulated second at a time, keeping the lowest serving count of "web" seen at any second. */
const rollWatchingCapacity = Effect.gen(function*() {
  const w = yield* FakeWorld
  const start = yield* w.healthyCount("web")
  let lowest = start
  const events: Array<RolloutEvent> = []
  const result = yield* Effect.flatten(drive(collecting(runRollout(), events), {
    onStep: () => Effect.map(w.healthyCount("web"), (n) => void (lowest = Math.min(lowest, n)))
  }))
  return { result, events, start, lowest }
})

describe("the commit", () => {
  it.effect("terminates the old instances with decrement: the group never launches a replacement for one", () =>
    Effect.gen(function*() {
      yield* webGroup()
      expect(yield* everLaunched).toBe(2)
      const result = yield* Effect.flatten(drive(runRollout()))
      expect(result.status).toBe("succeeded")
      yield* TestClock.adjust("1 minute")
      // Without decrement AWS keeps desired where it was and launches one instance per terminated one, which the
      // restore then scales in again, by its own termination policy: only the two new instances may ever have launched.
      expect(yield* everLaunched).toBe(4)
      const after = yield* group("web")
      expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([2, 4, 2])
      expect(ids(after).sort()).toEqual(result.groups[0]!.launched.slice().sort())
    }).pipe(Effect.provide(world)))

  it.effect("raises by the running capacity where some instances already run the new spec, so serving never drops", () =>
    Effect.gen(function*() {
      yield* webGroup({ maxSize: 8 })
      // A scaling policy added two instances after the release: they run version 2 already.
      yield* (yield* FakeWorld).setSizes("web", { desiredCapacity: 4 })
      yield* TestClock.adjust("2 minutes")
      const before = yield* group("web")
      expect(before.instances.map((i) => i.launchTemplate?.version).sort()).toEqual(["1", "1", "2", "2"])
      const { result, events, start, lowest } = yield* rollWatchingCapacity
      expect(start).toBe(4)
      expect(result.status).toBe("succeeded")
      // Two of the four are outdated; the inspect step says so, and that all four are replaced.
      expect(events.some((e) => e.type === "step" && e.step === "inspect" && e.message === "2 of 4 running instances outdated; replacing 4 (capacity units)")).toBe(true)
      expect(events.some((e) => e.type === "step" && e.step === "scale-out" && e.message.includes("desired 4→8"))).toBe(true)
      expect(lowest).toBeGreaterThanOrEqual(start)
      yield* TestClock.adjust("1 minute")
      const after = yield* group("web")
      expect(after.instances.length).toBe(4)
      expect(ids(after).some((id) => ids(before).includes(id))).toBe(false)
    }).pipe(Effect.provide(world)))

  it.effect("in a group without a load balancer waits until the new instances are InService, not Pending", () =>
    Effect.gen(function*() {
      yield* webGroup({ loadBalancerNames: [] })
      const { result, start, lowest } = yield* rollWatchingCapacity
      expect(start).toBe(2)
      expect(result.status).toBe("succeeded")
      expect(lowest).toBeGreaterThanOrEqual(start)
    }).pipe(Effect.provide(world)))

  it.effect("does not terminate again an old instance that is already terminating", () =>
    Effect.gen(function*() {
      const [a, b] = ids(yield* webGroup().pipe(Effect.zipRight(group("web"))))
      // Spot reclaims b while its load balancer drains it for 300 s; the group launches a replacement at once.
      yield* (yield* FakeWorld).terminateInstance(b!)
      // AWS lists the replacement a few seconds after its launch.
      yield* TestClock.adjust("3 seconds")
      const before = yield* group("web")
      expect(before.instances.find((i) => i.instanceId === b)?.lifecycleState).toBe("Terminating")
      const replacement = ids(before).find((id) => id !== a && id !== b)!
      const result = yield* Effect.flatten(drive(runRollout()))
      expect(result.status).toBe("succeeded")
      expect(result.groups[0]!.terminated.slice().sort()).toEqual([a!, replacement].sort())
      // AWS answers a terminate of an instance that finished leaving with "Instance Id not found": one call per instance still running.
      expect(yield* terminateCalls).toBe(2)
    }).pipe(Effect.provide(FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "300 seconds" }))))

  it.effect("when it fails, the new instances stay, sizes stay raised, processes suspended and the group is tagged degraded", () =>
    Effect.gen(function*() {
      const before = ids(yield* webGroup().pipe(Effect.zipRight(group("web"))))
      // Every attempt of the first terminate of the commit fails, its retries' too.
      yield* (yield* FakeWorld).failNext("TerminateInstanceInAutoScalingGroup", 60, "transient")
      const result = yield* Effect.flatten(drive(runRollout()))
      const g = result.groups[0]!
      expect(g.status).toBe("failed")
      expect(g.reason).toContain("committing failed (TransientAwsError")
      // The same, typed: a caller matches on the tag, not on the text.
      expect(g.cause).toBeInstanceOf(CommitFailed)
      expect(g.cause).toMatchObject({ _tag: "CommitFailed", group: "web", terminated: [], error: { _tag: "TransientAwsError", operation: "TerminateInstanceInAutoScalingGroup" } })
      expect(g.terminated).toEqual([])
      expect(g.launched).toHaveLength(2)
      yield* TestClock.adjust("1 minute")
      const after = yield* group("web")
      expect(after.desiredCapacity).toBe(4)
      expect(ids(after).sort()).toEqual([...before, ...g.launched].sort())
      expect(after.suspendedProcesses.length).toBeGreaterThan(0)
      expect(after.tags["aws-ha-updater:degraded"]).toContain("committing failed")
    }).pipe(Effect.provide(world)))

  it.effect("when it fails before its first termination, on a call that is not a terminate: it names no instance as terminated", () =>
    Effect.gen(function*() {
      const before = ids(yield* webGroup().pipe(Effect.zipRight(group("web"))))
      // The record's move to "terminating-old", the commit's first change, fails for good.
      const phaseFails = Effect.updateService(AutoScaling, (asg) => ({
        ...asg,
        setTags: (name: string, tags: Readonly<Record<string, string>>) =>
          tags[PHASE_KEY] === "terminating-old"
            ? Effect.fail(new TransientAwsError({ operation: "CreateOrUpdateTags", message: "internal error" }))
            : asg.setTags(name, tags)
      }))
      const result = yield* Effect.flatten(drive(phaseFails(runRollout())))
      const g = result.groups[0]!
      expect(g.status).toBe("failed")
      expect(g.terminated).toEqual([])
      expect(g.cause).toMatchObject({ _tag: "CommitFailed", terminated: [], error: { _tag: "TransientAwsError", operation: "CreateOrUpdateTags" } })
      expect(g.reason).toContain("the new instances are healthy and no old instance is terminated yet")
      expect(yield* terminateCalls).toBe(0)
      yield* TestClock.adjust("1 minute")
      expect(ids(yield* group("web")).sort()).toEqual([...before, ...g.launched].sort())
    }).pipe(Effect.provide(world)))
})

describe("the commit's trim of surplus new instances", () => {
  it.effect("when it cannot terminate one: the result still names the old instances already gone", () =>
    Effect.gen(function*() {
      const before = ids(yield* webGroup().pipe(Effect.zipRight(group("web"))))
      const w = yield* FakeWorld
      // Every terminate of an instance the rollout launched fails: the surplus stays.
      const newOnesStay = Effect.updateService(AutoScaling, (asg) => ({
        ...asg,
        terminateInstance: (id: string, decrement: boolean) =>
          before.includes(id)
            ? asg.terminateInstance(id, decrement)
            : Effect.fail(new TransientAwsError({ operation: "TerminateInstanceInAutoScalingGroup", message: "internal error" }))
      }))
      // An old instance is lost during the wait: its replacement makes one new instance surplus.
      let second = 0
      const result = yield* Effect.flatten(drive(newOnesStay(runRollout()), {
        onStep: () => (++second === 20 ? w.terminateInstance(before[0]!) : Effect.void)
      }))
      const g = result.groups[0]!
      expect(g.status).toBe("failed")
      expect(g.terminated).toEqual([before[1]])
      expect(g.reason).toContain(`the old instances are terminated (1: ${before[1]})`)
      expect(g.cause).toMatchObject({ _tag: "CommitFailed", terminated: [before[1]], error: { _tag: "TransientAwsError" } })
    }).pipe(Effect.provide(world)))
})

describe("what the rollout replaces", () => {
  it.effect("resolves $Default to the version the instances report: a new default makes them outdated", () =>
    Effect.gen(function*() {
      yield* webGroup({ launchTemplate: { id: LT, name: "web", version: "$Default" } }, { release: false })
      const w = yield* FakeWorld
      yield* w.setLaunchTemplateVersion("web", "$Default")
      expect(yield* Effect.flatten(drive(runRollout()))).toMatchObject({ status: "up-to-date" })
      // Version 4 exists, but the default is 3: $Latest would say 4.
      yield* w.setDefaultLaunchTemplateVersion(LT, "4")
      yield* w.setDefaultLaunchTemplateVersion(LT, "3")
      const result = yield* Effect.flatten(drive(runRollout()))
      expect(result.status).toBe("succeeded")
      yield* TestClock.adjust("1 minute")
      expect((yield* group("web")).instances.map((i) => i.launchTemplate?.version)).toEqual(["3", "3"])
      expect(yield* Effect.flatten(drive(runRollout()))).toMatchObject({ status: "up-to-date" })
    }).pipe(Effect.provide(world)))

  it.effect("resolves $Latest to the highest version, not the default one", () =>
    Effect.gen(function*() {
      yield* webGroup({ launchTemplate: { id: LT, name: "web", version: "$Latest" } }, { release: false })
      const w = yield* FakeWorld
      yield* w.setDefaultLaunchTemplateVersion(LT, "3")
      expect(yield* Effect.flatten(drive(runRollout()))).toMatchObject({ status: "succeeded" })
      yield* TestClock.adjust("1 minute")
      expect((yield* group("web")).instances.map((i) => i.launchTemplate?.version)).toEqual(["3", "3"])
      // Version 4 is published, the default stays 3: the instances run the default, not $Latest.
      yield* w.setDefaultLaunchTemplateVersion(LT, "4")
      yield* w.setDefaultLaunchTemplateVersion(LT, "3")
      expect(yield* Effect.flatten(drive(runRollout()))).toMatchObject({ status: "succeeded" })
      yield* TestClock.adjust("1 minute")
      expect((yield* group("web")).instances.map((i) => i.launchTemplate?.version)).toEqual(["4", "4"])
    }).pipe(Effect.provide(world)))

  it.effect("leaves a group whose instances are all in Standby alone: no running instance to replace, no mutating call", () =>
    Effect.gen(function*() {
      yield* webGroup({ minSize: 0 })
      const w = yield* FakeWorld
      for (const i of (yield* group("web")).instances) yield* w.enterStandby(i.instanceId)
      yield* TestClock.adjust("30 seconds")
      const events: Array<RolloutEvent> = []
      const result = yield* Effect.flatten(drive(collecting(runRollout(), events)))
      expect(result.groups[0]).toMatchObject({ status: "up-to-date" })
      expect(events.some((e) => e.type === "step" && e.step === "skip" && e.message === "no running instance to replace")).toBe(true)
      expect(yield* mutatingCalls).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("a Standby instance on the old release does not make a group whose running ones are up to date roll", () =>
    Effect.gen(function*() {
      yield* webGroup({ minSize: 1, desiredCapacity: 3, maxSize: 6 }, { release: false })
      const w = yield* FakeWorld
      const [parked] = ids(yield* group("web"))
      yield* w.enterStandby(parked!)
      yield* w.setLaunchTemplateVersion("web", "2")
      expect(yield* Effect.flatten(drive(runRollout()))).toMatchObject({ status: "succeeded" })
      yield* TestClock.adjust("1 minute")
      const events: Array<RolloutEvent> = []
      const result = yield* Effect.flatten(drive(collecting(runRollout(), events)))
      expect(result.groups[0]).toEqual({ name: "web", status: "up-to-date", launched: [], terminated: [], leftSuspended: [], standby: [parked] })
      expect(events.some((e) => e.type === "step" && e.step === "skip" && e.message === "all instances run the group's launch spec")).toBe(true)
    }).pipe(Effect.provide(world)))

  it.effect("leaves a group with no running instance alone, even with --replace-all, without a mutating call", () =>
    Effect.gen(function*() {
      yield* webGroup({ minSize: 0, desiredCapacity: 0 })
      const events: Array<RolloutEvent> = []
      const result = yield* Effect.flatten(drive(collecting(runRollout({ replaceAll: true }), events)))
      expect(result.groups[0]).toMatchObject({ status: "up-to-date" })
      expect(events.some((e) => e.type === "step" && e.step === "skip" && e.message === "no running instance to replace")).toBe(true)
      expect(yield* mutatingCalls).toEqual([])
    }).pipe(Effect.provide(world)))
})
