import { describe, expect, it } from "@effect/vitest"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import type { RolloutEvent } from "../../src/program/Events.js"
import { DEFAULT_CAPABILITIES } from "../../src/program/stack/StackPlan.js"
import { previewStack } from "../../src/program/stack/StackPreview.js"
import { deployStack, type StackUpdateOptions } from "../../src/program/stack/StackUpdate.js"
import { defaultWaitOptions } from "../../src/program/stack/StackWait.js"
import { CloudFormation } from "../../src/services/CloudFormation.js"
import type { TemplateBucket } from "../../src/services/TemplateBucket.js"
import { addShop, callsOf, mutating, SHOP, shopState, shopTemplate } from "../support/Stacks.js"
import { collecting, drive } from "../support/World.js"

const delays = { launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" } as const
const world = FakeAws.layer(delays)

const options = (o: Partial<StackUpdateOptions> = {}): StackUpdateOptions => ({
  template: Option.none(),
  parameters: new Map([["AmiId", "ami-2"]]),
  capabilities: DEFAULT_CAPABILITIES,
  ...defaultWaitOptions,
  ...o
})

/** Runs a stack action on the TestClock, collecting what it reports. */
const run = <A, E>(effect: Effect.Effect<A, E, CloudFormation | TemplateBucket>, step: Duration.DurationInput = "1 second") =>
  Effect.gen(function*() {
    const events: Array<RolloutEvent> = []
    const exit = yield* drive(collecting(effect, events), { step })
    const shown = events.flatMap((e) => (e.type === "stack-event" ? [`${e.logicalId} ${e.status}`] : []))
    return { exit, events, shown }
  })

const UPDATE_EVENTS = [
  "shop UPDATE_IN_PROGRESS",
  "WebTemplate UPDATE_IN_PROGRESS",
  "WebTemplate UPDATE_COMPLETE",
  "Web UPDATE_IN_PROGRESS",
  "Web UPDATE_COMPLETE",
  "shop UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
  "shop UPDATE_COMPLETE"
]

describe("following a stack action", () => {
  it.effect("shows each event of the update once, oldest first, across pages, and reads the end from DescribeStacks", () =>
    Effect.gen(function*() {
      yield* addShop
      const r = yield* run(deployStack(SHOP, options()))
      expect(yield* r.exit).toEqual({ action: "updated", status: "UPDATE_COMPLETE" })
      expect(r.shown).toEqual(UPDATE_EVENTS)
      const last = r.events.at(-1)
      expect(last).toMatchObject({ type: "stack-status", status: "UPDATE_COMPLETE" })
      const calls = (yield* callsOf).map((c) => c.operation)
      expect(calls.at(-1)).toBe("DescribeStacks")
      // Pages of two: following 7 events took more DescribeStackEvents calls than poll rounds would alone.
      expect(calls.filter((c) => c === "DescribeStackEvents").length).toBeGreaterThan(8)
    }).pipe(Effect.provide(FakeAws.layer({ ...delays, stackEventPageSize: 2 }))))

  it.effect("ignores the events of an earlier action, by token", () =>
    Effect.gen(function*() {
      yield* addShop
      yield* Effect.flatten(run(deployStack(SHOP, options())).pipe(Effect.map((r) => r.exit)))
      const second = yield* run(deployStack(SHOP, options({ parameters: new Map([["AmiId", "ami-3"]]) })))
      expect(yield* second.exit).toEqual({ action: "updated", status: "UPDATE_COMPLETE" })
      expect(second.shown).toEqual(UPDATE_EVENTS)
    }).pipe(Effect.provide(world)))

  it.effect("where events carry no token, counts them by time, never those that were there before the action", () =>
    Effect.gen(function*() {
      // addShop's CREATE_COMPLETE carries no token and lands on the very instant the update starts.
      yield* addShop
      const r = yield* run(deployStack(SHOP, options()))
      expect(yield* r.exit).toEqual({ action: "updated", status: "UPDATE_COMPLETE" })
      expect(r.shown).toEqual(UPDATE_EVENTS)
    }).pipe(Effect.provide(FakeAws.layer({ ...delays, stackEventTokens: false }))))

  it.effect("the idle limit restarts with every new event: a 60 s update passes a 15 s --action-timeout", () =>
    Effect.gen(function*() {
      yield* addShop
      const r = yield* run(deployStack(SHOP, options({ actionTimeout: "15 seconds" })))
      expect(yield* r.exit).toEqual({ action: "updated", status: "UPDATE_COMPLETE" })
      const { now } = yield* shopState
      expect(now).toBeGreaterThanOrEqual(60_000)
    }).pipe(Effect.provide(FakeAws.layer({ ...delays, stackEventInterval: "10 seconds" }))))

  it.effect("a gap between two events longer than --action-timeout stops the wait with the stack's status", () =>
    Effect.gen(function*() {
      yield* addShop
      const r = yield* run(deployStack(SHOP, options({ actionTimeout: "15 seconds" })))
      expect(yield* Effect.flip(r.exit)).toMatchObject({
        _tag: "StackActionTimedOut",
        phase: "idle",
        seconds: 15,
        status: "UPDATE_IN_PROGRESS"
      })
      expect(r.shown).toEqual(["shop UPDATE_IN_PROGRESS"])
      const { now } = yield* shopState
      expect(now).toBeLessThan(20_000)
    }).pipe(Effect.provide(FakeAws.layer({ ...delays, stackEventInterval: "20 seconds" }))))

  it.effect("no event of the action within --warmup-seconds stops the wait after the warm-up", () =>
    Effect.gen(function*() {
      yield* addShop
      yield* (yield* FakeWorld).delayNextStackAction(SHOP, "60 seconds")
      const r = yield* run(deployStack(SHOP, options({ warmup: "25 seconds" })))
      expect(yield* Effect.flip(r.exit)).toMatchObject({ _tag: "StackActionTimedOut", phase: "start", seconds: 25, status: "UPDATE_IN_PROGRESS" })
      expect(r.shown).toEqual([])
      const { now } = yield* shopState
      expect(now).toBeGreaterThanOrEqual(25_000)
      expect(now).toBeLessThan(30_000)
    }).pipe(Effect.provide(world)))

  it.effect("a failed update fails with the reasons of its failed events", () =>
    Effect.gen(function*() {
      yield* addShop
      yield* (yield* FakeWorld).failNextStackUpdate(SHOP, "Web", "Invalid AMI ami-2")
      const r = yield* run(deployStack(SHOP, options()))
      expect(yield* Effect.flip(r.exit)).toMatchObject({
        _tag: "StackActionFailed",
        status: "UPDATE_ROLLBACK_COMPLETE",
        reasons: ["Web: Invalid AMI ami-2"]
      })
      expect(r.shown).toContain("Web UPDATE_FAILED")
    }).pipe(Effect.provide(world)))
})

describe("the stack action", () => {
  it.effect("keeps a NoEcho parameter it was not given: UsePreviousValue, never the masked value read back", () =>
    Effect.gen(function*() {
      yield* addShop
      yield* Effect.flatten(Effect.map(run(deployStack(SHOP, options())), (r) => r.exit))
      const { stack } = yield* shopState
      expect(stack.parameters).toEqual({ AmiId: "ami-2", DbPassword: "hunter2", Env: "prod" })
    }).pipe(Effect.provide(world)))

  it.effect("creates a stack from a YAML template with short tags, and follows the creation", () =>
    Effect.gen(function*() {
      const r = yield* run(deployStack(SHOP, options({
        template: Option.some({ source: { _tag: "Body", body: shopTemplate }, body: Option.some(shopTemplate), origin: "shop.yaml" }),
        parameters: new Map([["AmiId", "ami-1"], ["DbPassword", "secret-1"]])
      })))
      expect(yield* r.exit).toEqual({ action: "created", status: "CREATE_COMPLETE" })
      expect(r.shown.at(-1)).toBe("shop CREATE_COMPLETE")
      const { web, stack } = yield* shopState
      expect(web.tags["Name"]).toBe("shop-web")
      expect(web.launchTemplate).toEqual({ id: stack.resources["WebTemplate"]?.physicalId, version: "1" })
      expect(yield* mutating).toEqual(["CreateStack"])
    }).pipe(Effect.provide(world)))

  it.effect("refuses a stack with an operation in progress, saying what to do, before any mutating call", () =>
    Effect.gen(function*() {
      yield* addShop
      yield* (yield* CloudFormation).updateStack({
        stackName: SHOP,
        template: Option.none(),
        parameters: [{ key: "AmiId", value: "ami-9" }, { key: "DbPassword", usePreviousValue: true }],
        capabilities: [],
        clientRequestToken: "someone-else"
      })
      const r = yield* run(deployStack(SHOP, options()))
      const e = yield* Effect.flip(r.exit)
      expect(e).toMatchObject({ _tag: "StackNotUpdatable", status: "UPDATE_IN_PROGRESS" })
      expect(e._tag === "StackNotUpdatable" && e.advice).toContain("wait until CloudFormation finishes")
      expect(yield* mutating).toEqual(["UpdateStack"])
    }).pipe(Effect.provide(world)))

  it.effect("a dry run creates, describes and deletes one change set and changes nothing else", () =>
    Effect.gen(function*() {
      yield* addShop
      const r = yield* run(previewStack(SHOP, options()))
      const preview = yield* r.exit
      expect(preview.changes.map((c) => `${c.action} ${c.logicalId} ${c.replacement}`)).toEqual(["Modify WebTemplate False", "Modify Web False"])
      expect(preview.parameters).toEqual([{ key: "AmiId", from: "ami-1", to: "ami-2" }])
      expect(yield* mutating).toEqual(["CreateChangeSet", "DeleteChangeSet"])
      const { stack, web } = yield* shopState
      expect([stack.status, stack.parameters["AmiId"], web.launchTemplate?.version]).toEqual(["CREATE_COMPLETE", "ami-1", "1"])
      expect(Exit.isSuccess(r.exit)).toBe(true)
    }).pipe(Effect.provide(world)))
})
