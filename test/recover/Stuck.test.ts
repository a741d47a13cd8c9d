import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { recoverStack } from "../../src/program/recover/Recover.js"
import { RECORD_PREFIX } from "../../src/program/rollout/RolloutRecord.js"
import { drive, group, STACK, webGroup } from "../support/World.js"
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
      yield* TestClock.adjust("1 minute")
      const after = yield* group("web")
      expect(ids(after)).toEqual(ids(killed))
      expect(recordTags(after.tags).length).toBeGreaterThan(0)
      expect(after.desiredCapacity).toBe(killed.desiredCapacity)
    }).pipe(Effect.provide(world)))
})
