import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import type { RolloutEvent } from "../../src/program/Events.js"
import { DEFAULT_CAPABILITIES } from "../../src/program/stack/StackPlan.js"
import { deployStack } from "../../src/program/stack/StackUpdate.js"
import { belongsTo, defaultWaitOptions, failureReasons, isFinalEvent, isSuccessStatus, STACK_TYPE } from "../../src/program/stack/StackWait.js"
import type { StackEvent } from "../../src/services/CloudFormation.js"
import { addShop, SHOP, shopTemplate } from "../support/Stacks.js"
import { collecting, drive } from "../support/World.js"

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })

/** A stack named like one of its resources: the shop template's group has the logical id "Web". */
const NAME = "Web"

const event = (fields: Partial<StackEvent>): StackEvent => ({
  eventId: "e",
  stackName: NAME,
  timestamp: 0,
  logicalId: NAME,
  resourceType: STACK_TYPE,
  status: "UPDATE_COMPLETE",
  ...fields
})

describe("which events are the action's own", () => {
  const action = { stackName: NAME, clientRequestToken: "ours", startedAt: 100_000, earlier: new Set(["before"]) }
  const ours = belongsTo(action, 5_000)

  it("by its token when the event has one, whatever its time", () => {
    expect(ours(event({ clientRequestToken: "ours", timestamp: 1 }))).toBe(true)
    expect(ours(event({ clientRequestToken: "someone-else", timestamp: 100_000 }))).toBe(false)
  })

  it("by its time when the event has no token, or an empty one: from the look-back before the start on", () => {
    for (const token of [undefined, ""]) {
      const at = (timestamp: number) => ours(event(token === undefined ? { timestamp } : { timestamp, clientRequestToken: token }))
      expect(at(95_000)).toBe(true)
      expect(at(94_999)).toBe(false)
      expect(at(200_000)).toBe(true)
    }
  })

  it("never one the stack had before the action, token or not", () => {
    expect(ours(event({ eventId: "before", clientRequestToken: "ours", timestamp: 100_000 }))).toBe(false)
    expect(ours(event({ eventId: "before", timestamp: 100_000 }))).toBe(false)
  })
})

describe("the end of a stack action, in a stack with a resource whose logical id is the stack's name", () => {
  it("is the stack's own terminal event, never that resource's", () => {
    const final = isFinalEvent({ stackName: NAME, clientRequestToken: "t", startedAt: 0, earlier: new Set() })
    expect(final(event({}))).toBe(true)
    expect(final(event({ resourceType: "AWS::AutoScaling::AutoScalingGroup", physicalId: "shop-Web-1A2B3C" }))).toBe(false)
  })

  it.effect("the wait goes on past the resource's UPDATE_COMPLETE until the stack's own", () =>
    Effect.gen(function*() {
      yield* (yield* FakeWorld).addStack({ name: NAME, templateBody: shopTemplate, parameters: { AmiId: "ami-1", DbPassword: "hunter2" } })
      const events: Array<RolloutEvent> = []
      const exit = yield* drive(collecting(deployStack(NAME, {
        template: Option.none(),
        parameters: new Map([["AmiId", "ami-2"]]),
        capabilities: DEFAULT_CAPABILITIES,
        ...defaultWaitOptions
      }), events))
      expect(yield* exit).toEqual({ action: "updated", status: "UPDATE_COMPLETE" })
      const shown = events.flatMap((e) => (e.type === "stack-event" ? [`${e.logicalId} ${e.resourceType} ${e.status}`] : []))
      expect(shown.at(-1)).toBe(`${NAME} ${STACK_TYPE} UPDATE_COMPLETE`)
      expect(shown).toContain(`${NAME} AWS::AutoScaling::AutoScalingGroup UPDATE_COMPLETE`)
      const snap = yield* (yield* FakeWorld).snapshot
      expect(snap.stacks.find((s) => s.stackName === NAME)?.status).toBe("UPDATE_COMPLETE")
    }).pipe(Effect.provide(world)))
})

describe("the stack's own events", () => {
  it("are known by logical id, by the stack's name as physical id, or by its stack id; a nested stack's never", () => {
    const stackId = "arn:aws:cloudformation:eu-west-1:123456789012:stack/shop/1"
    const withId = isFinalEvent({ stackName: "shop", stackId, clientRequestToken: "t", startedAt: 0, earlier: new Set() })
    const withoutId = isFinalEvent({ stackName: "shop", clientRequestToken: "t", startedAt: 0, earlier: new Set() })
    expect(withId(event({ stackName: "shop", logicalId: "Root", physicalId: "shop" }))).toBe(true)
    expect(withId(event({ stackName: "shop", logicalId: "Root", physicalId: stackId }))).toBe(true)
    expect(withoutId(event({ stackName: "shop", logicalId: "Nested" }))).toBe(false)
    expect(withId(event({ stackName: "shop", logicalId: "Nested" }))).toBe(false)
  })

  it("end an action at every terminal status AWS documents, and at no _IN_PROGRESS one; three of them are successes", () => {
    const final = isFinalEvent({ stackName: "shop", clientRequestToken: "t", startedAt: 0, earlier: new Set() })
    const terminal = [
      "CREATE_COMPLETE", "CREATE_FAILED", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "UPDATE_COMPLETE", "UPDATE_FAILED",
      "UPDATE_ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_FAILED", "DELETE_COMPLETE", "DELETE_FAILED", "IMPORT_COMPLETE",
      "IMPORT_ROLLBACK_COMPLETE", "IMPORT_ROLLBACK_FAILED"
    ]
    for (const status of terminal) expect([status, final(event({ stackName: "shop", logicalId: "shop", status }))]).toEqual([status, true])
    for (const status of ["UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "REVIEW_IN_PROGRESS", ""]) {
      expect([status, final(event({ stackName: "shop", logicalId: "shop", status }))]).toEqual([status, false])
    }
    expect(terminal.filter(isSuccessStatus).sort()).toEqual(["CREATE_COMPLETE", "IMPORT_COMPLETE", "UPDATE_COMPLETE"])
  })

  it.effect("arriving faster than the polls and than a page holds: every one shown once, oldest first, the end seen in a batch", () =>
    Effect.gen(function*() {
      yield* addShop
      const events: Array<RolloutEvent> = []
      const exit = yield* drive(collecting(deployStack(SHOP, {
        template: Option.none(),
        parameters: new Map([["AmiId", "ami-2"]]),
        capabilities: DEFAULT_CAPABILITIES,
        ...defaultWaitOptions
      }), events))
      expect(yield* exit).toEqual({ action: "updated", status: "UPDATE_COMPLETE" })
      expect(events.flatMap((e) => (e.type === "stack-event" ? [`${e.logicalId} ${e.status}`] : []))).toEqual([
        "shop UPDATE_IN_PROGRESS",
        "WebTemplate UPDATE_IN_PROGRESS",
        "WebTemplate UPDATE_COMPLETE",
        "Web UPDATE_IN_PROGRESS",
        "Web UPDATE_COMPLETE",
        "shop UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        "shop UPDATE_COMPLETE"
      ])
      // An event without a reason is shown without one.
      for (const e of events) if (e.type === "stack-event" && e.status.endsWith("IN_PROGRESS") && e.logicalId !== "shop") expect(e).not.toHaveProperty("reason")
    }).pipe(Effect.provide(FakeAws.layer({ stackEventInterval: "1 second", stackEventPageSize: 2 }))))
})

describe("the end of the action", () => {
  const follow = Effect.gen(function*() {
    const events: Array<RolloutEvent> = []
    const exit = yield* drive(collecting(deployStack(SHOP, {
      template: Option.none(),
      parameters: new Map([["AmiId", "ami-2"]]),
      capabilities: DEFAULT_CAPABILITIES,
      ...defaultWaitOptions
    }), events))
    return { result: yield* exit, shown: events.filter((e) => e.type === "stack-event").length }
  })

  it.effect("is seen when it comes in one batch with the action's first events", () =>
    Effect.gen(function*() {
      yield* addShop
      // Nothing for 3 s, then every event within a second: the first round that sees any sees them all.
      yield* (yield* FakeWorld).delayNextStackAction(SHOP, "3 seconds")
      expect(yield* follow).toEqual({ result: { action: "updated", status: "UPDATE_COMPLETE" }, shown: 7 })
    }).pipe(Effect.provide(FakeAws.layer({ stackEventInterval: "100 millis" }))))

  it.effect("is seen when it comes in one batch with later events", () =>
    Effect.gen(function*() {
      yield* addShop
      // Events every 1.5 s, polls every 5 s: the last round brings the end with two others.
      expect(yield* follow).toEqual({ result: { action: "updated", status: "UPDATE_COMPLETE" }, shown: 7 })
    }).pipe(Effect.provide(FakeAws.layer({ stackEventInterval: "1500 millis" }))))
})

describe("why an action failed", () => {
  it("each cause once, without empty reasons; the cancellations alone when nothing else explains", () => {
    const failed = (logicalId: string, reason: string) => event({ logicalId, status: "UPDATE_FAILED", reason })
    expect(failureReasons([failed("Web", "bad AMI"), failed("Web", "bad AMI"), failed("Queue", ""), failed("Db", "Resource update canceled")]))
      .toEqual(["Web: bad AMI"])
    expect(failureReasons([failed("Queue", "Resource update cancelled"), failed("Db", "Resource update canceled")]))
      .toEqual(["Queue: Resource update cancelled", "Db: Resource update canceled"])
    expect(failureReasons([event({ status: "UPDATE_IN_PROGRESS", reason: "User Initiated" })])).toEqual([])
    // A failed event without any reason field says nothing either.
    expect(failureReasons([event({ logicalId: "Queue", status: "UPDATE_FAILED" }), failed("Web", "bad AMI")])).toEqual(["Web: bad AMI"])
  })
})
