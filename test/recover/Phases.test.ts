import { appendFileSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import type { RolloutEvent } from "../../src/program/Events.js"
import { recoverStack } from "../../src/program/recover/Recover.js"
import type { RecoverOptions } from "../../src/program/recover/RecoverView.js"
import { RECORD_PREFIX } from "../../src/program/rollout/RolloutRecord.js"
import { stackStatus } from "../../src/program/recover/Status.js"
import { collecting, drive, group, LT, STACK, webGroup } from "../support/World.js"
import { afterCalls, haWatch, healthyNew, type KillPoint, logLine, rolloutKilledAt } from "./Kill.js"

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })

const ids = (g: { readonly instances: ReadonlyArray<{ readonly instanceId: string }> }) => g.instances.map((i) => i.instanceId).sort()
const recordTags = (tags: Readonly<Record<string, string>>) => Object.keys(tags).filter((k) => k.startsWith(RECORD_PREFIX))

/** Set RECOVER_LOG=file to keep what recover did in each phase test (the closing note quotes it). */
const keepLog = (title: string, lines: ReadonlyArray<string>) => {
  const file = process.env["RECOVER_LOG"]
  if (file !== undefined) appendFileSync(file, `## ${title}\n${lines.join("\n")}\n\n`)
}

/**
 * The whole story of one kill: a group "web" (2 instances behind a CLB, AZRebalance suspended by its owner) gets a
 * release; the rollout dies at `when`; status shows the record; recover runs; the group ends as it was before, with
 * the expected instances, and serving capacity never dipped below the start in either run.
 */
const killThenRecover = (opts: {
  readonly title: string
  readonly when: KillPoint
  readonly phase: string
  readonly expect: "completed" | "rolled-back"
  readonly recover?: Partial<RecoverOptions>
  readonly neverHealthy?: boolean
  /** What recover says, line by line (`logLine`): its decision and why, each step, and the result. */
  readonly transcript: ReadonlyArray<string>
}) =>
  Effect.gen(function*() {
    yield* webGroup({ suspendedProcesses: ["AZRebalance"] })
    const w = yield* FakeWorld
    if (opts.neverHealthy === true) yield* w.markNeverHealthy({ launchTemplateId: LT, version: "2" })
    const before = yield* group("web")
    const ha = yield* haWatch
    expect(ha.start).toBe(2)

    const killed = yield* rolloutKilledAt(opts.when, ha.check, opts.neverHealthy === true ? { healthyTimeout: "120 seconds" } : {})
    expect(killed.phase).toBe(opts.phase)

    const shown = yield* stackStatus(STACK)
    expect(shown.groups[0]).toMatchObject({ name: "web", state: "in-rollout", phase: opts.phase, needed: 2 })

    const events: Array<RolloutEvent> = []
    const t0 = yield* Clock.currentTimeMillis
    const result = yield* Effect.flatten(drive(
      collecting(recoverStack(STACK, { force: true, mode: "auto", healthyTimeout: "600 seconds", pollInterval: "5 seconds", ...opts.recover }), events),
      { onStep: () => ha.check }
    ))
    // Let the terminated instances drain away, still watching capacity.
    for (let i = 0; i < 30; i++) {
      yield* TestClock.adjust("1 second")
      yield* ha.check
    }
    const lines = events.map(logLine(t0)).filter((l) => l !== undefined)
    keepLog(`${opts.title} (killed in phase ${opts.phase})`, lines)
    expect(lines).toEqual(opts.transcript)

    expect(result.groups[0]?.status).toBe(opts.expect === "completed" ? "succeeded" : "rolled-back")
    expect(yield* ha.lowest).toBeGreaterThanOrEqual(ha.start)
    const after = yield* group("web")
    expect([after.minSize, after.maxSize, after.desiredCapacity]).toEqual([before.minSize, before.maxSize, before.desiredCapacity])
    expect(after.suspendedProcesses).toEqual(["AZRebalance"])
    expect(recordTags(after.tags)).toEqual([])
    if (opts.expect === "rolled-back") {
      expect(ids(after)).toEqual(ids(before))
    } else {
      expect(ids(after).filter((id) => ids(before).includes(id))).toEqual([])
      expect(after.instances.map((i) => [i.lifecycleState, i.launchTemplate?.version])).toEqual([["InService", "2"], ["InService", "2"]])
    }
    expect(yield* w.healthyCount("web")).toBe(2)
    expect((yield* stackStatus(STACK)).groups[0]).toEqual({ name: "web", logicalId: "Web", state: "clean" })
    return { result, events }
  })


describe("recover after a kill -9 at each phase", () => {
  it.effect("after suspending: nothing was scaled, auto rolls back and resumes only what the rollout suspended", () =>
    killThenRecover({
      title: "after suspending",
      when: afterCalls("SuspendProcesses", 1),
      phase: "suspending",
      expect: "rolled-back",
      transcript: [
        "t+0s roll-back: recover: rolling back (phase suspending): not enough new instances are healthy now and the old ones all still run (0 of 2 new capacity healthy, 2 old capacity still running)",
        "t+0s roll-back: no new instance to terminate",
        "t+0s resume: resuming InstanceRefresh, ReplaceUnhealthy, ScheduledActions",
        "t+0s restore: rollout record removed",
        "t+0s result: rolled-back; terminated none; rolled back: not enough new instances are healthy now and the old ones all still run (0 of 2 new capacity healthy, 2 old capacity still running)"
      ]
    })
      .pipe(Effect.provide(world)))

  it.effect("after scaling out: the new instances are still launching, auto terminates exactly them", () =>
    Effect.gen(function*() {
      const { result } = yield* killThenRecover({
        title: "after scaling out",
        transcript: [
          "t+0s roll-back: recover: rolling back (phase scaling-out): not enough new instances are healthy now and the old ones all still run (0 of 2 new capacity healthy, 2 old capacity still running)",
          "t+2s roll-back: terminated new instance(s): i-00000000000000003, i-00000000000000004",
          "t+2s resume: resuming InstanceRefresh, ReplaceUnhealthy, ScheduledActions",
          "t+2s restore: rollout record removed",
          "t+2s result: rolled-back; terminated i-00000000000000003, i-00000000000000004; rolled back: not enough new instances are healthy now and the old ones all still run (0 of 2 new capacity healthy, 2 old capacity still running)"
        ],
        when: afterCalls("UpdateAutoScalingGroup", 1),
        phase: "scaling-out",
        expect: "rolled-back"
      })
      expect(result.groups[0]?.terminated).toHaveLength(2)
    }).pipe(Effect.provide(world)))

  it.effect("while waiting, before the new instances are healthy: auto rolls back", () =>
    killThenRecover({
      title: "while waiting (new not yet healthy)",
      when: afterCalls("DescribeInstanceHealth", 4),
      phase: "waiting",
      expect: "rolled-back",
      transcript: [
        "t+0s roll-back: recover: rolling back (phase waiting): not enough new instances are healthy now and the old ones all still run (0 of 2 new capacity healthy, 2 old capacity still running)",
        "t+0s roll-back: terminated new instance(s): i-00000000000000003, i-00000000000000004",
        "t+0s resume: resuming InstanceRefresh, ReplaceUnhealthy, ScheduledActions",
        "t+0s restore: rollout record removed",
        "t+0s result: rolled-back; terminated i-00000000000000003, i-00000000000000004; rolled back: not enough new instances are healthy now and the old ones all still run (0 of 2 new capacity healthy, 2 old capacity still running)"
      ]
    })
      .pipe(Effect.provide(world)))

  it.effect("while waiting, once the new instances are healthy: auto completes", () =>
    killThenRecover({
      title: "while waiting (new healthy)",
      when: healthyNew,
      phase: "waiting",
      expect: "completed",
      transcript: [
        "t+0s inspect: recover: completing the rollout (phase waiting): enough new instances are already healthy (2 of 2 new capacity healthy, 2 old capacity still running)",
        "t+0s terminate-old: terminating 2 old instance(s): i-00000000000000001, i-00000000000000002",
        "t+0s restore: min 2→2, max 6→4, desired 2→2",
        "t+0s resume: resuming InstanceRefresh, ReplaceUnhealthy, ScheduledActions",
        "t+0s restore: rollout record removed",
        "t+0s result: succeeded; terminated i-00000000000000001, i-00000000000000002; completed: enough new instances are already healthy (2 of 2 new capacity healthy, 2 old capacity still running)"
      ]
    })
      .pipe(Effect.provide(world)))

  it.effect("part-way through terminating the old instances: auto completes and terminates only the one left", () =>
    Effect.gen(function*() {
      const { result } = yield* killThenRecover({
        title: "part-way through terminating the old instances",
        transcript: [
          "t+0s inspect: recover: completing the rollout (phase terminating-old): enough new instances are already healthy (2 of 2 new capacity healthy, 1 old capacity still running)",
          "t+0s terminate-old: terminating 1 old instance(s): i-00000000000000002",
          "t+0s restore: min 2→2, max 6→4, desired 2→2",
          "t+0s resume: resuming InstanceRefresh, ReplaceUnhealthy, ScheduledActions",
          "t+0s restore: rollout record removed",
          "t+0s result: succeeded; terminated i-00000000000000002; completed: enough new instances are already healthy (2 of 2 new capacity healthy, 1 old capacity still running)"
        ],
        when: afterCalls("TerminateInstanceInAutoScalingGroup", 1),
        phase: "terminating-old",
        expect: "completed"
      })
      expect(result.groups[0]?.terminated).toHaveLength(1)
    }).pipe(Effect.provide(world)))

  it.effect("part-way through restoring (sizes restored, processes not yet resumed): auto completes", () =>
    Effect.gen(function*() {
      const { result } = yield* killThenRecover({
        title: "part-way through restoring",
        transcript: [
          "t+0s inspect: recover: completing the rollout (phase restoring): enough new instances are already healthy (2 of 2 new capacity healthy, 0 old capacity still running)",
          "t+0s resume: resuming InstanceRefresh, ReplaceUnhealthy, ScheduledActions",
          "t+0s restore: rollout record removed",
          "t+0s result: succeeded; terminated none; completed: enough new instances are already healthy (2 of 2 new capacity healthy, 0 old capacity still running)"
        ],
        when: afterCalls("UpdateAutoScalingGroup", 3),
        phase: "restoring",
        expect: "completed"
      })
      expect(result.groups[0]?.terminated).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("part-way through the rollout's own roll-back of a broken release: auto finishes the roll-back", () =>
    killThenRecover({
      title: "part-way through the rollout's own roll-back (release never healthy)",
      transcript: [
        "t+0s roll-back: recover: rolling back (phase rolling-back): the rollout was rolling back when it stopped (0 of 2 new capacity healthy, 2 old capacity still running)",
        "t+0s roll-back: terminated new instance(s): i-00000000000000004",
        "t+0s resume: resuming AlarmNotification, InstanceRefresh, ReplaceUnhealthy, ScheduledActions, Launch",
        "t+0s restore: rollout record removed",
        "t+0s result: rolled-back; terminated i-00000000000000004; rolled back: the rollout was rolling back when it stopped (0 of 2 new capacity healthy, 2 old capacity still running)"
      ],
      when: afterCalls("TerminateInstanceInAutoScalingGroup", 1),
      phase: "rolling-back",
      expect: "rolled-back",
      neverHealthy: true
    }).pipe(Effect.provide(world)))
})

describe("recover modes", () => {
  it.effect("--mode rollback rolls back a half-done rollout whose new instances are healthy", () =>
    Effect.gen(function*() {
      const { events } = yield* killThenRecover({
        title: "--mode rollback, new healthy",
        transcript: [
          "t+0s roll-back: recover: rolling back (phase waiting): --mode rollback (2 of 2 new capacity healthy, 2 old capacity still running)",
          "t+0s roll-back: terminated new instance(s): i-00000000000000003, i-00000000000000004",
          "t+0s resume: resuming InstanceRefresh, ReplaceUnhealthy, ScheduledActions",
          "t+0s restore: rollout record removed",
          "t+0s result: rolled-back; terminated i-00000000000000003, i-00000000000000004; rolled back: --mode rollback (2 of 2 new capacity healthy, 2 old capacity still running)"
        ],
        when: healthyNew,
        phase: "waiting",
        expect: "rolled-back",
        recover: { mode: "rollback" }
      })
      expect(events.some((e) => e.type === "step" && e.message.includes("--mode rollback"))).toBe(true)
    }).pipe(Effect.provide(world)))

  it.effect("--mode complete after suspending scales out itself, waits, then retires the old instances", () =>
    Effect.gen(function*() {
      const { events } = yield* killThenRecover({
        title: "--mode complete after suspending",
        transcript: [
          "t+0s inspect: recover: completing the rollout (phase suspending): --mode complete (0 of 2 new capacity healthy, 2 old capacity still running)",
          "t+0s scale-out: min 2→4, max 4→6, desired 2→4",
          "t+0s wait: waiting up to 10m for 2 new capacity healthy in the group and its load balancers",
          "t+90s terminate-old: terminating 2 old instance(s): i-00000000000000001, i-00000000000000002",
          "t+90s restore: min 2→2, max 6→4, desired 2→2",
          "t+90s resume: resuming InstanceRefresh, ReplaceUnhealthy, ScheduledActions",
          "t+90s restore: rollout record removed",
          "t+90s result: succeeded; terminated i-00000000000000001, i-00000000000000002; completed: --mode complete (0 of 2 new capacity healthy, 2 old capacity still running)"
        ],
        when: afterCalls("SuspendProcesses", 1),
        phase: "suspending",
        expect: "completed",
        recover: { mode: "complete" }
      })
      expect(events.some((e) => e.type === "step" && e.step === "scale-out")).toBe(true)
    }).pipe(Effect.provide(world)))

  it.effect("--mode complete after a kill between the scaling-out tag and the size change scales out itself", () =>
    Effect.gen(function*() {
      const { events } = yield* killThenRecover({
        title: "--mode complete between the scaling-out tag and the size change",
        transcript: [
          "t+0s inspect: recover: completing the rollout (phase scaling-out): --mode complete (0 of 2 new capacity healthy, 2 old capacity still running)",
          "t+0s scale-out: min 2→4, max 4→6, desired 2→4",
          "t+0s wait: waiting up to 10m for 2 new capacity healthy in the group and its load balancers",
          "t+90s terminate-old: terminating 2 old instance(s): i-00000000000000001, i-00000000000000002",
          "t+90s restore: min 2→2, max 6→4, desired 2→2",
          "t+90s resume: resuming InstanceRefresh, ReplaceUnhealthy, ScheduledActions",
          "t+90s restore: rollout record removed",
          "t+90s result: succeeded; terminated i-00000000000000001, i-00000000000000002; completed: --mode complete (0 of 2 new capacity healthy, 2 old capacity still running)"
        ],
        // The claim, the record, then the scaling-out tag: killed before the UpdateAutoScalingGroup that would raise
        // the sizes.
        when: afterCalls("CreateOrUpdateTags", 3),
        phase: "scaling-out",
        expect: "completed",
        recover: { mode: "complete" }
      })
      expect(events.some((e) => e.type === "step" && e.step === "scale-out" && e.message.includes("desired 2→4"))).toBe(true)
    }).pipe(Effect.provide(world)))

  it.effect("--mode complete falls back to a roll-back when the new instances never become healthy in time", () =>
    Effect.gen(function*() {
      const { result } = yield* killThenRecover({
        title: "--mode complete, release never healthy",
        transcript: [
          "t+0s inspect: recover: completing the rollout (phase waiting): --mode complete (0 of 2 new capacity healthy, 2 old capacity still running)",
          "t+0s wait: waiting up to 2m for 2 new capacity healthy in the group and its load balancers",
          "t+120s roll-back: recover: rolling back (phase waiting): the new instances did not provide 2 healthy capacity within 2m (0 healthy); falling back to a roll-back",
          "t+120s roll-back: terminated new instance(s): i-00000000000000003, i-00000000000000004",
          "t+120s resume: resuming InstanceRefresh, ReplaceUnhealthy, ScheduledActions",
          "t+120s restore: rollout record removed",
          "t+120s result: rolled-back; terminated i-00000000000000003, i-00000000000000004; rolled back: the new instances did not provide 2 healthy capacity within 2m (0 healthy); falling back to a roll-back"
        ],
        when: afterCalls("DescribeInstanceHealth", 4),
        phase: "waiting",
        expect: "rolled-back",
        recover: { mode: "complete", healthyTimeout: "120 seconds" },
        neverHealthy: true
      })
      expect(result.groups[0]?.reason).toContain("falling back to a roll-back")
      // The decision says what was done: a roll-back, after the complete it tried.
      expect(result.decisions[0]).toEqual({
        group: "web",
        action: "rollback",
        why: "--mode complete (0 of 2 new capacity healthy, 2 old capacity still running); then the new instances did not provide 2 healthy capacity within 2m (0 healthy); falling back to a roll-back"
      })
    }).pipe(Effect.provide(world)))
})
