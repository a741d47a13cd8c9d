import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import type { RolloutEvent } from "../../src/program/Events.js"
import { recoverStack } from "../../src/program/recover/Recover.js"
import { defaultRecoverOptions } from "../../src/program/recover/RecoverView.js"
import { claimKey, encodeStamp } from "../../src/program/rollout/RolloutRecord.js"
import { AutoScaling } from "../../src/services/AutoScaling.js"
import { CloudFormation } from "../../src/services/CloudFormation.js"
import { addShop, SHOP } from "../support/Stacks.js"
import { collecting, drive, group, mutatingCalls, STACK, webGroup } from "../support/World.js"
import { afterCalls, COMPLETING, KILLED_JUST_NOW, PHASE_TAG, rolloutKilledAt } from "./Kill.js"
import { groupDeletedAfter } from "../support/Operator.js"

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })

describe("recover when AWS keeps failing", () => {
  /** A rollout killed after its scale-out, then recover (a roll-back) while `operation` fails on every try. */
  const recoverWhileFailing = (operation: "DeleteTags" | "ResumeProcesses") =>
    Effect.gen(function*() {
      const before = (yield* webGroup().pipe(Effect.zipRight(group("web")))).instances.map((i) => i.instanceId)
      yield* rolloutKilledAt(afterCalls("UpdateAutoScalingGroup", 1), Effect.void)
      yield* (yield* FakeWorld).failNext(operation, 1_000, "transient")
      const events: Array<RolloutEvent> = []
      const result = yield* Effect.flatten(drive(collecting(recoverStack(STACK, KILLED_JUST_NOW), events)))
      // The roll-back's terminations were done before the call that fails: the result names them.
      const terminated = result.groups[0]!.terminated
      expect(terminated).toHaveLength(2)
      expect(terminated.filter((id) => before.includes(id))).toEqual([])
      expect(result.groups).toMatchObject([{ name: "web", status: "failed", launched: [], leftSuspended: [] }])
      expect(result.status).toBe("failed")
      expect(events.filter((e) => e.type === "group-result")).toHaveLength(1)
      // The record stays for the next recover.
      expect((yield* group("web")).tags[PHASE_TAG]).toBeDefined()
      return { reason: result.groups[0]!.reason, decision: result.decisions[0]! }
    })

  it.effect("a call that fails for good fails the group with the error and its message; the record stays", () =>
    Effect.gen(function*() {
      const { reason, decision } = yield* recoverWhileFailing("DeleteTags")
      expect(reason).toMatch(/^recover failed \(TransientAwsError: .+\) after terminating 2 instance\(s\): i-\w+, i-\w+: the record stays; run recover again$/)
      expect(decision).toMatchObject({ group: "web", action: "none" })
      expect(decision.why).toMatch(/^TransientAwsError: ./)
    }).pipe(Effect.provide(world)))

  it.effect("an error without a message of its own is told with the AWS error that caused it", () =>
    Effect.gen(function*() {
      const { reason, decision } = yield* recoverWhileFailing("ResumeProcesses")
      expect(reason).toMatch(/^recover failed \(TerminationIncomplete: TransientAwsError: .+\) after terminating 2 instance\(s\): i-\w+, i-\w+: the record stays; run recover again$/)
      expect(decision).toMatchObject({ group: "web", action: "none" })
      expect(decision.why).toMatch(/^TerminationIncomplete: TransientAwsError: ./)
    }).pipe(Effect.provide(world)))
  it.effect("a group that vanishes while recover works on it fails by name, without a message to quote", () =>
    Effect.gen(function*() {
      yield* webGroup()
      yield* rolloutKilledAt(afterCalls("UpdateAutoScalingGroup", 1), Effect.void)
      // Deleted by someone else once recover made its first change.
      const result = yield* Effect.flatten(drive(groupDeletedAfter("setTags")(recoverStack(STACK, KILLED_JUST_NOW))))
      expect(result.groups).toMatchObject([{ name: "web", status: "failed" }])
      expect(result.groups[0]!.reason).toBe("recover failed (GroupNotFound): the record stays; run recover again")
      expect(result.decisions[0]).toEqual({ group: "web", action: "none", why: "GroupNotFound" })
    }).pipe(Effect.provide(world)))
})

describe("recover's wait", () => {
  it.effect("a health read that fails for good ends the wait at once with the error, not at the healthy timeout", () =>
    Effect.gen(function*() {
      yield* webGroup()
      const w = yield* FakeWorld
      yield* rolloutKilledAt(afterCalls("UpdateAutoScalingGroup", 1), Effect.void)
      const events: Array<RolloutEvent> = []
      const t0 = yield* Clock.currentTimeMillis
      // From the wait's second round on, every health read fails.
      let armed = false
      const result = yield* Effect.flatten(drive(collecting(recoverStack(STACK, COMPLETING), events), {
        onStep: () =>
          armed || !events.some((e) => e.type === "progress")
            ? Effect.void
            : Effect.zipRight(w.failNext("DescribeInstanceHealth", 1_000, "transient"), Effect.sync(() => void (armed = true)))
      }))
      expect(armed).toBe(true)
      const r = result.groups[0]!
      expect(r).toMatchObject({ status: "failed", terminated: [] })
      expect(r.reason).toMatch(/^recover failed \(TransientAwsError: .+\): the record stays; run recover again$/)
      const ended = events.find((e) => e.type === "group-result")!.at
      expect(ended - t0).toBeLessThan(120_000)
    }).pipe(Effect.provide(world)))

  it.effect("each progress line counts down the time left from --healthy-timeout", () =>
    Effect.gen(function*() {
      yield* webGroup()
      yield* rolloutKilledAt(afterCalls("UpdateAutoScalingGroup", 1), Effect.void)
      const events: Array<RolloutEvent> = []
      const result = yield* Effect.flatten(drive(collecting(recoverStack(STACK, COMPLETING), events)))
      expect(result.groups[0]).toMatchObject({ status: "succeeded" })
      const progress = events.flatMap((e) => (e.type === "progress" ? [e] : []))
      expect(progress.length).toBeGreaterThan(5)
      expect(progress[0]!.timeLeft).toBe(600_000)
      expect(progress.map((p) => p.timeLeft + (p.at - progress[0]!.at))).toEqual(progress.map(() => 600_000))
    }).pipe(Effect.provide(world)))
})

describe("recover refuses before any change", () => {
  it.effect("a stack with an action in progress", () =>
    Effect.gen(function*() {
      yield* addShop
      yield* (yield* CloudFormation).updateStack({
        stackName: SHOP,
        template: Option.none(),
        parameters: [{ key: "AmiId", value: "ami-9" }, { key: "DbPassword", usePreviousValue: true }],
        capabilities: [],
        clientRequestToken: "someone-else"
      })
      const e = yield* Effect.flip(recoverStack(SHOP, defaultRecoverOptions))
      expect(e).toMatchObject({ _tag: "StackBusy", stackName: SHOP, status: "UPDATE_IN_PROGRESS" })
      expect(yield* mutatingCalls).toEqual(["UpdateStack"])
    }).pipe(Effect.provide(world)))

  it.effect("a claim whose stamp cannot be read is never named as the holder, listed before the live claim or after it", () =>
    Effect.gen(function*() {
      yield* webGroup()
      yield* TestClock.adjust("1 hour")
      const live = encodeStamp({ at: yield* Clock.currentTimeMillis, everySeconds: 30 })
      for (const [unreadable, run] of [["run-b", "run-c"], ["run-d", "run-c"]] as const) {
        yield* (yield* AutoScaling).setTags("web", { [claimKey(unreadable)]: "not a stamp", [claimKey(run)]: live })
        const e = yield* Effect.flip(recoverStack(STACK, defaultRecoverOptions))
        expect(e).toMatchObject({ _tag: "RolloutHeld", holder: run })
        yield* (yield* AutoScaling).deleteTags("web", [claimKey(unreadable)])
      }
    }).pipe(Effect.provide(world)))

  it.effect("a fresh claim without a record: a run between its claim and its record, named, with the claim's age", () =>
    Effect.gen(function*() {
      yield* webGroup()
      // An hour in: the claims' times are far from zero, as on a real clock.
      yield* TestClock.adjust("1 hour")
      // A stale leftover claim, listed and sorted first, and the live one: recover names the live one.
      yield* (yield* AutoScaling).setTags("web", {
        [claimKey("run-a")]: encodeStamp({ at: (yield* Clock.currentTimeMillis) - 600_000, everySeconds: 30 }),
        [claimKey("run-c")]: encodeStamp({ at: yield* Clock.currentTimeMillis, everySeconds: 30 })
      })
      yield* TestClock.adjust("12 seconds")
      const before = (yield* mutatingCalls).length
      const e = yield* Effect.flip(recoverStack(STACK, defaultRecoverOptions))
      expect(e).toMatchObject({
        _tag: "RolloutHeld",
        group: "web",
        stackName: STACK,
        holder: "run-c",
        reason: "its claim is 12 s old (renewed every 30 s), so its run looks alive: recover takes over only with --force"
      })
      expect((yield* mutatingCalls).length).toBe(before)
    }).pipe(Effect.provide(world)))
})
