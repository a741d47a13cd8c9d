import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { recoverStack } from "../../src/program/recover/Recover.js"
import { RECORD_PREFIX } from "../../src/program/rollout/RolloutRecord.js"
import type { RolloutEvent } from "../../src/program/Events.js"
import { AutoScaling } from "../../src/services/AutoScaling.js"
import { collecting, drive, group, STACK, webGroup } from "../support/World.js"
import { afterCalls, rolloutKilledAt } from "./Kill.js"

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })

const ids = (g: { readonly instances: ReadonlyArray<{ readonly instanceId: string }> }) => g.instances.map((i) => i.instanceId).sort()
const recordTags = (tags: Readonly<Record<string, string>>) => Object.keys(tags).filter((k) => k.startsWith(RECORD_PREFIX))

describe("recover that can neither complete nor safely roll back", () => {
  it.effect("fails, keeps every new instance and the record, and changes nothing it cannot undo", () =>
    Effect.gen(function*() {
      yield* webGroup()
      const w = yield* FakeWorld
      // Killed after retiring one old instance: one old and two new instances are left.
      yield* rolloutKilledAt(afterCalls("TerminateInstanceInAutoScalingGroup", 1), Effect.void)
      yield* TestClock.adjust("30 seconds")
      const killed = yield* group("web")
      const fresh = killed.instances.filter((i) => i.launchTemplate?.version === "2").map((i) => i.instanceId)
      expect(fresh).toHaveLength(2)
      // One new instance fails its load balancer's checks for good: the wait cannot end well.
      yield* w.makeUnhealthy(fresh[0]!)
      const result = yield* Effect.flatten(drive(recoverStack(STACK, { force: true, mode: "auto", healthyTimeout: "120 seconds", pollInterval: "5 seconds" })))
      const g = result.groups[0]!
      expect(g.status).toBe("failed")
      expect(g.reason).toContain("rolling back would drop serving capacity (1 old capacity left)")
      expect(g.terminated).toEqual([])
      // The record stays, and with it the processes to resume: the next recover resumes them, not the operator.
      expect(g.leftSuspended).toEqual([])
      yield* TestClock.adjust("1 minute")
      const after = yield* group("web")
      expect(ids(after)).toEqual(ids(killed))
      expect(recordTags(after.tags).length).toBeGreaterThan(0)
      expect(after.desiredCapacity).toBe(killed.desiredCapacity)
    }).pipe(Effect.provide(world)))

  it.effect("with every old instance gone, processes resumed by hand are suspended again before the wait", () =>
    Effect.gen(function*() {
      yield* webGroup()
      const w = yield* FakeWorld
      // Killed after retiring both old instances: only the two new ones are left.
      yield* rolloutKilledAt(afterCalls("TerminateInstanceInAutoScalingGroup", 2), Effect.void)
      yield* TestClock.adjust("30 seconds")
      const fresh = (yield* group("web")).instances.map((i) => i.instanceId)
      expect(fresh).toHaveLength(2)
      yield* Effect.flatMap(AutoScaling, (asg) => asg.resumeProcesses("web", ["ReplaceUnhealthy"]))
      yield* w.makeUnhealthy(fresh[0]!)
      const events: Array<RolloutEvent> = []
      const result = yield* Effect.flatten(drive(collecting(recoverStack(STACK, { force: true, mode: "auto", healthyTimeout: "120 seconds", pollInterval: "5 seconds" }), events)))
      expect(result.groups[0]).toMatchObject({ status: "failed", terminated: [] })
      expect(events.flatMap((e) => (e.type === "step" && e.step === "suspend" ? [e.message] : []))).toEqual(["suspending ReplaceUnhealthy"])
      expect((yield* group("web")).suspendedProcesses).toContain("ReplaceUnhealthy")
    }).pipe(Effect.provide(world)))
})
