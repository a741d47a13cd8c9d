import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { CloudFormation } from "../../src/services/CloudFormation.js"
import { addMall, MALL, mallTemplate, nestedStackName, putMallTemplates } from "../support/Nested.js"

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })

const line = (e: { readonly logicalId: string; readonly status: string }) => `${e.logicalId} ${e.status}`

const update = (ami: string, token = "tok-1") =>
  Effect.flatMap(CloudFormation, (cfn) =>
    cfn.updateStack({ stackName: MALL, parameters: [{ key: "AmiId", value: ami }], capabilities: [], clientRequestToken: token, template: Option.none() }))

const stackOf = (name: string) =>
  Effect.gen(function*() {
    const snap = yield* (yield* FakeWorld).snapshot
    return snap.stacks.find((s) => s.stackName === name)!
  })

describe("fake CloudFormation nested stacks", () => {
  it.effect("a stack added with nested stacks has them at any depth, each resource's physical id the nested stack's ARN", () =>
    Effect.gen(function*() {
      yield* addMall
      const cfn = yield* CloudFormation
      const top = yield* cfn.listResources(MALL)
      expect(top.map((r) => `${r.logicalId} ${r.resourceType}`)).toEqual(["Web AWS::CloudFormation::Stack", "Back AWS::CloudFormation::Stack"])
      const web = top.find((r) => r.logicalId === "Web")!
      expect(web.physicalId).toMatch(/^arn:aws:cloudformation:[a-z0-9-]+:\d{12}:stack\/mall-Web-[0-9A-F]+\/[0-9a-f-]+$/)
      // A nested stack is reachable by its ARN and by its name.
      const nested = Option.getOrThrow(yield* cfn.describeStack(web.physicalId))
      expect(nested.stackName).toBe(yield* nestedStackName(MALL, "Web"))
      expect((yield* cfn.listResources(nested.stackName)).map((r) => r.logicalId)).toEqual(["Template", "Group"])
      const back = yield* nestedStackName(MALL, "Back")
      const jobs = yield* nestedStackName(back, "Jobs")
      expect((yield* cfn.listResources(jobs)).map((r) => r.logicalId)).toEqual(["Template", "Workers"])
      const snap = yield* (yield* FakeWorld).snapshot
      expect(snap.groups.map((g) => g.desiredCapacity).sort()).toEqual([1, 2])
    }).pipe(Effect.provide(world)))

  it.effect("an update of the parent updates each nested stack inside the parent's resource event, and their groups", () =>
    Effect.gen(function*() {
      yield* addMall
      yield* update("ami-2")
      yield* TestClock.adjust("5 minutes")
      const parent = yield* stackOf(MALL)
      const web = yield* stackOf(yield* nestedStackName(MALL, "Web"))
      const mine = (es: typeof parent.events) => es.filter((e) => e.clientRequestToken === "tok-1")
      expect(mine(parent.events).map(line)).toEqual([
        "mall UPDATE_IN_PROGRESS",
        "Web UPDATE_IN_PROGRESS",
        "Web UPDATE_COMPLETE",
        "Back UPDATE_IN_PROGRESS",
        "Back UPDATE_COMPLETE",
        "mall UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        "mall UPDATE_COMPLETE"
      ])
      const webEvents = mine(web.events)
      expect(webEvents.map(line)).toEqual([
        `${web.stackName} UPDATE_IN_PROGRESS`,
        "Template UPDATE_IN_PROGRESS",
        "Template UPDATE_COMPLETE",
        "Group UPDATE_IN_PROGRESS",
        "Group UPDATE_COMPLETE",
        `${web.stackName} UPDATE_COMPLETE_CLEANUP_IN_PROGRESS`,
        `${web.stackName} UPDATE_COMPLETE`
      ])
      // The nested stack's events all fall between the parent's two events for its resource.
      const started = mine(parent.events).find((e) => line(e) === "Web UPDATE_IN_PROGRESS")!.timestamp
      const ended = mine(parent.events).find((e) => line(e) === "Web UPDATE_COMPLETE")!.timestamp
      expect(webEvents.every((e) => e.timestamp > started && e.timestamp < ended)).toBe(true)
      expect(web.parameters).toEqual({ AmiId: "ami-2" })
      const snap = yield* (yield* FakeWorld).snapshot
      expect(snap.groups.map((g) => g.launchTemplate?.version)).toEqual(["2", "2"])
    }).pipe(Effect.provide(world)))

  it.effect("a failure inside a nested stack rolls it back, fails the parent's resource with the nested reason, and rolls back the root", () =>
    Effect.gen(function*() {
      yield* addMall
      const back = yield* nestedStackName(MALL, "Back")
      const jobs = yield* nestedStackName(back, "Jobs")
      yield* (yield* FakeWorld).failNextStackUpdate(jobs, "Workers", "Invalid AMI ami-2")
      yield* update("ami-2")
      yield* TestClock.adjust("10 minutes")
      const parent = yield* stackOf(MALL)
      expect(parent.status).toBe("UPDATE_ROLLBACK_COMPLETE")
      const backState = yield* stackOf(back)
      const failed = backState.events.find((e) => e.logicalId === "Jobs" && e.status === "UPDATE_FAILED")
      expect(failed?.reason).toContain("was not successfully updated. Currently in UPDATE_ROLLBACK_IN_PROGRESS with reason: The following resource(s) failed to update: [Workers]")
      expect((yield* stackOf(jobs)).status).toBe("UPDATE_ROLLBACK_COMPLETE")
      expect(backState.status).toBe("UPDATE_ROLLBACK_COMPLETE")
      // The web tier had completed; the root's roll-back puts it back too.
      const web = yield* stackOf(yield* nestedStackName(MALL, "Web"))
      const webSelf = web.events.filter((e) => e.clientRequestToken === "tok-1" && e.logicalId === web.stackName).map((e) => e.status)
      expect(webSelf).toEqual([
        "UPDATE_IN_PROGRESS",
        "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_COMPLETE",
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE"
      ])
      expect(web.parameters).toEqual({ AmiId: "ami-1" })
      const snap = yield* (yield* FakeWorld).snapshot
      expect(snap.groups.map((g) => g.launchTemplate?.version)).toEqual(["1", "1"])
    }).pipe(Effect.provide(world)))

  it.effect("CreateStack creates the nested stacks inside their resources' events", () =>
    Effect.gen(function*() {
      yield* putMallTemplates
      const cfn = yield* CloudFormation
      yield* cfn.createStack({ stackName: MALL, parameters: [{ key: "AmiId", value: "ami-1" }], capabilities: [], clientRequestToken: "tok-c", template: { _tag: "Body", body: mallTemplate } })
      // Not there until the parent reaches its resource.
      expect((yield* (yield* FakeWorld).snapshot).stacks.map((s) => s.stackName)).toEqual([MALL])
      yield* TestClock.adjust("5 minutes")
      expect((yield* stackOf(MALL)).status).toBe("CREATE_COMPLETE")
      const web = yield* stackOf(yield* nestedStackName(MALL, "Web"))
      expect(web.status).toBe("CREATE_COMPLETE")
      expect((yield* (yield* FakeWorld).snapshot).groups).toHaveLength(2)
    }).pipe(Effect.provide(world)))
})
