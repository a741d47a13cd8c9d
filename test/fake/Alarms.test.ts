import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { Alarms } from "../../src/services/Alarms.js"
import { AutoScaling } from "../../src/services/AutoScaling.js"
import { addWeb, fixedRetries, group, ids, operations, states, world } from "./Support.js"

describe("fake CloudWatch: alarms", () => {
  it.effect("describe answers the named alarms with their state and reason, and leaves unknown names out", () =>
    Effect.gen(function*() {
      const w = yield* FakeWorld
      yield* w.putAlarm("web-5xx")
      yield* w.putAlarm("web-latency", "ALARM", "Threshold Crossed: 1 datapoint [2.5] was greater than the threshold (1.0).")
      const alarms = yield* Alarms
      expect(yield* alarms.describe(["web-latency", "no-such-alarm", "web-5xx"])).toEqual([
        {
          name: "web-latency",
          state: "ALARM",
          reason: "Threshold Crossed: 1 datapoint [2.5] was greater than the threshold (1.0)."
        },
        { name: "web-5xx", state: "OK", reason: "Unchecked: Initial alarm creation" }
      ])
      expect(yield* alarms.describe([])).toEqual([])
      expect(yield* operations).toEqual(["DescribeAlarms"])
    }).pipe(Effect.provide(world)))

  it.effect("setAlarmState changes what describe answers; putAlarm replaces an alarm", () =>
    Effect.gen(function*() {
      const w = yield* FakeWorld
      const alarms = yield* Alarms
      yield* w.putAlarm("web-5xx", "INSUFFICIENT_DATA")
      yield* w.setAlarmState("web-5xx", "ALARM", "testing the gate")
      expect(yield* alarms.describe(["web-5xx"])).toEqual([{ name: "web-5xx", state: "ALARM", reason: "testing the gate" }])
      yield* w.putAlarm("web-5xx")
      expect(yield* alarms.describe(["web-5xx"])).toEqual([
        { name: "web-5xx", state: "OK", reason: "Unchecked: Initial alarm creation" }
      ])
    }).pipe(Effect.provide(world)))

  it.effect("setAlarmState on an alarm that was never put dies, naming it", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit((yield* FakeWorld).setAlarmState("typo-alarm", "ALARM", "why"))
      expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
      expect(Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "").toContain("no alarm named typo-alarm")
    }).pipe(Effect.provide(world)))

  it.effect("a throttled DescribeAlarms is retried by the layer's schedule, every attempt recorded", () =>
    Effect.gen(function*() {
      const w = yield* FakeWorld
      yield* w.putAlarm("web-5xx", "ALARM", "breaching")
      yield* w.failNext("DescribeAlarms", 2, "throttle")
      const fiber = yield* Effect.fork((yield* Alarms).describe(["web-5xx"]))
      yield* TestClock.adjust("1 second")
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(fiber)).toEqual([{ name: "web-5xx", state: "ALARM", reason: "breaching" }])
      expect((yield* w.calls).map((c) => [c.operation, c.at, c.failed, c.mutating])).toEqual([
        ["DescribeAlarms", 0, true, false],
        ["DescribeAlarms", 1000, true, false],
        ["DescribeAlarms", 2000, false, false]
      ])
    }).pipe(Effect.provide(world), fixedRetries))

  it.effect("describe asks for 100 names a call, as the live layer does: 220 names are 3 calls", () =>
    Effect.gen(function*() {
      const w = yield* FakeWorld
      yield* w.putAlarm("a-7")
      yield* w.putAlarm("a-201", "ALARM", "breaching")
      const names = Array.from({ length: 220 }, (_, i) => `a-${i}`)
      const found = yield* (yield* Alarms).describe([...names, "a-7"])
      expect(found.map((a) => [a.name, a.state])).toEqual([["a-7", "OK"], ["a-201", "ALARM"]])
      expect(yield* operations).toEqual(["DescribeAlarms", "DescribeAlarms", "DescribeAlarms"])
    }).pipe(Effect.provide(world)))
})

describe("fake Auto Scaling: an alarm-driven scaling policy", () => {
  it.effect("scales the group out, launching instances, without being one of our calls", () =>
    Effect.gen(function*() {
      yield* addWeb()
      const w = yield* FakeWorld
      const before = ids(yield* group())
      expect(yield* w.firePolicy("web", 2)).toBe(true)
      const g = yield* group()
      expect(g.desiredCapacity).toBe(4)
      expect(ids(g).slice(0, 2)).toEqual(before)
      expect(states(g)).toEqual(["InService", "InService", "Pending", "Pending"])
      yield* TestClock.adjust("90 seconds")
      expect(yield* w.healthyCount("web")).toBe(4)
      expect(yield* w.calls).toEqual([])
    }).pipe(Effect.provide(world)))

  it.effect("is ignored while AlarmNotification is suspended, and works again once it is resumed", () =>
    Effect.gen(function*() {
      yield* addWeb()
      const w = yield* FakeWorld
      const asg = yield* AutoScaling
      yield* asg.suspendProcesses("web", ["AlarmNotification"])
      const before = yield* group()
      expect(yield* w.firePolicy("web", 2)).toBe(false)
      expect(yield* w.firePolicy("web", -1)).toBe(false)
      yield* TestClock.adjust("5 minutes")
      const after = yield* group()
      expect(after.desiredCapacity).toBe(2)
      expect(ids(after)).toEqual(ids(before))
      yield* asg.resumeProcesses("web", ["AlarmNotification"])
      expect(yield* w.firePolicy("web", 1)).toBe(true)
      expect((yield* group()).desiredCapacity).toBe(3)
    }).pipe(Effect.provide(world)))

  it.effect("clamps desired into [min, max], as AWS clamps a policy's result, and changes nothing at a limit", () =>
    Effect.gen(function*() {
      yield* addWeb({ desiredCapacity: 3 })
      const w = yield* FakeWorld
      expect(yield* w.firePolicy("web", 10)).toBe(true)
      const g = yield* group()
      expect([g.desiredCapacity, g.maxSize]).toEqual([6, 6])
      expect(states(g).filter((s) => s === "Pending")).toHaveLength(3)
      expect(yield* w.firePolicy("web", 1)).toBe(false)

      yield* TestClock.adjust("90 seconds")
      expect(yield* w.firePolicy("web", -10)).toBe(true)
      const shrunk = yield* group()
      expect(shrunk.desiredCapacity).toBe(2)
      expect(states(shrunk).filter((s) => s === "InService")).toHaveLength(2)
      expect(yield* w.firePolicy("web", -1)).toBe(false)
    }).pipe(Effect.provide(world)))
})
