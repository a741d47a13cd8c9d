import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"
import type { RolloutEvent } from "../../src/program/Events.js"
import { defaultWaitOptions, followAction, STACK_TYPE } from "../../src/program/stack/StackWait.js"
import { CloudFormation } from "../../src/services/CloudFormation.js"
import { AwsCallFailed } from "../../src/services/Errors.js"
import { aboutWeb, ACTION, described, ev, follow, NESTED, nestedOwn, nestedResource, scripted } from "../support/ScriptedStack.js"
import { collecting } from "../support/World.js"

/** Web, a nested stack of shop, has its own nested stack Jobs. */
const JOBS = "arn:aws:cloudformation:eu-west-1:123456789012:stack/shop-Web-1A2B-Jobs-3C4D/0a0b"
const twoDeep = {
  shop: [ev(1, "UPDATE_IN_PROGRESS"), aboutWeb(2, "UPDATE_IN_PROGRESS"), aboutWeb(30, "UPDATE_COMPLETE"), ev(31, "UPDATE_COMPLETE")],
  [NESTED]: [
    nestedOwn(3, "UPDATE_IN_PROGRESS"),
    ev(3, "UPDATE_IN_PROGRESS", { stackName: "shop-Web-1A2B", logicalId: "Jobs", physicalId: JOBS, clientRequestToken: "" }),
    ev(25, "UPDATE_COMPLETE", { stackName: "shop-Web-1A2B", logicalId: "Jobs", physicalId: JOBS, clientRequestToken: "" }),
    nestedOwn(26, "UPDATE_COMPLETE")
  ],
  [JOBS]: [
    ev(4, "UPDATE_IN_PROGRESS", { stackName: "shop-Web-1A2B-Jobs-3C4D", logicalId: "shop-Web-1A2B-Jobs-3C4D", physicalId: JOBS, clientRequestToken: "" }),
    ev(24, "UPDATE_COMPLETE", { stackName: "shop-Web-1A2B-Jobs-3C4D", logicalId: "shop-Web-1A2B-Jobs-3C4D", physicalId: JOBS, clientRequestToken: "" })
  ]
}

describe("nested stacks of the action", () => {
  const nestedUpdate = {
    // The round at 5 s reads Orders' event (4 s) in the parent before Web's own (3 s) in the nested stack.
    shop: [
      ev(1, "UPDATE_IN_PROGRESS"),
      aboutWeb(2, "UPDATE_IN_PROGRESS"),
      ev(4, "UPDATE_IN_PROGRESS", { logicalId: "Orders", physicalId: "", resourceType: "AWS::SQS::Queue" }),
      aboutWeb(25, "UPDATE_COMPLETE"),
      ev(26, "UPDATE_COMPLETE")
    ],
    // Its last action long ago is not ours. At 15 s its newest event is a resource's UPDATE_COMPLETE: the nested stack
    // itself is not done until 18 s.
    [NESTED]: [nestedOwn(-3600, "UPDATE_COMPLETE"), nestedOwn(3, "UPDATE_IN_PROGRESS"), nestedResource(8, "UPDATE_IN_PROGRESS"), nestedResource(14, "UPDATE_COMPLETE"), nestedOwn(18, "UPDATE_COMPLETE")]
  }
  const nestedShown = [
    "shop shop UPDATE_IN_PROGRESS",
    "shop Web UPDATE_IN_PROGRESS",
    "shop/Web shop-Web-1A2B UPDATE_IN_PROGRESS",
    "shop Orders UPDATE_IN_PROGRESS",
    "shop/Web Group UPDATE_IN_PROGRESS",
    "shop/Web Group UPDATE_COMPLETE",
    "shop/Web shop-Web-1A2B UPDATE_COMPLETE",
    "shop Web UPDATE_COMPLETE",
    "shop shop UPDATE_COMPLETE"
  ]

  it.effect("one in progress is read every round: its events are shown within a poll of their time", () =>
    Effect.gen(function*() {
      const r = yield* follow({ events: nestedUpdate, stack: described("UPDATE_COMPLETE") })
      yield* r.exit
      expect(r.shown).toEqual(nestedShown)
      for (const e of r.events) if (e.type === "stack-event") expect(e.at - e.timestamp).toBeLessThanOrEqual(5_000)
      expect(r.warnings).toEqual([])
    }))

  it.effect("one whose action ended is not read again until its parent logs an event about it", () =>
    Effect.gen(function*() {
      const r = yield* follow({ events: nestedUpdate, stack: described("UPDATE_COMPLETE") })
      yield* r.exit
      // A round that shows events is followed at once by another: read twice at 5, 10 and 15 s (a resource's
      // UPDATE_COMPLETE does not end it); at 20 s it has ended, so the round right after skips it; woken by the parent's
      // event at 25 s; read by the sweep at the end (30 s).
      expect(r.reads.filter((x) => x.stack === NESTED).map((x) => x.at / 1000)).toEqual([5, 5, 10, 10, 15, 15, 20, 25, 30])
    }))

  it.effect("its events are the action's from the look-back before the action's start on (5 s): one a millisecond older is not", () =>
    Effect.gen(function*() {
      const r = yield* follow({
        events: {
          shop: [ev(1, "UPDATE_IN_PROGRESS"), aboutWeb(2, "UPDATE_IN_PROGRESS"), aboutWeb(25, "UPDATE_COMPLETE"), ev(26, "UPDATE_COMPLETE")],
          // The nested stack's clock runs behind: its first event of this action says 5 s before the action began.
          [NESTED]: [nestedOwn(-5.001, "UPDATE_COMPLETE"), nestedOwn(-5, "UPDATE_IN_PROGRESS"), nestedOwn(18, "UPDATE_COMPLETE")]
        },
        stack: described("UPDATE_COMPLETE")
      })
      yield* r.exit
      expect(r.shown.filter((s) => s.startsWith("shop/Web "))).toEqual(["shop/Web shop-Web-1A2B UPDATE_IN_PROGRESS", "shop/Web shop-Web-1A2B UPDATE_COMPLETE"])
    }))

  it.effect("a nested stack resource with no id yet is not read", () =>
    Effect.gen(function*() {
      const r = yield* follow({
        events: {
          shop: [
            ev(1, "CREATE_IN_PROGRESS"),
            aboutWeb(2, "CREATE_IN_PROGRESS", ""),
            aboutWeb(2, "CREATE_IN_PROGRESS", null),
            aboutWeb(4, "CREATE_IN_PROGRESS"),
            aboutWeb(20, "CREATE_COMPLETE"),
            ev(21, "CREATE_COMPLETE")
          ],
          [NESTED]: [nestedOwn(5, "CREATE_IN_PROGRESS"), nestedOwn(15, "CREATE_COMPLETE")]
        },
        stack: described("CREATE_COMPLETE")
      })
      yield* r.exit
      expect(r.warnings).toEqual([])
      expect(r.reads.filter((x) => x.stack !== "shop" && x.stack !== NESTED)).toEqual([])
      expect(r.shown.filter((s) => s.startsWith("shop/Web "))).toEqual(["shop/Web shop-Web-1A2B CREATE_IN_PROGRESS", "shop/Web shop-Web-1A2B CREATE_COMPLETE"])
    }))

  it.effect("one that cannot be read now is read again next round, after a warning", () =>
    Effect.gen(function*() {
      const r = yield* follow({ events: nestedUpdate, stack: described("UPDATE_COMPLETE"), failing: { [NESTED]: 1 } })
      yield* r.exit
      // Web's own first event comes a round late: after Orders', shown in the round that could not read Web.
      expect(r.shown).toEqual([...nestedShown.slice(0, 2), nestedShown[3], nestedShown[2], ...nestedShown.slice(4)])
      expect(r.warnings).toEqual(["could not read the events of nested stack Web (Stack [arn:aws:cloudformation:eu-west-1:123456789012:stack/shop-Web-1A2B/0f0e] does not exist); going on"])
    }))

  it.effect("nested at any depth: a stack named by a nested stack's event is read in the same round", () =>
    Effect.gen(function*() {
      const r = yield* follow({ events: twoDeep, stack: described("UPDATE_COMPLETE") })
      yield* r.exit
      const jobs = r.events.flatMap((e) => (e.type === "stack-event" && e.stack === "shop/Web/Jobs" ? [e] : []))
      expect(jobs.map((e) => e.status)).toEqual(["UPDATE_IN_PROGRESS", "UPDATE_COMPLETE"])
      // The round at 5 s reads the parent, then Web, then Jobs that Web's event names.
      expect(jobs[0]!.at).toBe(5_000)
    }))

  it.effect("a stack two levels down that cannot be read is named by its path in the warning", () =>
    Effect.gen(function*() {
      const r = yield* follow({ events: twoDeep, stack: described("UPDATE_COMPLETE"), failing: { [JOBS]: 1 } })
      yield* r.exit
      expect(r.warnings).toEqual([`could not read the events of nested stack Web/Jobs (Stack [${JOBS}] does not exist); going on`])
      expect(r.shown.filter((line) => line.startsWith("shop/Web/Jobs "))).toHaveLength(2)
    }))

  it.effect("the nested stacks a round reads are read four at a time", () =>
    Effect.gen(function*() {
      const names = ["A", "B", "C", "D", "E", "F"]
      const arn = (n: string) => `arn:aws:cloudformation:eu-west-1:123456789012:stack/shop-${n}-1A2B/0f0e`
      const own = (n: string, at: number, status: string) =>
        ev(at, status, { stackName: `shop-${n}-1A2B`, logicalId: `shop-${n}-1A2B`, physicalId: arn(n), clientRequestToken: "" })
      const r = yield* follow({
        events: {
          shop: [
            ev(1, "UPDATE_IN_PROGRESS"),
            ...names.map((n) => ev(2, "UPDATE_IN_PROGRESS", { logicalId: n, physicalId: arn(n) })),
            ...names.map((n) => ev(20, "UPDATE_COMPLETE", { logicalId: n, physicalId: arn(n) })),
            ev(21, "UPDATE_COMPLETE")
          ],
          ...Object.fromEntries(names.map((n) => [arn(n), [own(n, 3, "UPDATE_IN_PROGRESS"), own(n, 19, "UPDATE_COMPLETE")]]))
        },
        stack: described("UPDATE_COMPLETE"),
        readTakes: 100
      })
      yield* r.exit
      expect(r.shown.filter((line) => line.startsWith("shop/"))).toHaveLength(12)
      expect(r.mostInFlight()).toBe(4)
    }))

  it.effect("at the end, those no event named are found from the stack's resources, each read once whichever id names it", () =>
    Effect.gen(function*() {
      const OTHER = "arn:aws:cloudformation:eu-west-1:123456789012:stack/shop-Api-5E6F/0c0d"
      const BACK = "arn:aws:cloudformation:eu-west-1:123456789012:stack/shop-Back-7G8H/0e0f"
      const r = yield* follow({
        events: {
          // Web's event names it by name, Back's by id, the resources the other way round; no event names Api.
          shop: [
            ev(1, "UPDATE_IN_PROGRESS"),
            aboutWeb(2, "UPDATE_IN_PROGRESS", "shop-Web-1A2B"),
            ev(2, "UPDATE_IN_PROGRESS", { logicalId: "Back", physicalId: BACK }),
            ev(21, "UPDATE_COMPLETE")
          ],
          [BACK]: [],
          "shop-Web-1A2B": [nestedOwn(3, "UPDATE_IN_PROGRESS"), nestedOwn(15, "UPDATE_COMPLETE")],
          // Logged on the very instant of the stack's final event: the final event still comes last.
          [OTHER]: [ev(21, "UPDATE_COMPLETE", { stackName: "shop-Api-5E6F", logicalId: "Queue", resourceType: "AWS::SQS::Queue", clientRequestToken: "" })]
        },
        resources: {
          shop: [
            { logicalId: "Web", physicalId: NESTED, resourceType: STACK_TYPE, status: "UPDATE_COMPLETE" },
            { logicalId: "Api", physicalId: OTHER, resourceType: STACK_TYPE, status: "UPDATE_COMPLETE" },
            { logicalId: "Back", physicalId: "shop-Back-7G8H", resourceType: STACK_TYPE, status: "UPDATE_COMPLETE" },
            { logicalId: "Db", physicalId: "", resourceType: STACK_TYPE, status: "CREATE_FAILED" },
            { logicalId: "Orders", physicalId: "https://sqs.eu-west-1.amazonaws.com/123456789012/orders", resourceType: "AWS::SQS::Queue", status: "UPDATE_COMPLETE" }
          ]
        },
        stack: described("UPDATE_COMPLETE")
      })
      yield* r.exit
      expect(r.warnings).toEqual([])
      expect(r.shown).toEqual([
        "shop shop UPDATE_IN_PROGRESS",
        "shop Web UPDATE_IN_PROGRESS",
        "shop Back UPDATE_IN_PROGRESS",
        "shop/Web shop-Web-1A2B UPDATE_IN_PROGRESS",
        "shop/Web shop-Web-1A2B UPDATE_COMPLETE",
        // Found at the end: shown then, before the stack's final event.
        "shop/Api Queue UPDATE_COMPLETE",
        "shop shop UPDATE_COMPLETE"
      ])
      expect(r.reads.filter((x) => x.stack === NESTED || x.stack === "shop-Back-7G8H")).toEqual([])
    }))

  it.effect("at the end, resources that cannot be listed leave the nested stacks unread, after a warning", () =>
    Effect.gen(function*() {
      const { layer } = yield* scripted({ events: { shop: [ev(1, "UPDATE_IN_PROGRESS"), ev(6, "UPDATE_COMPLETE")] } })
      const failingList = Layer.effect(
        CloudFormation,
        Effect.map(Effect.provide(CloudFormation, layer), (cfn) =>
          CloudFormation.of({ ...cfn, listResources: () => Effect.fail(new AwsCallFailed({ operation: "ListStackResources", message: "Access denied" })) }))
      )
      const events: Array<RolloutEvent> = []
      const end = yield* collecting(Effect.fork(followAction(ACTION, defaultWaitOptions)).pipe(
        Effect.tap(() => TestClock.adjust("10 seconds")),
        Effect.flatMap(Fiber.join)
      ), events).pipe(Effect.provide(failingList))
      expect(end.status).toBe("UPDATE_COMPLETE")
      expect(events.flatMap((e) => (e.type === "warning" ? [e.message] : []))).toEqual([
        "could not list the nested stacks of shop (Access denied); their last events are not shown"
      ])
    }))

  it.effect("a nested stack's events count from the action's start less the look-back, that instant included", () =>
    Effect.gen(function*() {
      const r = yield* follow({
        events: {
          shop: [ev(1, "UPDATE_IN_PROGRESS"), aboutWeb(2, "UPDATE_IN_PROGRESS"), aboutWeb(20, "UPDATE_COMPLETE"), ev(21, "UPDATE_COMPLETE")],
          // The look-back is 5 s: the event at -5 s may be the action's, the one a millisecond older is not.
          [NESTED]: [nestedResource(-5.001, "UPDATE_COMPLETE", "Before"), nestedResource(-5, "UPDATE_IN_PROGRESS", "Edge"), nestedOwn(15, "UPDATE_COMPLETE")]
        },
        stack: described("UPDATE_COMPLETE")
      })
      yield* r.exit
      expect(r.shown.filter((s) => s.startsWith("shop/Web "))).toEqual(["shop/Web Edge UPDATE_IN_PROGRESS", "shop/Web shop-Web-1A2B UPDATE_COMPLETE"])
    }))

  it.effect("events a nested stack logged in one instant are shown in the order it logged them", () =>
    Effect.gen(function*() {
      const r = yield* follow({
        events: {
          shop: [ev(1, "UPDATE_IN_PROGRESS"), aboutWeb(2, "UPDATE_IN_PROGRESS"), aboutWeb(20, "UPDATE_COMPLETE"), ev(21, "UPDATE_COMPLETE")],
          [NESTED]: [nestedResource(3, "UPDATE_IN_PROGRESS", "First"), nestedResource(3, "UPDATE_IN_PROGRESS", "Second"), nestedResource(3, "UPDATE_IN_PROGRESS", "Third"), nestedOwn(15, "UPDATE_COMPLETE")]
        },
        stack: described("UPDATE_COMPLETE")
      })
      yield* r.exit
      expect(r.shown.filter((s) => s.startsWith("shop/Web "))).toEqual([
        "shop/Web First UPDATE_IN_PROGRESS",
        "shop/Web Second UPDATE_IN_PROGRESS",
        "shop/Web Third UPDATE_IN_PROGRESS",
        "shop/Web shop-Web-1A2B UPDATE_COMPLETE"
      ])
    }))

  it.effect("a nested stack's long history is read only as far as the action: its pages stop at the first older event", () =>
    Effect.gen(function*() {
      const history = Array.from({ length: 7 }, (_, n) => nestedResource(-100 + n, "UPDATE_COMPLETE", `Old${n}`))
      const fresh = Array.from({ length: 3 }, (_, n) => nestedResource(3, "UPDATE_IN_PROGRESS", `New${n}`))
      const r = yield* follow({
        events: {
          shop: [ev(1, "UPDATE_IN_PROGRESS"), aboutWeb(2, "UPDATE_IN_PROGRESS"), aboutWeb(20, "UPDATE_COMPLETE"), ev(21, "UPDATE_COMPLETE")],
          [NESTED]: [...history, ...fresh, nestedOwn(15, "UPDATE_COMPLETE")]
        },
        stack: described("UPDATE_COMPLETE"),
        pageSize: 2
      })
      yield* r.exit
      expect(r.shown.filter((s) => s.startsWith("shop/Web "))).toEqual([
        "shop/Web New0 UPDATE_IN_PROGRESS",
        "shop/Web New1 UPDATE_IN_PROGRESS",
        "shop/Web New2 UPDATE_IN_PROGRESS",
        "shop/Web shop-Web-1A2B UPDATE_COMPLETE"
      ])
      // The round at 5 s reads Web in two pages (New2, New1; New0 and the first old event) and stops there; the next
      // round, at once, in one page (New2 is known).
      expect(r.reads.filter((x) => x.at === 5_000).map((x) => (x.stack === NESTED ? "Web" : x.stack))).toEqual(["shop", "Web", "Web", "shop", "Web"])
    }))
})
