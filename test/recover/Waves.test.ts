import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import type { RolloutEvent } from "../../src/program/Events.js"
import { recoverStack } from "../../src/program/recover/Recover.js"
import { degradedTags } from "../../src/program/rollout/Degraded.js"
import { RECORD_PREFIX } from "../../src/program/rollout/RolloutRecord.js"
import { stackStatus } from "../../src/program/recover/Status.js"
import { units } from "../../src/program/rollout/Waves.js"
import { AutoScaling } from "../../src/services/AutoScaling.js"
import { collecting, drive, group, runRollout, STACK, webGroup } from "../support/World.js"
import { afterCalls, haWatch, type KillPoint, KILLED_JUST_NOW, killedAt, logLine, PHASE_TAG, rolloutKilledAt } from "./Kill.js"
import { standbyOneZoneAtLastTerminate } from "../support/Operator.js"

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })

const ids = (g: { readonly instances: ReadonlyArray<{ readonly instanceId: string }> }) => g.instances.map((i) => i.instanceId).sort()
const recordTags = (tags: Readonly<Record<string, string>>) => Object.keys(tags).filter((k) => k.startsWith(RECORD_PREFIX))
const WAVE_TAG = `${RECORD_PREFIX}:wave`

/** Four instances replaced two at a time, each wave baked for a minute: wave 2 is the middle of the story. */
const WAVES = { maxSurge: units(2), bake: "60 seconds" } as const

/** The record says wave `n` is in `phase` (and `also` holds): the rollout dies at its next call. */
const inWave = (n: number, phase: string, also?: KillPoint): KillPoint =>
  Effect.gen(function*() {
    const tags = (yield* group("web")).tags
    if (tags[WAVE_TAG] !== String(n) || tags[PHASE_TAG] !== phase) return false
    return also === undefined ? true : yield* also
  })

const servingAtLeast = (n: number): KillPoint => Effect.map(Effect.flatMap(FakeWorld, (w) => w.healthyCount("web")), (c) => c >= n)

/**
 * A group of 4 gets a release and is rolled in waves of 2; the run dies in wave 2 at `when`; status shows the wave;
 * recover finishes or undoes wave 2 only. Wave 1's new instances run on in either case, serving capacity never dips.
 */
const killInWave2 = (
  when: KillPoint,
  expected: {
    readonly phase: string
    readonly outcome: "succeeded" | "rolled-back"
    readonly oldLeft?: number
    /** What recover says, line by line (`logLine`). */
    readonly transcript: ReadonlyArray<string>
  }
) =>
  Effect.gen(function*() {
    yield* webGroup({ minSize: 2, maxSize: 10, desiredCapacity: 4, suspendedProcesses: ["AZRebalance"] })
    const w = yield* FakeWorld
    const before = yield* group("web")
    const ha = yield* haWatch
    expect(ha.start).toBe(4)
    const killed = yield* rolloutKilledAt(when, ha.check, WAVES)
    expect(killed.phase).toBe(expected.phase)
    const inRollout = (yield* stackStatus(STACK)).groups[0]
    expect(inRollout).toMatchObject({ state: "in-rollout", phase: expected.phase, needed: 2, wave: { number: 2, newRelease: 2, oldLeft: expected.oldLeft ?? 2 } })
    // Wave 1 was committed: its two new instances serve and two old ones are gone.
    const wave1 = (yield* group("web")).instances.filter((i) => i.launchTemplate?.version === "2" && i.lifecycleState === "InService").length
    expect(wave1).toBeGreaterThanOrEqual(2)

    const events: Array<RolloutEvent> = []
    const t0 = yield* Clock.currentTimeMillis
    const result = yield* Effect.flatten(drive(
      collecting(recoverStack(STACK, { force: true, mode: "auto", healthyTimeout: "600 seconds", pollInterval: "5 seconds" }), events),
      { onStep: () => ha.check }
    ))
    expect(events.map(logLine(t0)).filter((l) => l !== undefined)).toEqual(expected.transcript)
    for (let i = 0; i < 30; i++) {
      yield* TestClock.adjust("1 second")
      yield* ha.check
    }
    expect(result.groups[0]?.status).toBe(expected.outcome)
    expect(yield* ha.lowest).toBeGreaterThanOrEqual(ha.start)
    const after = yield* group("web")
    expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([before.minSize, before.maxSize, before.desiredCapacity])
    expect(after.suspendedProcesses).toEqual(["AZRebalance"])
    expect(recordTags(after.tags)).toEqual([])
    const versions = after.instances.map((i) => `${i.lifecycleState} v${i.launchTemplate?.version}`).sort()
    expect(versions).toEqual(
      expected.outcome === "succeeded"
        ? ["InService v2", "InService v2", "InService v2", "InService v2"]
        : ["InService v1", "InService v1", "InService v2", "InService v2"]
    )
    // The old instances left are among those the group had: none was launched anew from the old release.
    expect(ids(after).filter((id) => !ids(before).includes(id))).toHaveLength(expected.outcome === "succeeded" ? 4 : 2)
    expect(yield* w.healthyCount("web")).toBe(4)
    expect((yield* stackStatus(STACK)).groups[0]).toEqual({ name: "web", logicalId: "Web", state: "clean" })
    return { result, events }
  })

describe("kill -9 in each phase of a middle wave, then recover", () => {
  it.effect("as wave 2 scales out: recover rolls back wave 2 only", () =>
    killInWave2(inWave(2, "scaling-out"), {
      phase: "scaling-out",
      outcome: "rolled-back",
      transcript: [
        "t+0s roll-back: recover: rolling back wave 2 (phase scaling-out): not enough new instances are healthy now and the old ones all still run (0 of 2 new capacity healthy, 2 old capacity still running)",
        "t+0s roll-back: no new instance to terminate",
        "t+0s resume: resuming InstanceRefresh, ReplaceUnhealthy, ScheduledActions",
        "t+0s restore: rollout record removed",
        "t+0s result: rolled-back; terminated none; rolled back: not enough new instances are healthy now and the old ones all still run (0 of 2 new capacity healthy, 2 old capacity still running); the 2 new instance(s) of the 1 committed wave(s) stay"
      ]
    }).pipe(Effect.provide(world)))

  it.effect("while wave 2 waits, its new instances not yet healthy: recover rolls back wave 2 only", () =>
    killInWave2(inWave(2, "waiting", afterCalls("DescribeInstanceHealth", 12)), {
      phase: "waiting",
      outcome: "rolled-back",
      transcript: [
        "t+0s roll-back: recover: rolling back wave 2 (phase waiting): not enough new instances are healthy now and the old ones all still run (0 of 2 new capacity healthy, 2 old capacity still running)",
        "t+0s roll-back: terminated new instance(s): i-00000000000000007, i-00000000000000008",
        "t+0s resume: resuming InstanceRefresh, ReplaceUnhealthy, ScheduledActions",
        "t+0s restore: rollout record removed",
        "t+0s result: rolled-back; terminated i-00000000000000007, i-00000000000000008; rolled back: not enough new instances are healthy now and the old ones all still run (0 of 2 new capacity healthy, 2 old capacity still running); the 2 new instance(s) of the 1 committed wave(s) stay"
      ]
    }).pipe(
      // The result says what stays: wave 1's new instances, committed.
      Effect.tap(({ result }) => {
        const r = result.groups[0]!
        expect(r.reason).toMatch(/^rolled back: .+; the 2 new instance\(s\) of the 1 committed wave\(s\) stay$/)
        expect(r.waves?.committed).toBe(1)
        expect(r.waves?.newRelease).toHaveLength(2)
      }),
      Effect.provide(world)
    ))

  it.effect("while wave 2 waits, its new instances healthy: recover completes wave 2", () =>
    killInWave2(inWave(2, "waiting", servingAtLeast(6)), {
      phase: "waiting",
      outcome: "succeeded",
      transcript: [
        "t+0s inspect: recover: completing wave 2 of the rollout (phase waiting): enough new instances are already healthy (2 of 2 new capacity healthy, 2 old capacity still running)",
        "t+0s terminate-old: terminating 2 old instance(s): i-00000000000000003, i-00000000000000004",
        "t+0s restore: min 2→2, max 12→10, desired 4→4",
        "t+0s resume: resuming InstanceRefresh, ReplaceUnhealthy, ScheduledActions",
        "t+0s restore: rollout record removed",
        "t+0s result: succeeded; terminated i-00000000000000003, i-00000000000000004; completed: enough new instances are already healthy (2 of 2 new capacity healthy, 2 old capacity still running); wave 2 finished, 0 old instance(s) still run the previous release: run update-asgs again to replace them"
      ]
    }).pipe(Effect.provide(world)))

  it.effect("while wave 2 bakes: recover completes wave 2", () =>
    killInWave2(inWave(2, "baking"), {
      phase: "baking",
      outcome: "succeeded",
      transcript: [
        "t+0s inspect: recover: completing wave 2 of the rollout (phase baking): enough new instances are already healthy (2 of 2 new capacity healthy, 2 old capacity still running)",
        "t+0s terminate-old: terminating 2 old instance(s): i-00000000000000003, i-00000000000000004",
        "t+0s restore: min 2→2, max 12→10, desired 4→4",
        "t+0s resume: resuming InstanceRefresh, ReplaceUnhealthy, ScheduledActions",
        "t+0s restore: rollout record removed",
        "t+0s result: succeeded; terminated i-00000000000000003, i-00000000000000004; completed: enough new instances are already healthy (2 of 2 new capacity healthy, 2 old capacity still running); wave 2 finished, 0 old instance(s) still run the previous release: run update-asgs again to replace them"
      ]
    }).pipe(
      // The result says how far the waves got: two committed, every new instance on the release, no old one left.
      Effect.tap(({ result }) => {
        const r = result.groups[0]!
        expect(r.reason).toMatch(/^completed: .+; wave 2 finished, 0 old instance\(s\) still run the previous release: run update-asgs again to replace them$/)
        expect(r.waves?.committed).toBe(2)
        expect(r.waves?.newRelease).toHaveLength(4)
      }),
      Effect.provide(world)
    ))

  it.effect("part-way through wave 2's terminations: recover completes wave 2", () =>
    killInWave2(afterCalls("TerminateInstanceInAutoScalingGroup", 3), {
      phase: "terminating-old",
      outcome: "succeeded",
      oldLeft: 1,
      transcript: [
        "t+0s inspect: recover: completing wave 2 of the rollout (phase terminating-old): enough new instances are already healthy (2 of 2 new capacity healthy, 1 old capacity still running)",
        "t+0s terminate-old: terminating 1 old instance(s): i-00000000000000004",
        "t+0s restore: min 2→2, max 12→10, desired 4→4",
        "t+0s resume: resuming InstanceRefresh, ReplaceUnhealthy, ScheduledActions",
        "t+0s restore: rollout record removed",
        "t+0s result: succeeded; terminated i-00000000000000004; completed: enough new instances are already healthy (2 of 2 new capacity healthy, 1 old capacity still running); wave 2 finished, 0 old instance(s) still run the previous release: run update-asgs again to replace them"
      ]
    }).pipe(Effect.provide(world)))
})

describe("kill -9 in a first wave, then recover", () => {
  it.effect("completes wave 1 only, and counts the old instances still on the previous release", () =>
    Effect.gen(function*() {
      yield* webGroup({ minSize: 2, maxSize: 10, desiredCapacity: 4 })
      yield* rolloutKilledAt(inWave(1, "baking"), Effect.void, WAVES)
      const result = yield* Effect.flatten(drive(recoverStack(STACK, { force: true, mode: "auto", healthyTimeout: "600 seconds", pollInterval: "5 seconds" })))
      const r = result.groups[0]!
      expect(r.status).toBe("succeeded")
      expect(r.reason).toMatch(/^completed: .+; wave 1 finished, 2 old instance\(s\) still run the previous release: run update-asgs again to replace them$/)
      expect(r.waves?.committed).toBe(1)
      expect(r.waves?.newRelease).toHaveLength(2)
      yield* TestClock.adjust("30 seconds")
      const after = yield* group("web")
      expect(after.instances.map((i) => `${i.lifecycleState} v${i.launchTemplate?.version}`).sort()).toEqual([
        "InService v1",
        "InService v1",
        "InService v2",
        "InService v2"
      ])
      expect(recordTags(after.tags)).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("rolls wave 1 back: no wave was committed, so the reason names no new instance that stays", () =>
    Effect.gen(function*() {
      const before = ids(yield* webGroup({ minSize: 2, maxSize: 10, desiredCapacity: 4 }).pipe(Effect.zipRight(group("web"))))
      yield* rolloutKilledAt(inWave(1, "waiting"), Effect.void, WAVES)
      const result = yield* Effect.flatten(drive(recoverStack(STACK, { force: true, mode: "rollback", healthyTimeout: "600 seconds", pollInterval: "5 seconds" })))
      const r = result.groups[0]!
      expect(r.status).toBe("rolled-back")
      expect(r.reason).toBe("rolled back: --mode rollback (0 of 2 new capacity healthy, 2 old capacity still running)")
      expect(r.waves).toEqual({ committed: 0, newRelease: [] })
      yield* TestClock.adjust("30 seconds")
      expect(ids(yield* group("web"))).toEqual(before)
    }).pipe(Effect.provide(world)))
})

describe("interrupting a rollout in a middle wave", () => {
  it.effect("rolls back that wave only: wave 1's new instances stay, the record goes, the group is tagged degraded", () =>
    Effect.gen(function*() {
      yield* webGroup({ minSize: 2, maxSize: 10, desiredCapacity: 4 })
      const ha = yield* haWatch
      const events: Array<RolloutEvent> = []
      const fiber = yield* Effect.fork(collecting(runRollout(WAVES), events))
      for (let i = 0; i < 2000; i++) {
        yield* TestClock.adjust("1 second")
        yield* ha.check
        if (events.some((e) => e.type === "step" && e.step === "wait" && e.message.startsWith("wave 2:"))) break
      }
      yield* TestClock.adjust("20 seconds")
      yield* Fiber.interrupt(fiber)
      const result = events.find((e) => e.type === "group-result")
      expect(result).toMatchObject({ status: "interrupted", waves: { committed: 1 } })
      for (let i = 0; i < 30; i++) {
        yield* TestClock.adjust("1 second")
        yield* ha.check
      }
      expect(yield* ha.lowest).toBeGreaterThanOrEqual(ha.start)
      const after = yield* group("web")
      expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([2, 10, 4])
      expect(after.instances.map((i) => `${i.lifecycleState} v${i.launchTemplate?.version}`).sort()).toEqual([
        "InService v1",
        "InService v1",
        "InService v2",
        "InService v2"
      ])
      expect(recordTags(after.tags)).toEqual([])
    }).pipe(Effect.provide(world)))
})

describe("kill -9 in a balancing wave, then recover", () => {
  /** Three zones one at a time: the last wave leaves them 2-1-0, so a balancing wave 4 follows; it dies there. */
  const rollBackBalancingWave = (priorMarker?: string) =>
    Effect.gen(function*() {
      yield* webGroup({ minSize: 3, maxSize: 5, desiredCapacity: 3 })
      if (priorMarker !== undefined) yield* (yield* AutoScaling).setTags("web", degradedTags(priorMarker, 0, []))
      const ha = yield* haWatch
      yield* rolloutKilledAt(inWave(4, "waiting"), ha.check, { maxSurge: units(1) })
      const result = yield* Effect.flatten(drive(
        recoverStack(STACK, { force: true, mode: "rollback", healthyTimeout: "600 seconds", pollInterval: "5 seconds" }),
        { onStep: () => ha.check }
      ))
      for (let i = 0; i < 300; i++) {
        yield* TestClock.adjust("1 second")
        yield* ha.check
      }
      expect(result.groups[0]).toMatchObject({ status: "rolled-back", leftSuspended: ["AZRebalance"] })
      expect(yield* ha.lowest).toBeGreaterThanOrEqual(ha.start)
      const after = yield* group("web")
      expect(after.suspendedProcesses).toEqual(["AZRebalance"])
      expect(after.tags["aws-ha-updater:left-suspended"]).toBe("AZRebalance")
      expect(recordTags(after.tags)).toEqual([])
      return after.tags["aws-ha-updater:degraded"]
    })

  it.effect("recover rolls the balancing wave back and leaves AZRebalance suspended, with a marker saying why: nothing serving is taken", () =>
    Effect.gen(function*() {
      expect(yield* rollBackBalancingWave()).toMatch(/^AZRebalance left suspended: the zones are 2 instances apart/)
    }).pipe(Effect.provide(world)))

  it.effect("a marker an earlier failed run left keeps its reason, the held AZRebalance's reason after it", () =>
    Effect.gen(function*() {
      expect(yield* rollBackBalancingWave("rolled back: the release never became healthy"))
        .toMatch(/^rolled back: the release never became healthy; AZRebalance left suspended: the zones are 2 instances apart/)
    }).pipe(Effect.provide(world)))
})

describe("kill -9 as the last wave's commit holds AZRebalance", () => {
  it.effect("right after the marker is written: the record is still there, and recover finishes once the zones are even", () =>
    Effect.gen(function*() {
      // Six in three zones, two each, in two waves of three; as the last old instance goes, the operator takes both
      // instances of one zone out to Standby, so the commit holds AZRebalance.
      yield* webGroup({ minSize: 2, maxSize: 20, desiredCapacity: 6 })
      const w = yield* FakeWorld
      const before = ids(yield* group("web"))
      const standbyAtLastTerminate = standbyOneZoneAtLastTerminate(w, before)
      const marked: KillPoint = Effect.map(group("web"), (g) => g.tags["aws-ha-updater:degraded"] !== undefined)
      yield* killedAt(marked, Effect.void, standbyAtLastTerminate(runRollout({ maxSurge: units(3) })))
      const killed = yield* group("web")
      expect(killed.tags["aws-ha-updater:degraded"]).toMatch(/^AZRebalance left suspended: the zones are 2 instances apart/)
      expect(killed.tags[PHASE_TAG]).toBe("restoring")
      expect(killed.suspendedProcesses).toEqual(["AZRebalance"])

      // The operator's work is done: the two come back, and the zones are even again.
      yield* TestClock.adjust("30 seconds")
      const inStandby = (yield* group("web")).instances.filter((i) => i.lifecycleState === "Standby")
      expect(inStandby).toHaveLength(2)
      for (const i of inStandby) yield* w.exitStandby(i.instanceId)
      const result = yield* Effect.flatten(drive(recoverStack(STACK, KILLED_JUST_NOW)))
      expect(result.groups[0]).toMatchObject({ status: "succeeded", leftSuspended: [] })
      const after = yield* group("web")
      expect(after.suspendedProcesses).toEqual([])
      expect(after.tags["aws-ha-updater:degraded"]).toBeUndefined()
      expect(recordTags(after.tags)).toEqual([])
    }).pipe(Effect.provide(world)))
})
