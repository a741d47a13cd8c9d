import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { DEGRADED_TAG, degradedTags } from "../../src/program/rollout/Degraded.js"
import type { RolloutEvent } from "../../src/program/Events.js"
import { processesToSuspend } from "../../src/program/rollout/Rollout.js"
import { decodeRecord, hasRecord, RECORD_PREFIX } from "../../src/program/rollout/RolloutRecord.js"
import { AutoScaling } from "../../src/services/AutoScaling.js"
import { percent, units } from "../../src/program/rollout/Waves.js"
import { CLB, collecting, drive, group, LT, mutatingCalls, runRollout, STACK, templateFor, webGroup } from "../support/World.js"
import type { StackRolloutOptions } from "../../src/program/stack/StackRollout.js"
import { standbyOneZoneAtLastTerminate } from "../support/Operator.js"

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })

const ids = (g: { readonly instances: ReadonlyArray<{ readonly instanceId: string }> }) => g.instances.map((i) => i.instanceId)
const sizes = (g: { readonly minSize: number; readonly maxSize: number; readonly desiredCapacity: number }) => [g.minSize, g.maxSize, g.desiredCapacity]
const LEAVING = /^(Terminating|Terminated)/
const live = (g: { readonly instances: ReadonlyArray<{ readonly lifecycleState: string }> }) =>
  g.instances.filter((i) => !LEAVING.test(i.lifecycleState)).length

/** A group of `n` behind the CLB, room to scale to 30. */
const bigWeb = (n: number) => webGroup({ minSize: 2, maxSize: 30, desiredCapacity: n })

/**
 * Runs the rollout one simulated second at a time; at every second checks the HA invariant (healthy serving count
 * never below the start) and keeps the highest count of instances not leaving; `onStep` acts on the world meanwhile.
 */
const rollWatching = (o: Partial<StackRolloutOptions>, onStep: (events: ReadonlyArray<RolloutEvent>) => Effect.Effect<void, never, FakeWorld> = () => Effect.void) =>
  Effect.gen(function*() {
    const w = yield* FakeWorld
    const start = yield* w.healthyCount("web")
    let lowest = start
    let highest = live(yield* group("web"))
    const events: Array<RolloutEvent> = []
    const result = yield* Effect.flatten(drive(collecting(runRollout(o), events), {
      onStep: () =>
        Effect.gen(function*() {
          lowest = Math.min(lowest, yield* w.healthyCount("web"))
          highest = Math.max(highest, live(yield* group("web")))
          yield* onStep(events)
        })
    }))
    return { result, events, start, lowest: () => lowest, highest: () => highest }
  })

/** Each terminate takes a simulated second, and the most in flight at once is kept: how many the run sends together. */
const terminatesInFlight = () => {
  let inFlight = 0
  let most = 0
  const slowTerminates = Effect.updateService(AutoScaling, (asg) => ({
    ...asg,
    terminateInstance: (id: string, decrement: boolean) =>
      Effect.sync(() => void (most = Math.max(most, ++inFlight))).pipe(
        Effect.zipRight(Effect.sleep("1 second")),
        Effect.zipRight(asg.terminateInstance(id, decrement)),
        Effect.ensuring(Effect.sync(() => void inFlight--))
      )
  }))
  return { slowTerminates, most: () => most }
}

const stepsOf = (events: ReadonlyArray<RolloutEvent>, step: string) =>
  events.flatMap((e) => (e.type === "step" && e.step === step ? [e.message] : []))

/** Once, the first time `when` holds. */
const once = (when: (events: ReadonlyArray<RolloutEvent>) => boolean, act: Effect.Effect<void, never, FakeWorld>) => {
  let done = false
  return (events: ReadonlyArray<RolloutEvent>) =>
    done || !when(events) ? Effect.void : Effect.zipRight(Effect.sync(() => void (done = true)), act)
}

const waiting = (wave: number) => (events: ReadonlyArray<RolloutEvent>) => stepsOf(events, "wait").some((m) => m.startsWith(`wave ${wave}:`))
const baking = (events: ReadonlyArray<RolloutEvent>) => stepsOf(events, "bake").length > 0

describe("scaling stays alive during a rollout", () => {
  it.effect("a scale-out by a policy mid-rollout launches the new release and is kept: desired ends at what the policy made it", () =>
    Effect.gen(function*() {
      yield* bigWeb(4)
      const w = yield* FakeWorld
      const before = ids(yield* group("web"))
      let fired = false
      const { result } = yield* rollWatching({}, once((e) => stepsOf(e, "wait").length > 0, Effect.map(w.firePolicy("web", 2), (ok) => void (fired = ok))))
      expect(fired).toBe(true)
      expect(result.status).toBe("succeeded")
      yield* TestClock.adjust("1 minute")
      const after = yield* group("web")
      expect(sizes(after)).toEqual([2, 30, 6])
      expect(after.suspendedProcesses).toEqual([])
      expect(ids(after).filter((id) => before.includes(id))).toEqual([])
      expect(after.instances.every((i) => i.launchTemplate?.version === "2" && i.lifecycleState === "InService")).toBe(true)
      // AlarmNotification was never suspended.
      expect((yield* w.calls).some((c) => c.operation === "SuspendProcesses")).toBe(true)
    }).pipe(Effect.provide(world)))

  it.effect("in waves, a policy's scale-out during an early wave is kept to the end: desired ends at what the policy made it", () =>
    Effect.gen(function*() {
      yield* bigWeb(4)
      const w = yield* FakeWorld
      let fired = false
      const { result } = yield* rollWatching({ maxSurge: units(1) }, once(waiting(1), Effect.map(w.firePolicy("web", 2), (ok) => void (fired = ok))))
      expect(fired).toBe(true)
      expect(result.status).toBe("succeeded")
      expect(result.groups[0]!.waves?.committed).toBeGreaterThan(1)
      yield* TestClock.adjust("1 minute")
      const after = yield* group("web")
      expect(sizes(after)).toEqual([2, 30, 6])
      expect(after.instances.every((i) => i.launchTemplate?.version === "2" && i.lifecycleState === "InService")).toBe(true)
    }).pipe(Effect.provide(world)))

  it.effect("in waves, a policy's scale-out while a wave's old instances go is kept to the end too", () =>
    Effect.gen(function*() {
      yield* bigWeb(4)
      const w = yield* FakeWorld
      // The policy acts as wave 1's first terminate goes out: after the commit's look at the group, before the next
      // wave's.
      let fired = false
      const policyAtFirstTerminate = Effect.updateService(AutoScaling, (asg) => ({
        ...asg,
        terminateInstance: (id: string, decrement: boolean) =>
          Effect.zipRight(
            fired ? Effect.void : Effect.map(w.firePolicy("web", 2), (ok) => void (fired = ok)),
            asg.terminateInstance(id, decrement)
          )
      }))
      const result = yield* Effect.flatten(drive(policyAtFirstTerminate(runRollout({ maxSurge: units(1) }))))
      expect(fired).toBe(true)
      expect(result.status).toBe("succeeded")
      yield* TestClock.adjust("1 minute")
      expect(sizes(yield* group("web"))).toEqual([2, 30, 6])
    }).pipe(Effect.provide(world)))

  it.effect("a policy's scale-out stops at the raised max, and max is restored to the final desired when someone took it beyond", () =>
    Effect.gen(function*() {
      yield* webGroup({ minSize: 2, maxSize: 4, desiredCapacity: 2 })
      const w = yield* FakeWorld
      // Raised to desired 4, max 6 (the group's headroom of 2 kept): the policy's +3 stops at 6, a net +2.
      const clamped = yield* rollWatching({}, once((e) => stepsOf(e, "wait").length > 0, Effect.asVoid(w.firePolicy("web", 3))))
      expect(clamped.result.status).toBe("succeeded")
      yield* TestClock.adjust("1 minute")
      expect(sizes(yield* group("web"))).toEqual([2, 4, 4])
      yield* w.setLaunchTemplateVersion("web", "3")
      // A person raises max and desired by 3 while it waits: kept, and max follows.
      const { result } = yield* rollWatching({}, once((e) => stepsOf(e, "wait").length > 0, w.setSizes("web", { maxSize: 20, desiredCapacity: 11 })))
      expect(result.status).toBe("succeeded")
      yield* TestClock.adjust("1 minute")
      expect(sizes(yield* group("web"))).toEqual([2, 7, 7])
    }).pipe(Effect.provide(world)))

  it.effect("after a failure the scale-out is undone with the release and AlarmNotification stays suspended: nothing relaunches it", () =>
    Effect.gen(function*() {
      yield* bigWeb(4)
      const w = yield* FakeWorld
      const before = ids(yield* group("web"))
      yield* w.markNeverHealthy({ launchTemplateId: LT, version: "2" })
      const { result, lowest, start } = yield* rollWatching(
        { healthyTimeout: "300 seconds" },
        once((e) => stepsOf(e, "wait").length > 0, Effect.asVoid(w.firePolicy("web", 2)))
      )
      expect(result.groups[0]).toMatchObject({ status: "rolled-back" })
      expect([...result.groups[0]!.leftSuspended].sort()).toEqual([...processesToSuspend(true)].sort())
      expect(lowest()).toBe(start)
      // The policy fires again: the group does not scale, so no instance of the failed release comes back.
      expect(yield* w.firePolicy("web", 2)).toBe(false)
      yield* TestClock.adjust("5 minutes")
      const after = yield* group("web")
      expect(sizes(after)).toEqual([2, 30, 4])
      expect(ids(after).sort()).toEqual([...before].sort())
      expect(after.suspendedProcesses).toContain("AlarmNotification")
      expect(after.tags[DEGRADED_TAG]).toContain("timed out")
    }).pipe(Effect.provide(world)))

  it.effect("--freeze-scaling suspends AlarmNotification for the whole rollout, and resumes it after", () =>
    Effect.gen(function*() {
      yield* bigWeb(4)
      const w = yield* FakeWorld
      let fired: boolean | undefined
      const { result } = yield* rollWatching(
        { freezeScaling: true },
        once((e) => stepsOf(e, "wait").length > 0, Effect.map(w.firePolicy("web", 2), (ok) => void (fired = ok)))
      )
      expect(fired).toBe(false)
      expect(result.status).toBe("succeeded")
      yield* TestClock.adjust("1 minute")
      const after = yield* group("web")
      expect(sizes(after)).toEqual([2, 30, 4])
      expect(after.suspendedProcesses).toEqual([])
    }).pipe(Effect.provide(world)))
})

describe("surge waves", () => {
  it.effect("a surge of 2 on a group of 10 replaces it in 5 waves, never more than 12 instances, never fewer than 10 serving", () =>
    Effect.gen(function*() {
      yield* bigWeb(10)
      const before = ids(yield* group("web"))
      const { result, events, lowest, highest, start } = yield* rollWatching({ maxSurge: units(2) })
      expect(result.status).toBe("succeeded")
      expect(start).toBe(10)
      expect(lowest()).toBe(10)
      expect(highest()).toBe(12)
      expect(stepsOf(events, "scale-out")).toHaveLength(5)
      expect(stepsOf(events, "scale-out").every((m) => / desired 10→12$/.test(m))).toBe(true)
      expect(result.groups[0]!.waves).toMatchObject({ committed: 5 })
      expect([...result.groups[0]!.terminated].sort()).toEqual([...before].sort())
      yield* TestClock.adjust("1 minute")
      const after = yield* group("web")
      // The new release: every instance the group runs now, none of the old ones.
      expect([...result.groups[0]!.waves!.newRelease].sort()).toEqual([...ids(after)].sort())
      expect(sizes(after)).toEqual([2, 30, 10])
      expect(ids(after).filter((id) => before.includes(id))).toEqual([])
      expect(hasRecord(after.tags)).toBe(false)
    }).pipe(Effect.provide(world)))

  it.effect("a percentage is of the running capacity, rounded up: 25% of 10 is waves of 3, 3, 3, 1", () =>
    Effect.gen(function*() {
      yield* bigWeb(10)
      const { result, events, highest } = yield* rollWatching({ maxSurge: percent(25) })
      expect(result.status).toBe("succeeded")
      expect(highest()).toBe(13)
      expect(stepsOf(events, "scale-out").map((m) => /desired 10→(\d+)$/.exec(m)?.[1])).toEqual(["13", "13", "13", "11"])
    }).pipe(Effect.provide(world)))

  it.effect("a canary of 1 goes first, then the rest in --max-surge waves", () =>
    Effect.gen(function*() {
      yield* bigWeb(4)
      const { result, events, highest } = yield* rollWatching({ canary: units(1), maxSurge: percent(50) })
      expect(result.status).toBe("succeeded")
      expect(stepsOf(events, "scale-out")).toEqual([
        "wave 1: min 2→5, max 30→31, desired 4→5",
        "wave 2: min 4→6, max 31→32, desired 4→6",
        "wave 3: min 4→5, max 32→32, desired 4→5"
      ])
      expect(highest()).toBe(6)
    }).pipe(Effect.provide(world)))

  it.effect("a failure in a later wave rolls back that wave only: the committed waves keep running the new release", () =>
    Effect.gen(function*() {
      yield* bigWeb(4)
      const w = yield* FakeWorld
      yield* w.putAlarm("web-5xx")
      const before = ids(yield* group("web"))
      const { result, lowest, start } = yield* rollWatching(
        { maxSurge: units(1), alarms: ["web-5xx"] },
        once(waiting(3), w.setAlarmState("web-5xx", "ALARM", "Threshold Crossed: 5xx rate 12% > 5%"))
      )
      const g = result.groups[0]!
      expect(g.status).toBe("rolled-back")
      expect(g.reason).toContain("alarm web-5xx went to ALARM: Threshold Crossed: 5xx rate 12% > 5%")
      expect(g.reason).toContain("2 earlier waves committed: 2 instance(s) already run the new release")
      expect(g.waves?.committed).toBe(2)
      expect(g.waves?.newRelease).toHaveLength(2)
      expect(lowest()).toBe(start)
      yield* TestClock.adjust("1 minute")
      const after = yield* group("web")
      expect(sizes(after)).toEqual([2, 30, 4])
      const live = after.instances.filter((i) => i.lifecycleState === "InService")
      expect(live.map((i) => i.instanceId).filter((id) => before.includes(id))).toHaveLength(2)
      expect(live.map((i) => i.instanceId).filter((id) => g.waves!.newRelease.includes(id))).toHaveLength(2)
      expect(after.tags[DEGRADED_TAG]).toContain("web-5xx")
      expect(hasRecord(after.tags)).toBe(false)
    }).pipe(Effect.provide(world)))

  it.effect.each([
    { surge: 1, failing: 3, of: "wave 3 of 4" },
    { surge: 2, failing: 2, of: "the last wave, 2 of 2" }
  ])("a terminate that fails for good in $of: the result names every old instance terminated so far, the earlier waves' too", ({ failing, surge }) =>
    Effect.gen(function*() {
      yield* bigWeb(4)
      const w = yield* FakeWorld
      const before = ids(yield* group("web"))
      const { result } = yield* rollWatching(
        { maxSurge: units(surge) },
        // Every attempt of the wave's terminate fails, its retries' too.
        once(waiting(failing), w.failNext("TerminateInstanceInAutoScalingGroup", 60, "transient"))
      )
      const g = result.groups[0]!
      const gone = (failing - 1) * surge
      expect(g.status).toBe("failed")
      expect(g.waves?.committed).toBe(failing - 1)
      expect(g.terminated).toHaveLength(gone)
      expect(g.reason).toContain(`the old instances are terminated (${gone}: ${g.terminated.join(", ")})`)
      expect(g.cause).toMatchObject({ _tag: "CommitFailed", terminated: g.terminated })
      yield* TestClock.adjust("1 minute")
      const left = ids(yield* group("web"))
      expect(before.filter((id) => !left.includes(id)).sort()).toEqual([...g.terminated].sort())
    }).pipe(Effect.provide(world)))

  it.effect("waves that leave the zones two apart are followed by a balancing wave, so resuming AZRebalance takes no serving instance", () =>
    Effect.gen(function*() {
      // Three zones, one old instance each; one at a time the new ones land in the first emptiest zone, and the
      // old ones leave the others: without a balancing wave the group ends 2-1-0 and AZRebalance retires a server.
      yield* webGroup({ minSize: 3, maxSize: 5, desiredCapacity: 3 })
      const { result, events, lowest, start } = yield* rollWatching({ maxSurge: units(1) })
      expect(result.status).toBe("succeeded")
      expect(stepsOf(events, "scale-out").some((m) => m.includes("balancing zones"))).toBe(true)
      for (let i = 0; i < 300; i++) {
        yield* TestClock.adjust("1 second")
        expect(yield* (yield* FakeWorld).healthyCount("web")).toBeGreaterThanOrEqual(start)
      }
      expect(lowest()).toBe(start)
      const after = yield* group("web")
      const perZone = [...after.instances.reduce((m, i) => m.set(i.availabilityZone, (m.get(i.availabilityZone) ?? 0) + 1), new Map<string, number>()).values()]
      expect(perZone.sort()).toEqual([1, 1, 1])
      expect(after.suspendedProcesses).toEqual([])
    }).pipe(Effect.provide(world)))

  /** Running instances per zone of group "web", in the order of the zones' names. */
  const perZone = (g: { readonly instances: ReadonlyArray<{ readonly availabilityZone: string; readonly lifecycleState: string }> }) => {
    const counts = new Map(["eu-west-1a", "eu-west-1b", "eu-west-1c"].map((z) => [z, 0]))
    for (const i of g.instances) if (i.lifecycleState === "InService") counts.set(i.availabilityZone, counts.get(i.availabilityZone)! + 1)
    return [...counts.values()]
  }
  const balancingWaves = (events: ReadonlyArray<RolloutEvent>) => stepsOf(events, "scale-out").filter((m) => m.includes("balancing zones")).length

  /**
   * Twelve, four in each zone, in six waves of two while eu-west-1a is short of capacity: every new instance lands in
   * 1b or 1c and the old ones of 1a go last, so the zones end 0-6-6. `recovers`: 1a has capacity again from the last
   * replacing wave's wait on. The run succeeds with serving capacity never below the start, and AZRebalance left
   * suspended with a marker saying how far apart the zones are.
   */
  const shortZone = (recovers: boolean, expected: { readonly balancingWaves: number; readonly perZone: ReadonlyArray<number> }) =>
    Effect.gen(function*() {
      yield* bigWeb(12)
      const w = yield* FakeWorld
      yield* w.zoneShortOfCapacity("eu-west-1a")
      const { result, events, lowest, start } = yield* rollWatching(
        { maxSurge: units(2) },
        recovers ? once(waiting(6), w.zoneShortOfCapacity("eu-west-1a", false)) : () => Effect.void
      )
      const g = result.groups[0]!
      expect(g.status).toBe("succeeded")
      expect(lowest()).toBe(start)
      expect(balancingWaves(events)).toBe(expected.balancingWaves)
      const after = yield* group("web")
      expect(perZone(after)).toEqual(expected.perZone)
      expect(g.leftSuspended).toEqual(["AZRebalance"])
      expect(after.suspendedProcesses).toEqual(["AZRebalance"])
      const spread = Math.max(...expected.perZone) - Math.min(...expected.perZone)
      expect(after.tags[DEGRADED_TAG]).toContain(`AZRebalance left suspended: the zones are ${spread} instances apart`)
      expect(after.desiredCapacity).toBe(12)
    })

  it.effect("a zone short of capacity through the waves, then back: balancing waves move one instance each into it, three at most", () =>
    // 0-6-6 after the replacing waves; each balancing wave brings one into 1a: 1-5-6, 2-5-5, 3-4-5, and there it stops.
    shortZone(true, { balancingWaves: 3, perZone: [3, 4, 5] }).pipe(Effect.provide(world)))

  it.effect("a zone short of capacity for the whole rollout: one balancing wave tries, brings the zones no closer, and the run ends there", () =>
    // The balancing wave's launch lands in 1b or 1c as well: another would only replace a serving instance again.
    shortZone(false, { balancingWaves: 1, perZone: [0, 6, 6] }).pipe(Effect.provide(world)))

  /** Six in three zones, two each, in two waves of three; the operator empties a zone as the last old one goes. */
  const standbyEmptiesAZone = (earlier?: string) =>
    Effect.gen(function*() {
      yield* webGroup({ minSize: 2, maxSize: 20, desiredCapacity: 6 })
      if (earlier !== undefined) yield* (yield* AutoScaling).setTags("web", degradedTags(earlier, 0, []))
      const w = yield* FakeWorld
      const before = ids(yield* group("web"))
      const standbyAtLastTerminate = standbyOneZoneAtLastTerminate(w, before)
      const events: Array<RolloutEvent> = []
      const result = yield* Effect.flatten(drive(collecting(standbyAtLastTerminate(runRollout({ maxSurge: units(3) })), events)))
      const g = result.groups[0]!
      expect(g.status).toBe("succeeded")
      expect(g.leftSuspended).toEqual(["AZRebalance"])
      const why = "AZRebalance left suspended: the zones are 2 instances apart, and resuming it now would make AWS terminate a serving instance; resume it once they are even (aws-ha-updater resume shop)"
      expect(events.filter((e) => e.type === "warning").map((e) => e.message).at(-1)).toBe(why)
      const after = yield* group("web")
      expect(after.suspendedProcesses).toEqual(["AZRebalance"])
      // The new marker replaces an earlier one, and is never deleted with it.
      expect(after.tags[DEGRADED_TAG]).toBe(why)
      expect(hasRecord(after.tags)).toBe(false)
    })

  it.effect("an operator's Standby that leaves a zone empty as the last wave commits: AZRebalance stays suspended, the marker says why", () =>
    standbyEmptiesAZone().pipe(Effect.provide(world)))

  it.effect("the same on a group an earlier failed run marked degraded: the new marker replaces the old one", () =>
    standbyEmptiesAZone("rolled back: the release never became healthy").pipe(Effect.provide(world)))

  it.effect("a wave whose lists need fewer tags than the last wave's empties the chunks it no longer needs: the record stays whole", () =>
    Effect.gen(function*() {
      // Waves of 15 then 11: wave 1's 15 ids to retire take two tags of 256 characters, wave 2's 11 one.
      yield* bigWeb(26)
      let inWave1: ReturnType<typeof decodeRecord> | undefined
      let inWave2: ReturnType<typeof decodeRecord> | undefined
      let retireTags: Readonly<Record<string, string>> = {}
      const wave1 = once(waiting(1), Effect.map(group("web"), (g) => void (inWave1 = decodeRecord(g.tags))))
      const wave2 = once(waiting(2), Effect.map(group("web"), (g) => {
        inWave2 = decodeRecord(g.tags)
        retireTags = Object.fromEntries(Object.entries(g.tags).filter(([k]) => k.startsWith(`${RECORD_PREFIX}:retire-`)))
      }))
      const { result } = yield* rollWatching({ maxSurge: units(15) }, (events) => Effect.zipRight(wave1(events), wave2(events)))
      expect(result.status).toBe("succeeded")
      // Nothing is kept whatever happens before a wave has committed.
      expect(inWave1).toMatchObject({ _tag: "Record", record: { wave: { number: 1, kept: [] } } })
      expect(inWave2).toMatchObject({ _tag: "Record", record: { wave: { number: 2 } } })
      const record = (inWave2 as Extract<typeof inWave2, { _tag: "Record" }>).record
      expect(record.wave!.retire).toHaveLength(11)
      expect(record.wave!.kept).toHaveLength(15)
      expect(retireTags[`${RECORD_PREFIX}:retire-count`]).toBe("11")
      expect(retireTags[`${RECORD_PREFIX}:retire-1`]).toBe("")
    }).pipe(Effect.provide(world)))

  it.effect("--replace-all in waves, where every instance already runs the release: the last wave's leaving instances are not new ones", () =>
    Effect.gen(function*() {
      yield* webGroup({ minSize: 2, maxSize: 30, desiredCapacity: 4 }, { release: false })
      const before = ids(yield* group("web"))
      const { result, lowest, start } = yield* rollWatching({ replaceAll: true, maxSurge: units(2) })
      const g = result.groups[0]!
      expect(g.status).toBe("succeeded")
      expect(g.waves?.committed).toBeGreaterThanOrEqual(2)
      expect([...g.terminated].sort()).toEqual([...before].sort())
      expect(lowest()).toBe(start)
    }).pipe(Effect.provide(world)))

  it.effect("the old instances of a wave go ten at a time, not one by one", () =>
    Effect.gen(function*() {
      yield* webGroup({ minSize: 2, maxSize: 60, desiredCapacity: 25 })
      const { slowTerminates, most } = terminatesInFlight()
      const result = yield* Effect.flatten(drive(slowTerminates(runRollout())))
      expect(result.status).toBe("succeeded")
      expect(result.groups[0]!.terminated).toHaveLength(25)
      expect(most()).toBe(10)
    }).pipe(Effect.provide(world)))
  it.effect("groups rolled at once share the ten: never more than ten terminations in flight in the run", () =>
    Effect.gen(function*() {
      const w = yield* FakeWorld
      yield* w.addClassicLoadBalancer(CLB)
      for (const name of ["web", "api"]) {
        yield* w.addGroup({ name, minSize: 2, maxSize: 40, desiredCapacity: 15, launchTemplate: { id: LT, version: "1" }, loadBalancerNames: [CLB] })
      }
      yield* w.addStack({ name: STACK, templateBody: templateFor({ Web: {}, Api: {} }), existingGroups: { Web: "web", Api: "api" } })
      yield* w.setLaunchTemplateVersion("web", "2")
      yield* w.setLaunchTemplateVersion("api", "2")
      const { slowTerminates, most } = terminatesInFlight()
      const result = yield* Effect.flatten(drive(slowTerminates(runRollout({ parallel: "all" }))))
      expect(result.status).toBe("succeeded")
      expect(result.groups.map((g) => g.terminated.length)).toEqual([15, 15])
      expect(most()).toBe(10)
    }).pipe(Effect.provide(world)))
})

describe("the bake", () => {
  it.effect("keeps watching the wave's new instances: one turning unhealthy during the bake rolls the wave back", () =>
    Effect.gen(function*() {
      yield* bigWeb(2)
      const w = yield* FakeWorld
      const before = ids(yield* group("web"))
      const sick = Effect.gen(function*() {
        const fresh = (yield* group("web")).instances.find((i) => !before.includes(i.instanceId))!
        yield* w.makeUnhealthy(fresh.instanceId)
      })
      const { result, events } = yield* rollWatching({ bake: "300 seconds" }, once(baking, sick))
      const g = result.groups[0]!
      expect(g.status).toBe("rolled-back")
      expect(g.reason).toMatch(/new instance i-\w+ failed/)
      expect(stepsOf(events, "terminate-old")).toEqual([])
      yield* TestClock.adjust("1 minute")
      expect(ids(yield* group("web")).sort()).toEqual([...before].sort())
    }).pipe(Effect.provide(world)))

  it.effect("lasts its time before old instances go, then the rollout commits", () =>
    Effect.gen(function*() {
      yield* bigWeb(2)
      const { result, events } = yield* rollWatching({ bake: "300 seconds" })
      expect(result.status).toBe("succeeded")
      const at = (step: string) => events.find((e) => e.type === "step" && e.step === step)!.at
      expect(at("terminate-old") - at("bake")).toBeGreaterThanOrEqual(300_000)
      expect(at("terminate-old") - at("bake")).toBeLessThan(320_000)
    }).pipe(Effect.provide(world)))
})

describe("alarm gates", () => {
  it.effect.each([
    ["while the wave waits", {}, (e: ReadonlyArray<RolloutEvent>) => stepsOf(e, "wait").length > 0],
    ["during the bake", { bake: "600 seconds" }, baking]
  ] as const)("an alarm going to ALARM %s rolls the wave back, naming the alarm and its reason", ([, extra, when]) =>
    Effect.gen(function*() {
      yield* bigWeb(2)
      const w = yield* FakeWorld
      yield* w.putAlarm("web-latency")
      const before = ids(yield* group("web"))
      const { result } = yield* rollWatching(
        { alarms: ["web-latency"], ...extra },
        once(when, w.setAlarmState("web-latency", "ALARM", "p99 above 2 s"))
      )
      expect(result.groups[0]).toMatchObject({ status: "rolled-back", reason: "alarm web-latency went to ALARM: p99 above 2 s" })
      yield* TestClock.adjust("1 minute")
      expect(ids(yield* group("web")).sort()).toEqual([...before].sort())
    }).pipe(Effect.provide(world)))

  it.effect("all alarms are read in one DescribeAlarms per poll round", () =>
    Effect.gen(function*() {
      yield* bigWeb(2)
      const w = yield* FakeWorld
      yield* w.putAlarm("a")
      yield* w.putAlarm("b")
      const { result } = yield* rollWatching({ alarms: ["a", "b"] })
      expect(result.status).toBe("succeeded")
      const calls = yield* w.calls
      const count = (op: string) => calls.filter((c) => c.operation === op).length
      // One more for the check before any change.
      expect(count("DescribeAlarms")).toBe(count("DescribeInstanceHealth") - 1 + 1)
    }).pipe(Effect.provide(world)))

  it.effect("an alarm already in ALARM, or one that does not exist, refuses the run before any change", () =>
    Effect.gen(function*() {
      yield* bigWeb(2)
      const w = yield* FakeWorld
      yield* w.putAlarm("web-5xx", "ALARM", "already bad")
      const firing = yield* Effect.flip(runRollout({ alarms: ["web-5xx"] }))
      expect(firing).toMatchObject({ _tag: "AlarmGateRefused", alarm: "web-5xx", problem: "firing", reason: "already bad" })
      const missing = yield* Effect.flip(runRollout({ alarms: ["no-such-alarm"] }))
      expect(missing).toMatchObject({ _tag: "AlarmGateRefused", alarm: "no-such-alarm", problem: "missing" })
      expect(yield* mutatingCalls).toEqual([])
    }).pipe(Effect.provide(world)))
})
