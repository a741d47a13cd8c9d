import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import type { RolloutEvent } from "../../src/program/Events.js"
import { DEFAULT_CAPABILITIES } from "../../src/program/StackPlan.js"
import { deployStack } from "../../src/program/StackUpdate.js"
import { defaultWaitOptions, isFinalEvent, STACK_TYPE } from "../../src/program/StackWait.js"
import type { StackEvent } from "../../src/services/CloudFormation.js"
import { shopTemplate } from "../support/Stacks.js"
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
