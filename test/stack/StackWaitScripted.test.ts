import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import type { RolloutEvent } from "../../src/program/Events.js"
import { defaultWaitOptions, eventsBefore, followAction } from "../../src/program/stack/StackWait.js"
import { ACTION, described, ev, follow, scripted } from "../support/ScriptedStack.js"
import { collecting } from "../support/World.js"

describe("the end of an action, as DescribeStacks tells it", () => {
  it.effect("a stack gone by then ended as its last event says, with that event's reason", () =>
    Effect.gen(function*() {
      const r = yield* follow({
        events: {
          shop: [
            ev(1, "CREATE_IN_PROGRESS", { reason: "User Initiated" }),
            ev(3, "CREATE_FAILED", { logicalId: "Web", physicalId: "", resourceType: "AWS::AutoScaling::AutoScalingGroup", reason: "bad AMI" }),
            ev(4, "CREATE_FAILED", { reason: "The following resource(s) failed to create: [Web]." })
          ]
        }
      })
      const end = yield* r.exit
      expect([end.status, end.statusReason]).toEqual(["CREATE_FAILED", "The following resource(s) failed to create: [Web]."])
      expect(r.events.at(-1)).toMatchObject({ type: "stack-status", status: "CREATE_FAILED", reason: "The following resource(s) failed to create: [Web]." })
    }))

  it.effect("a stack still there ends with its status and reason from DescribeStacks, not from the event", () =>
    Effect.gen(function*() {
      const r = yield* follow({
        events: { shop: [ev(1, "UPDATE_IN_PROGRESS"), ev(6, "UPDATE_ROLLBACK_FAILED", { reason: "event reason" })] },
        stack: described("UPDATE_ROLLBACK_FAILED", "Resource [Web] could not be rolled back")
      })
      const end = yield* r.exit
      expect([end.status, end.statusReason]).toEqual(["UPDATE_ROLLBACK_FAILED", "Resource [Web] could not be rolled back"])
      expect(r.events.at(-1)).toMatchObject({ type: "stack-status", status: "UPDATE_ROLLBACK_FAILED", reason: "Resource [Web] could not be rolled back" })
    }))

  it.effect("the status is the one DescribeStacks gives, even where another action has begun since", () =>
    Effect.gen(function*() {
      const r = yield* follow({ events: { shop: [ev(1, "UPDATE_IN_PROGRESS"), ev(6, "UPDATE_COMPLETE")] }, stack: described("UPDATE_IN_PROGRESS") })
      expect((yield* r.exit).status).toBe("UPDATE_IN_PROGRESS")
    }))

  it.effect("a stack with no status reason: neither the end nor its report carries one", () =>
    Effect.gen(function*() {
      const r = yield* follow({ events: { shop: [ev(1, "UPDATE_IN_PROGRESS"), ev(6, "UPDATE_COMPLETE")] }, stack: described("UPDATE_COMPLETE") })
      expect(yield* r.exit).not.toHaveProperty("statusReason")
      expect(r.events.at(-1)).toMatchObject({ type: "stack-status", status: "UPDATE_COMPLETE" })
      expect(r.events.at(-1)).not.toHaveProperty("reason")
    }))
})

describe("the action's events as reported", () => {
  it.effect("an empty reason is reported as none", () =>
    Effect.gen(function*() {
      const r = yield* follow({
        events: { shop: [ev(1, "UPDATE_IN_PROGRESS", { reason: "" }), ev(6, "UPDATE_COMPLETE", { reason: "done" })] },
        stack: described("UPDATE_COMPLETE")
      })
      yield* r.exit
      const reported = r.events.filter((e) => e.type === "stack-event")
      expect(reported[0]).not.toHaveProperty("reason")
      expect(reported[1]).toMatchObject({ reason: "done" })
    }))

  it.effect("events of the same instant keep CloudFormation's order", () => {
    const QUEUE = { physicalId: "", resourceType: "AWS::SQS::Queue" }
    return Effect.gen(function*() {
      const r = yield* follow({
        events: {
          shop: [
            ev(1, "UPDATE_IN_PROGRESS"),
            ev(2, "UPDATE_IN_PROGRESS", { logicalId: "A", ...QUEUE }),
            ev(2, "UPDATE_IN_PROGRESS", { logicalId: "B", ...QUEUE }),
            ev(2, "UPDATE_IN_PROGRESS", { logicalId: "C", ...QUEUE }),
            ev(2, "UPDATE_COMPLETE", { logicalId: "A", ...QUEUE }),
            ev(9, "UPDATE_COMPLETE")
          ]
        },
        stack: described("UPDATE_COMPLETE")
      })
      yield* r.exit
      expect(r.shown).toEqual(["shop shop UPDATE_IN_PROGRESS", "shop A UPDATE_IN_PROGRESS", "shop B UPDATE_IN_PROGRESS", "shop C UPDATE_IN_PROGRESS", "shop A UPDATE_COMPLETE", "shop shop UPDATE_COMPLETE"])
    })
  })

  it.effect("interrupted, the wait says CloudFormation goes on without it", () =>
    Effect.gen(function*() {
      const { layer } = yield* scripted({ events: { shop: [ev(1, "UPDATE_IN_PROGRESS")] } })
      const events: Array<RolloutEvent> = []
      const fiber = yield* Effect.fork(collecting(followAction(ACTION, defaultWaitOptions), events).pipe(Effect.provide(layer)))
      yield* TestClock.adjust("12 seconds")
      yield* Fiber.interrupt(fiber)
      expect(events.flatMap((e) => (e.type === "warning" ? [e.message] : []))).toEqual(["stopped following stack shop: CloudFormation goes on by itself"])
    }))

  it.effect("before an action, one page of the stack's events is read, however long its history", () =>
    Effect.gen(function*() {
      const history = Array.from({ length: 9 }, (_, n) => ev(-100 + n, "UPDATE_COMPLETE", { clientRequestToken: "old" }))
      const { layer, reads } = yield* scripted({ events: { shop: history }, pageSize: 2 })
      const earlier = yield* eventsBefore("shop").pipe(Effect.provide(layer))
      expect(reads.map((r) => r.stack)).toEqual(["shop"])
      expect([...earlier]).toEqual([history[8]!.eventId, history[7]!.eventId])
    }))
})
