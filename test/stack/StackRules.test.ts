import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { StackEvent } from "../../src/services/CloudFormation.js"
import { notUpdatable, parseCapabilities } from "../../src/program/stack/StackPlan.js"
import { parameterChanges } from "../../src/program/stack/StackPreview.js"
import { belongsTo, failureReasons, isFinalEvent, type StackAction } from "../../src/program/stack/StackWait.js"

const action: StackAction = {
  stackName: "shop",
  stackId: "arn:aws:cloudformation:eu-west-1:123456789012:stack/shop/1",
  clientRequestToken: "aws-ha-updater-ours",
  startedAt: 100_000,
  earlier: new Set(["old-1"])
}

const event = (fields: Partial<StackEvent>): StackEvent => ({
  eventId: "e",
  stackName: "shop",
  timestamp: 100_000,
  logicalId: "shop",
  resourceType: "AWS::CloudFormation::Stack",
  status: "UPDATE_IN_PROGRESS",
  ...fields
})

describe("which events are the action's own", () => {
  const ours = belongsTo(action, 5_000)

  it("by our token; another token never counts, however recent", () => {
    expect(ours(event({ clientRequestToken: "aws-ha-updater-ours", timestamp: 0 }))).toBe(true)
    expect(ours(event({ clientRequestToken: "someone-else", timestamp: 200_000 }))).toBe(false)
  })

  it("without a token, by time: newer than the start minus the look-back", () => {
    expect(ours(event({ timestamp: 95_000 }))).toBe(true)
    expect(ours(event({ timestamp: 94_999 }))).toBe(false)
    expect(ours(event({ timestamp: 95_000, clientRequestToken: "" }))).toBe(true)
  })

  it("an event that existed before the action never counts, even inside the look-back", () => {
    expect(ours(event({ eventId: "old-1", timestamp: 99_000 }))).toBe(false)
  })

  it("the end is the stack's own event with a terminal status, not a nested stack's nor a cleanup", () => {
    const final = isFinalEvent(action)
    expect(final(event({ status: "UPDATE_COMPLETE" }))).toBe(true)
    expect(final(event({ status: "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS" }))).toBe(false)
    expect(final(event({ status: "UPDATE_COMPLETE", logicalId: "Nested", physicalId: "arn:other" }))).toBe(false)
  })
})

describe("failure reasons", () => {
  it("the failed events' reasons, oldest first, without the cancellations they caused", () => {
    expect(failureReasons([
      event({ status: "UPDATE_IN_PROGRESS", logicalId: "Web", reason: "" }),
      event({ status: "UPDATE_FAILED", logicalId: "Web", reason: "Resource handler returned: invalid AMI" }),
      event({ status: "UPDATE_FAILED", logicalId: "Queue", reason: "Resource update cancelled" }),
      event({ status: "UPDATE_ROLLBACK_IN_PROGRESS", reason: "The following resource(s) failed to update: [Web]." })
    ])).toEqual(["Web: Resource handler returned: invalid AMI"])
  })
})

describe("stacks that cannot be updated", () => {
  it("are refused with what the user can do", () => {
    expect(Option.isNone(notUpdatable("shop", "UPDATE_ROLLBACK_COMPLETE"))).toBe(true)
    expect(Option.getOrThrow(notUpdatable("shop", "UPDATE_IN_PROGRESS"))).toContain("wait until CloudFormation finishes")
    expect(Option.getOrThrow(notUpdatable("shop", "ROLLBACK_COMPLETE", "eu-west-1")))
      .toContain("aws cloudformation delete-stack --region eu-west-1 --stack-name shop")
    expect(Option.getOrThrow(notUpdatable("shop", "UPDATE_ROLLBACK_FAILED"))).toContain("continue-update-rollback")
    expect(Option.getOrThrow(notUpdatable("shop", "REVIEW_IN_PROGRESS"))).toContain("change set")
  })
})

describe("--capabilities", () => {
  it.effect("replaces the list, comma- or space-separated; an unknown one is refused", () =>
    Effect.gen(function*() {
      expect(yield* parseCapabilities("CAPABILITY_AUTO_EXPAND, CAPABILITY_IAM")).toEqual(["CAPABILITY_AUTO_EXPAND", "CAPABILITY_IAM"])
      expect(yield* parseCapabilities("")).toEqual([])
      expect((yield* Effect.flip(parseCapabilities("CAPABILITY_ROOT"))).message).toContain("unknown CAPABILITY_ROOT")
    }))
})

describe("dry-run parameter differences", () => {
  it("changed, new and removed values; a NoEcho value we give shows as changed though both sides are masked", () => {
    expect(parameterChanges(
      [{ key: "Version", value: "1" }, { key: "Secret", value: "****" }, { key: "Old", value: "x" }, { key: "Same", value: "s" }],
      [{ key: "Version", value: "2" }, { key: "Secret", value: "****" }, { key: "New", value: "n" }, { key: "Same", value: "s" }],
      new Set(["Version", "Secret"])
    )).toEqual([
      { key: "Version", from: "1", to: "2" },
      { key: "Secret", from: "****", to: "**** (new value given)" },
      { key: "Old", from: "x" },
      { key: "New", to: "n" }
    ])
  })
})
