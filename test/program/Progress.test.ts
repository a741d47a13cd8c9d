import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import type { RolloutEvent } from "../../src/program/Events.js"
import { collecting, drive, runRollout, webGroup } from "../support/World.js"

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })

type Progress = Extract<RolloutEvent, { readonly type: "progress" }>
const progressOf = (events: ReadonlyArray<RolloutEvent>) => events.filter((e): e is Progress => e.type === "progress")

describe("progress while waiting", () => {
  it.effect("counts the old and new instances in the group, the healthy and needed capacity, and the time left", () =>
    Effect.gen(function*() {
      // A clock well past its epoch: the time left is counted from the wait's start, not from zero.
      yield* TestClock.adjust("1 hour")
      yield* webGroup()
      const events: Array<RolloutEvent> = []
      const result = yield* Effect.flatten(drive(collecting(runRollout({ healthyTimeout: "600 seconds" }), events)))
      expect(result.status).toBe("succeeded")
      const progress = progressOf(events)
      expect(progress.length).toBeGreaterThan(3)
      expect(progress[0]).toMatchObject({ group: "web", oldCount: 2, newCount: 2, healthy: 0, needed: 2 })
      expect(progress.at(-1)).toMatchObject({ oldCount: 2, newCount: 2, healthy: 2, needed: 2 })
      // The time left counts down from the timeout by the time that passed.
      for (const p of progress) expect(p.timeLeft).toBe(600_000 - (p.at - progress[0]!.at) - (600_000 - progress[0]!.timeLeft))
      expect(progress[0]!.timeLeft).toBeGreaterThan(590_000)
      expect(progress.at(-1)!.timeLeft).toBeLessThan(progress[0]!.timeLeft - 60_000)
    }).pipe(Effect.provide(world)))

})
