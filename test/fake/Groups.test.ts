import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { AutoScaling } from "../../src/services/AutoScaling.js"
import { LaunchTemplates } from "../../src/services/LaunchTemplates.js"
import { addWeb, group, LT, world } from "./Support.js"

describe("fake Auto Scaling: processes, tags, launch templates", () => {
  it.effect("suspends and resumes processes by AWS's names; an unknown name is refused", () =>
    Effect.gen(function*() {
      yield* addWeb({ suspendedProcesses: ["ScheduledActions"] })
      const asg = yield* AutoScaling
      yield* asg.suspendProcesses("web", ["AZRebalance", "ScheduledActions", "AlarmNotification"])
      expect((yield* group()).suspendedProcesses).toEqual(["ScheduledActions", "AZRebalance", "AlarmNotification"])
      yield* asg.resumeProcesses("web", ["AZRebalance"])
      expect((yield* group()).suspendedProcesses).toEqual(["ScheduledActions", "AlarmNotification"])
      const refused = yield* Effect.flip(asg.suspendProcesses("web", ["Launch", "Relaunch"]))
      expect(refused.message).toContain("Relaunch")
      expect((yield* group()).suspendedProcesses).toEqual(["ScheduledActions", "AlarmNotification"])
      expect(yield* asg.instanceRefreshInProgress("web")).toBe(false)
    }).pipe(Effect.provide(world)))

  it.effect("no process to suspend or resume asks AWS nothing, as the live layer does: to AWS an empty list means every one", () =>
    Effect.gen(function*() {
      yield* addWeb({ suspendedProcesses: ["ScheduledActions"] })
      const asg = yield* AutoScaling
      yield* asg.suspendProcesses("web", [])
      expect((yield* group()).suspendedProcesses).toEqual(["ScheduledActions"])
      yield* asg.resumeProcesses("web", [])
      expect((yield* group()).suspendedProcesses).toEqual(["ScheduledActions"])
      const calls = (yield* (yield* FakeWorld).calls).map((c) => c.operation)
      expect(calls.filter((o) => o === "SuspendProcesses" || o === "ResumeProcesses")).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("sets and deletes tags within AWS's limits: key 128, value 256, 50 a group", () =>
    Effect.gen(function*() {
      yield* addWeb({ tags: { team: "shop" } })
      const asg = yield* AutoScaling
      yield* asg.setTags("web", { "ha-updater:state": "rolling", team: "web" })
      expect((yield* group()).tags).toEqual({ team: "web", "ha-updater:state": "rolling" })
      yield* asg.deleteTags("web", ["ha-updater:state", "absent"])
      expect((yield* group()).tags).toEqual({ team: "web" })

      const longKey = yield* Effect.flip(asg.setTags("web", { ["k".repeat(129)]: "v" }))
      expect(longKey._tag).toBe("AwsValidationError")
      expect(longKey.message).toContain("128")
      const longValue = yield* Effect.flip(asg.setTags("web", { note: "v".repeat(257) }))
      expect(longValue.message).toContain("256")
      yield* asg.setTags("web", { edge: "v".repeat(256), ["k".repeat(128)]: "ok" })
      const many = Object.fromEntries(Array.from({ length: 48 }, (_, i) => [`tag-${i}`, "x"]))
      const tooMany = yield* Effect.flip(asg.setTags("web", many))
      expect(tooMany.message).toContain("50")
      expect(Object.keys((yield* group()).tags)).toHaveLength(3)
      const reserved = yield* Effect.flip(asg.setTags("web", { "aws:cloudformation:stack-name": "x" }))
      expect(reserved._tag).toBe("AwsValidationError")
    }).pipe(Effect.provide(world)))

  it.effect("tracks latest and default launch template versions; instances report the resolved number", () =>
    Effect.gen(function*() {
      yield* addWeb({ launchTemplate: { id: LT, version: "$Latest" } })
      const w = yield* FakeWorld
      const lts = yield* LaunchTemplates
      expect(yield* lts.versions(LT)).toEqual({ latest: "1", default: "1" })
      yield* w.setLaunchTemplateVersion("web", "3")
      yield* w.setLaunchTemplateVersion("web", "$Latest")
      expect(yield* lts.versions(LT)).toEqual({ latest: "3", default: "1" })
      yield* (yield* AutoScaling).updateSizes("web", { desiredCapacity: 3 })
      yield* w.setLaunchTemplateVersion("web", "$Default")
      yield* w.setDefaultLaunchTemplateVersion(LT, "2")
      yield* (yield* AutoScaling).updateSizes("web", { desiredCapacity: 4 })
      const g = yield* group()
      expect(g.launchTemplate?.version).toBe("$Default")
      expect(g.instances.map((i) => i.launchTemplate?.version)).toEqual(["1", "1", "3", "2"])
      expect((yield* Effect.flip(lts.versions("lt-missing")))._tag).toBe("AwsValidationError")
    }).pipe(Effect.provide(world)))

  it.effect("counts capacity units under instance weights", () =>
    Effect.gen(function*() {
      yield* addWeb({ minSize: 4, maxSize: 12, desiredCapacity: 4, instanceWeight: 2 })
      expect((yield* group()).instances.map((i) => i.weightedCapacity)).toEqual([2, 2])
      yield* (yield* AutoScaling).updateSizes("web", { desiredCapacity: 8 })
      yield* TestClock.adjust("90 seconds")
      expect(yield* (yield* FakeWorld).healthyCount("web")).toBe(4)
    }).pipe(Effect.provide(world)))
})
