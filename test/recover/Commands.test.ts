import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { DEGRADED_TAG, DEGRADED_TAGS } from "../../src/program/rollout/Degraded.js"
import { RECORD_PREFIX } from "../../src/program/rollout/RolloutRecord.js"
import { drive, group, LT, mutatingCalls, runRollout, webGroup } from "../support/World.js"
import { cli } from "./Cli.js"
import { afterCalls, healthyNew, rolloutKilledAt } from "./Kill.js"

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })

const recordTags = (tags: Readonly<Record<string, string>>) => Object.keys(tags).filter((k) => k.startsWith(RECORD_PREFIX))
const lastJson = (out: ReadonlyArray<string>) => JSON.parse(out.at(-1) ?? "{}") as Record<string, any>

/** A rollout of a never-healthy release that fails on its own: the group ends degraded, AZRebalance suspended by its owner. */
const failedRollout = Effect.gen(function*() {
  yield* webGroup({ suspendedProcesses: ["AZRebalance"] })
  yield* (yield* FakeWorld).markNeverHealthy({ launchTemplateId: LT, version: "2" })
  const result = yield* Effect.flatten(drive(runRollout({ healthyTimeout: "120 seconds" }), { step: "5 seconds" }))
  expect(result.status).toBe("rolled-back")
  return yield* group("web")
})

describe("status", () => {
  it.effect("shows the record of a killed rollout as JSON, and clean once recover completed it (exit 0)", () =>
    Effect.gen(function*() {
      yield* webGroup()
      yield* rolloutKilledAt(healthyNew, Effect.void)
      const callsBefore = (yield* (yield* FakeWorld).calls).length
      const before = yield* cli("status", ["shop", "--output", "json"])
      expect(before.code).toBe(0)
      // Read-only, and cheap: one describe for all groups, one health call per load balancer.
      expect((yield* (yield* FakeWorld).calls).slice(callsBefore).map((c) => c.operation))
        .toEqual(["DescribeStacks", "ListStackResources", "DescribeAutoScalingGroups", "DescribeInstanceHealth"])
      expect(lastJson(before.out)).toMatchObject({
        type: "status",
        stack: "shop",
        exitCode: 0,
        groups: [{ name: "web", logicalId: "Web", state: "in-rollout", phase: "waiting", oldCount: 2, newCount: 2, healthy: 2, needed: 2 }]
      })
      expect(lastJson(before.out)["groups"][0].ageSeconds).toBeGreaterThanOrEqual(90)

      const recovered = yield* cli("recover", ["shop", "--force"])
      expect(recovered.code).toBe(0)
      const text = recovered.out.join("\n")
      expect(text).toContain("recover: completing the rollout (phase waiting): enough new instances are already healthy")
      expect(text).toContain("Summary: stack shop: succeeded (exit 0)")

      const after = yield* cli("status", ["shop"])
      expect(after.code).toBe(0)
      expect(after.out.join("\n")).toContain("  web (Web): clean")
    }).pipe(Effect.provide(world)))

  it.effect("shows a degraded group with its reason, since when and what it left suspended, in text", () =>
    Effect.gen(function*() {
      yield* failedRollout
      const calls = (yield* mutatingCalls).length
      const r = yield* cli("status", ["shop"])
      expect(r.code).toBe(0)
      const line = r.out.join("\n")
      expect(line).toMatch(/web \(Web\): degraded since \d{4}-\d\d-\d\dT.*: timed out after 120 s with 0 of 2 new healthy; processes left suspended: AlarmNotification, InstanceRefresh, ReplaceUnhealthy, ScheduledActions/)
      expect(line).toContain("aws-ha-updater resume shop")
      expect((yield* mutatingCalls).length).toBe(calls)
    }).pipe(Effect.provide(world)))

  it.effect("an unknown stack exits 2 with one line", () =>
    Effect.gen(function*() {
      yield* webGroup()
      const r = yield* cli("status", ["nope"])
      expect(r.code).toBe(2)
      expect(r.err).toEqual(["error: stack nope does not exist (check the name and --region)"])
    }).pipe(Effect.provide(world)))
})

describe("recover (command)", () => {
  it.effect("exits 3 when it rolls back, and says which way and why", () =>
    Effect.gen(function*() {
      yield* webGroup()
      yield* rolloutKilledAt(afterCalls("UpdateAutoScalingGroup", 1), Effect.void)
      const r = yield* cli("recover", ["shop", "--force", "--output", "json"])
      expect(r.code).toBe(3)
      const summary = lastJson(r.out)
      expect(summary).toMatchObject({ type: "summary", status: "rolled-back", command: "recover", mode: "auto", exitCode: 3 })
      expect(summary["decisions"]).toEqual([
        { group: "web", action: "rollback", why: "not enough new instances are healthy now and the old ones all still run (0 of 2 new capacity healthy, 2 old capacity still running)" }
      ])
      expect(recordTags((yield* group("web")).tags)).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("with no record anywhere, reports the group clean and changes nothing (exit 0)", () =>
    Effect.gen(function*() {
      yield* webGroup()
      const r = yield* cli("recover", ["shop", "--force"])
      expect(r.code).toBe(0)
      expect(r.out.join("\n")).toContain("web skip: clean: no rollout record")
      expect(yield* mutatingCalls).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("--mode rollback is refused where the old instances are already going: exit 2, nothing changed", () =>
    Effect.gen(function*() {
      yield* webGroup()
      yield* rolloutKilledAt(afterCalls("TerminateInstanceInAutoScalingGroup", 1), Effect.void)
      const before = (yield* mutatingCalls).length
      const r = yield* cli("recover", ["shop", "--force", "--mode", "rollback"])
      expect(r.code).toBe(2)
      expect(r.err[0]).toContain("group web: only 1 of 2 old capacity is left and 2 new capacity serves: rolling back would drop serving capacity")
      expect(r.err[0]).toContain("aws-ha-updater recover shop --mode complete")
      expect((yield* mutatingCalls).length).toBe(before)
    }).pipe(Effect.provide(world)))
})

describe("resume", () => {
  it.effect("resumes only what the degraded marker lists and clears the marker; the owner's suspension stays", () =>
    Effect.gen(function*() {
      const failed = yield* failedRollout
      expect([...failed.suspendedProcesses].sort()).toEqual(["AZRebalance", "AlarmNotification", "InstanceRefresh", "ReplaceUnhealthy", "ScheduledActions"])
      const r = yield* cli("resume", ["shop"])
      expect(r.code).toBe(0)
      expect(r.out.join("\n")).toContain("web: resumed AlarmNotification, InstanceRefresh, ReplaceUnhealthy, ScheduledActions; degraded marker cleared")
      const after = yield* group("web")
      expect(after.suspendedProcesses).toEqual(["AZRebalance"])
      expect(DEGRADED_TAGS.filter((k) => after.tags[k] !== undefined)).toEqual([])
      const again = (yield* mutatingCalls).length
      const second = yield* cli("resume", ["shop", "--asg", "Web"])
      expect(second.code).toBe(0)
      expect(second.out.join("\n")).toContain("web: not degraded, nothing to resume")
      expect((yield* mutatingCalls).length).toBe(again)
    }).pipe(Effect.provide(world)))

  it.effect("refuses a group that carries a rollout record, pointing at recover: exit 2, no mutating call", () =>
    Effect.gen(function*() {
      yield* webGroup({ tags: { [DEGRADED_TAG]: "an earlier failure" } })
      yield* rolloutKilledAt(afterCalls("SuspendProcesses", 1), Effect.void)
      const before = (yield* mutatingCalls).length
      const r = yield* cli("resume", ["shop"])
      expect(r.code).toBe(2)
      expect(r.err[0]).toContain("group web carries the record of a rollout that did not finish (phase suspending")
      expect(r.err[0]).toContain("aws-ha-updater recover shop")
      expect((yield* mutatingCalls).length).toBe(before)
      expect((yield* group("web")).tags[DEGRADED_TAG]).toBe("an earlier failure")
    }).pipe(Effect.provide(world)))
})

describe("update-asgs after a kill", () => {
  it.effect("refuses a group with a leftover record before any mutating call, and points at recover", () =>
    Effect.gen(function*() {
      yield* webGroup()
      yield* rolloutKilledAt(afterCalls("UpdateAutoScalingGroup", 1), Effect.void)
      const before = (yield* mutatingCalls).length
      // Killed moments ago, the run cannot be told from a live one: its heartbeat is fresh.
      const early = yield* cli("update-asgs", ["shop"])
      expect(early.code).toBe(2)
      expect(early.err[0]).toContain("another rollout holds group web")
      expect((yield* mutatingCalls).length).toBe(before)
      yield* TestClock.adjust("2 minutes")
      const r = yield* cli("update-asgs", ["shop"])
      expect(r.code).toBe(2)
      expect(r.err[0]).toContain("(phase scaling-out, started")
      expect(r.err[0]).toContain("run \"aws-ha-updater recover shop\" first")
      expect((yield* mutatingCalls).length).toBe(before)
    }).pipe(Effect.provide(world)))

  it.effect("a failed rollout suggests aws-ha-updater resume first, the AWS CLI command as the alternative", () =>
    Effect.gen(function*() {
      yield* webGroup()
      yield* (yield* FakeWorld).markNeverHealthy({ launchTemplateId: LT, version: "2" })
      const r = yield* cli("update-asgs", ["shop", "--healthy-timeout", "120"])
      expect(r.code).toBe(3)
      const text = r.out.join("\n")
      const ours = text.indexOf("aws-ha-updater resume shop --region eu-west-1 --asg web")
      const theirs = text.indexOf("aws autoscaling resume-processes --region eu-west-1 --auto-scaling-group-name web")
      expect(ours).toBeGreaterThan(0)
      expect(theirs).toBeGreaterThan(ours)
    }).pipe(Effect.provide(world)))
})
