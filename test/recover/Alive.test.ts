import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { recoverStack } from "../../src/program/recover/Recover.js"
import { defaultRecoverOptions } from "../../src/program/recover/RecoverView.js"
import { claimKey, encodeStamp } from "../../src/program/rollout/RolloutRecord.js"
import { stackStatus } from "../../src/program/recover/Status.js"
import { AutoScaling } from "../../src/services/AutoScaling.js"
import { describeFailure } from "../../src/cli/Failures.js"
import { drive, group, mutatingCalls, runRollout, STACK, webGroup } from "../support/World.js"
import { cli } from "./Cli.js"
import { afterCalls, rolloutKilledAt } from "./Kill.js"

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })

/** The commands load their programs with a dynamic import, which takes real time while the TestClock steps: load it first. */
const warm = Effect.promise(() => import("../../src/cli/Programs.js"))

const ourTags = (tags: Readonly<Record<string, string>>) => Object.keys(tags).filter((k) => k.startsWith("aws-ha-updater:"))

describe("recover and a rollout that may still be alive", () => {
  it.effect("refuses a live rollout (fresh heartbeat) with exit 2 and no mutating call; the live run then finishes", () =>
    Effect.gen(function*() {
      yield* webGroup()
      const run = yield* Effect.fork(runRollout())
      yield* TestClock.adjust("70 seconds")
      const shown = (yield* stackStatus(STACK)).groups[0]
      expect(shown).toMatchObject({ state: "in-rollout", heartbeatEverySeconds: 30 })
      // Renewed at 30 s and 60 s: ten seconds old now, not seventy.
      expect(shown?.state === "in-rollout" && shown.heartbeatAgeSeconds).toBe(10)
      const before = (yield* mutatingCalls).length
      const refused = yield* Effect.flip(recoverStack(STACK))
      expect(refused).toMatchObject({
        _tag: "RolloutHeld",
        group: "web",
        reason: "its rollout record's heartbeat is 10 s old (renewed every 30 s), so its run looks alive: recover takes over only with --force"
      })
      expect(describeFailure(refused)).toMatchObject({ code: 2 })
      expect(describeFailure(refused).line).toContain("another rollout holds group web")
      expect((yield* mutatingCalls).length).toBe(before)
      for (let i = 0; i < 100 && Option.isNone(yield* Fiber.poll(run)); i++) yield* TestClock.adjust("5 seconds")
      const done = yield* Fiber.await(run)
      expect(Exit.isSuccess(done) && done.value.status).toBe("succeeded")
      expect(ourTags((yield* group("web")).tags)).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("takes over a killed run's record with --force at once, and without it once the heartbeat is stale", () =>
    Effect.gen(function*() {
      yield* webGroup()
      yield* rolloutKilledAt(afterCalls("UpdateAutoScalingGroup", 1), Effect.void)
      const before = (yield* mutatingCalls).length
      const refused = yield* Effect.exit(recoverStack(STACK))
      expect(Exit.isFailure(refused) && JSON.stringify(refused.cause)).toContain("RolloutHeld")
      expect((yield* mutatingCalls).length).toBe(before)
      // Three intervals of 30 s without a renewal: the run is gone.
      yield* TestClock.adjust("90 seconds")
      const stale = (yield* stackStatus(STACK)).groups[0]
      expect(stale?.state === "in-rollout" && stale.heartbeatAgeSeconds).toBeGreaterThanOrEqual(90)
      const recovered = yield* Effect.flatten(drive(recoverStack(STACK)))
      expect(recovered.status).not.toBe("failed")
      expect(ourTags((yield* group("web")).tags)).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("--force recovers a record whose heartbeat is fresh", () =>
    Effect.gen(function*() {
      yield* webGroup()
      yield* warm
      yield* rolloutKilledAt(afterCalls("UpdateAutoScalingGroup", 1), Effect.void)
      const r = yield* cli("recover", ["shop", "--force"])
      // Nothing new was healthy yet: auto rolls back (exit 3), which puts the group back as it was.
      expect(r.code).toBe(3)
      const after = yield* group("web")
      expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([2, 4, 2])
      expect(ourTags(after.tags)).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("a stale claim without a record (a run that died before its first change) is shown, blocks a rollout, and recover removes it", () =>
    Effect.gen(function*() {
      yield* warm
      yield* webGroup()
      yield* (yield* AutoScaling).setTags("web", { [claimKey("dead-run")]: encodeStamp({ at: yield* Clock.currentTimeMillis, everySeconds: 30 }) })
      yield* TestClock.adjust("2 minutes")
      expect((yield* stackStatus(STACK)).groups[0]).toMatchObject({ state: "claimed", runs: ["dead-run"] })
      const blocked = yield* cli("update-asgs", ["shop"])
      expect(blocked.code).toBe(2)
      expect(blocked.err[0]).toContain("another rollout holds group web (run dead-run)")
      const r = yield* Effect.flatten(drive(recoverStack(STACK, defaultRecoverOptions)))
      expect(r.groups[0]?.reason).toContain("removed 1 leftover claim")
      expect(ourTags((yield* group("web")).tags)).toEqual([])
      expect((yield* stackStatus(STACK)).groups[0]).toMatchObject({ state: "clean" })
    }).pipe(Effect.provide(world)))
})
