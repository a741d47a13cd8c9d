import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { CloudFormation, type ParameterInput } from "../../src/services/CloudFormation.js"
import { addShop, callsOf, SHOP, shopState, shopTemplate } from "../support/Stacks.js"

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })
const CAPS = ["CAPABILITY_IAM"]

const update = (parameters: ReadonlyArray<ParameterInput>, token = "tok-1") =>
  Effect.flatMap(CloudFormation, (cfn) =>
    cfn.updateStack({ stackName: SHOP, parameters, capabilities: CAPS, clientRequestToken: token, template: Option.none() }))

const keepOthers: ReadonlyArray<ParameterInput> = [{ key: "DbPassword", usePreviousValue: true }, { key: "Env", usePreviousValue: true }]
const newAmi = [{ key: "AmiId", value: "ami-2" }, ...keepOthers]

const eventsOf = (token: string) =>
  Effect.map(shopState, ({ stack }) => stack.events.filter((e) => e.clientRequestToken === token))

const line = (e: { readonly logicalId: string; readonly status: string }) => `${e.logicalId} ${e.status}`

describe("fake CloudFormation stack actions", () => {
  it.effect("an update logs its events over Clock time, each resource in progress then complete, all with the token", () =>
    Effect.gen(function*() {
      yield* addShop
      expect(yield* update(newAmi)).toMatchObject({ _tag: "Started" })
      // The first event is there when UpdateStack returns, the rest come one interval (5 s) apart.
      expect((yield* eventsOf("tok-1")).map(line)).toEqual(["shop UPDATE_IN_PROGRESS"])
      expect((yield* shopState).stack.status).toBe("UPDATE_IN_PROGRESS")
      yield* TestClock.adjust("15 seconds")
      expect((yield* eventsOf("tok-1")).map(line)).toEqual([
        "shop UPDATE_IN_PROGRESS",
        "WebTemplate UPDATE_IN_PROGRESS",
        "WebTemplate UPDATE_COMPLETE",
        "Web UPDATE_IN_PROGRESS"
      ])
      // The group moves to the new launch template version only when its resource completes.
      expect((yield* shopState).web.launchTemplate?.version).toBe("1")
      yield* TestClock.adjust("15 seconds")
      const { stack, web } = yield* shopState
      expect(stack.events.filter((e) => e.clientRequestToken === "tok-1").map(line).slice(4)).toEqual([
        "Web UPDATE_COMPLETE",
        "shop UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        "shop UPDATE_COMPLETE"
      ])
      expect(stack.status).toBe("UPDATE_COMPLETE")
      expect(web.launchTemplate?.version).toBe("2")
      expect(web.instances.map((i) => i.launchTemplate?.version)).toEqual(["1", "1"])
      expect(stack.parameters).toEqual({ AmiId: "ami-2", DbPassword: "hunter2", Env: "prod" })
    }).pipe(Effect.provide(world)))

  it.effect("DescribeStacks masks NoEcho values; UsePreviousValue keeps the real one", () =>
    Effect.gen(function*() {
      yield* addShop
      yield* update(newAmi)
      yield* TestClock.adjust("1 minute")
      const described = Option.getOrThrow(yield* (yield* CloudFormation).describeStack(SHOP))
      expect(described.parameters).toContainEqual({ key: "DbPassword", value: "****" })
      expect((yield* shopState).stack.parameters["DbPassword"]).toBe("hunter2")
    }).pipe(Effect.provide(world)))

  it.effect("an armed failure fails that resource, rolls back what was done, and ends UPDATE_ROLLBACK_COMPLETE", () =>
    Effect.gen(function*() {
      yield* addShop
      yield* (yield* FakeWorld).failNextStackUpdate(SHOP, "Web", "Invalid AMI ami-2")
      yield* update(newAmi)
      yield* TestClock.adjust("2 minutes")
      const { stack, web } = yield* shopState
      const events = stack.events.filter((e) => e.clientRequestToken === "tok-1")
      expect(events.map(line)).toEqual([
        "shop UPDATE_IN_PROGRESS",
        "WebTemplate UPDATE_IN_PROGRESS",
        "WebTemplate UPDATE_COMPLETE",
        "Web UPDATE_IN_PROGRESS",
        "Web UPDATE_FAILED",
        "shop UPDATE_ROLLBACK_IN_PROGRESS",
        "WebTemplate UPDATE_IN_PROGRESS",
        "WebTemplate UPDATE_COMPLETE",
        "shop UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        "shop UPDATE_ROLLBACK_COMPLETE"
      ])
      expect(events.find((e) => e.status === "UPDATE_FAILED")?.reason).toBe("Invalid AMI ami-2")
      expect(stack.status).toBe("UPDATE_ROLLBACK_COMPLETE")
      expect(stack.parameters["AmiId"]).toBe("ami-1")
      expect(web.launchTemplate?.version).toBe("1")
      // Consumed: the next update goes through.
      yield* update(newAmi, "tok-2")
      yield* TestClock.adjust("1 minute")
      expect((yield* shopState).stack.status).toBe("UPDATE_COMPLETE")
    }).pipe(Effect.provide(world)))

  it.effect("refuses what AWS refuses: nothing to update, an update in progress, a bad value, UsePreviousValue of a new key", () =>
    Effect.gen(function*() {
      yield* addShop
      expect(yield* update(keepOthers.concat([{ key: "AmiId", usePreviousValue: true }]))).toEqual({ _tag: "NoUpdates" })
      expect((yield* Effect.flip(update([{ key: "AmiId", value: "not-an-ami" }, ...keepOthers]))).message)
        .toBe(`Parameter 'AmiId' "not-an-ami" does not match its AllowedPattern ami-[a-z0-9]+`)
      expect((yield* Effect.flip(update([...newAmi, { key: "Colour", usePreviousValue: true }]))).message).toContain("Cannot specify usePreviousValue")
      expect((yield* Effect.flip(update([{ key: "AmiId", value: "ami-2" }]))).message).toBe("Parameters: [DbPassword] must have values")
      yield* update(newAmi)
      const busy = yield* Effect.flip(update([{ key: "AmiId", value: "ami-3" }, ...keepOthers], "tok-2"))
      expect(busy.message).toMatch(/is in UPDATE_IN_PROGRESS state and can not be updated\.$/)
    }).pipe(Effect.provide(world)))

  it.effect("a create makes each resource in turn; the group exists from its CREATE_COMPLETE on", () =>
    Effect.gen(function*() {
      const cfn = yield* CloudFormation
      const input = {
        stackName: SHOP,
        template: { _tag: "Body" as const, body: shopTemplate },
        parameters: [{ key: "AmiId", value: "ami-1" }, { key: "DbPassword", value: "secret-1" }],
        capabilities: CAPS,
        clientRequestToken: "tok-c"
      }
      const stackId = yield* cfn.createStack(input)
      expect(stackId).toMatch(/^arn:aws:cloudformation:eu-west-1:123456789012:stack\/shop\//)
      expect((yield* (yield* FakeWorld).snapshot).groups).toEqual([])
      // Eight events, 5 s apart: the last one 35 s after the call.
      yield* TestClock.adjust("30 seconds")
      expect((yield* (yield* FakeWorld).snapshot).stacks[0]?.status).toBe("CREATE_IN_PROGRESS")
      yield* TestClock.adjust("5 seconds")
      const snap = yield* (yield* FakeWorld).snapshot
      const stack = snap.stacks[0]
      expect(stack?.status).toBe("CREATE_COMPLETE")
      expect(stack?.events.map(line)).toEqual([
        "shop CREATE_IN_PROGRESS",
        "WebTemplate CREATE_IN_PROGRESS",
        "WebTemplate CREATE_COMPLETE",
        "Web CREATE_IN_PROGRESS",
        "Web CREATE_COMPLETE",
        "Orders CREATE_IN_PROGRESS",
        "Orders CREATE_COMPLETE",
        "shop CREATE_COMPLETE"
      ])
      expect(snap.groups.map((g) => [g.name, g.launchTemplate?.version, g.tags["Name"]])).toEqual([[stack?.resources["Web"]?.physicalId, "1", "shop-web"]])
      expect((yield* Effect.flip(cfn.createStack({ ...input, clientRequestToken: "tok-d" }))).message).toBe("Stack [shop] already exists")
    }).pipe(Effect.provide(world)))

  it.effect("DescribeStackEvents answers newest first, one call per page, and stops after the page `stop` picks", () =>
    Effect.gen(function*() {
      yield* addShop
      const cfn = yield* CloudFormation
      const all = yield* cfn.stackEvents(SHOP, () => false)
      expect(all.map(line).slice(0, 2)).toEqual(["shop CREATE_COMPLETE", "Orders CREATE_COMPLETE"])
      expect(all.every((e, i) => i === 0 || (all[i - 1]?.timestamp ?? 0) >= e.timestamp)).toBe(true)
      const first = yield* cfn.stackEvents(SHOP, () => true)
      expect(first).toHaveLength(all.length)
      const count = (yield* callsOf).filter((c) => c.operation === "DescribeStackEvents").length
      expect(count).toBe(2)
    }).pipe(Effect.provide(world)))

  it.effect("with a small page size the pages chain until the end of the history", () =>
    Effect.gen(function*() {
      yield* addShop
      const all = yield* (yield* CloudFormation).stackEvents(SHOP, () => false)
      expect(all.map(line)).toHaveLength(8)
      expect(new Set(all.map((e) => e.eventId)).size).toBe(8)
      expect((yield* callsOf).filter((c) => c.operation === "DescribeStackEvents")).toHaveLength(3)
    }).pipe(Effect.provide(FakeAws.layer({ stackEventPageSize: 3 }))))

  it.effect("a change set is computed over one interval, lists its changes with masked parameters, and is deleted", () =>
    Effect.gen(function*() {
      yield* addShop
      const cfn = yield* CloudFormation
      const common = { stackName: SHOP, changeSetType: "UPDATE" as const, template: Option.none(), capabilities: CAPS, clientRequestToken: "t" }
      yield* cfn.createChangeSet({ ...common, changeSetName: "preview", parameters: newAmi })
      expect((yield* cfn.describeChangeSet(SHOP, "preview")).status).toBe("CREATE_IN_PROGRESS")
      yield* TestClock.adjust("5 seconds")
      const described = yield* cfn.describeChangeSet(SHOP, "preview")
      expect(described.status).toBe("CREATE_COMPLETE")
      expect(described.changes.map((c) => [c.action, c.logicalId, c.replacement])).toEqual([
        ["Modify", "WebTemplate", "False"],
        ["Modify", "Web", "False"]
      ])
      expect(described.parameters).toEqual([
        { key: "AmiId", value: "ami-2" },
        { key: "DbPassword", value: "****" },
        { key: "Env", value: "prod" }
      ])
      yield* cfn.createChangeSet({ ...common, changeSetName: "same", parameters: [{ key: "AmiId", usePreviousValue: true }, ...keepOthers] })
      yield* TestClock.adjust("5 seconds")
      expect(yield* cfn.describeChangeSet(SHOP, "same")).toMatchObject({ status: "FAILED", changes: [] })
      yield* cfn.deleteChangeSet(SHOP, "preview")
      expect((yield* Effect.flip(cfn.describeChangeSet(SHOP, "preview"))).message).toBe("ChangeSet [preview] does not exist")
      const { stack, web } = yield* shopState
      expect([stack.status, stack.parameters["AmiId"], web.launchTemplate?.version]).toEqual(["CREATE_COMPLETE", "ami-1", "1"])
    }).pipe(Effect.provide(world)))

  it.effect("a changed launch configuration is replaced, and its group moves to the new one", () =>
    Effect.gen(function*() {
      const body = JSON.stringify({
        Parameters: { AmiId: { Type: "String" } },
        Resources: {
          Config: { Type: "AWS::AutoScaling::LaunchConfiguration", Properties: { ImageId: { Ref: "AmiId" }, InstanceType: "t3.micro" } },
          Api: { Type: "AWS::AutoScaling::AutoScalingGroup", Properties: { MinSize: "1", MaxSize: "2", LaunchConfigurationName: { Ref: "Config" } } }
        }
      })
      yield* (yield* FakeWorld).addStack({ name: "api", templateBody: body, parameters: { AmiId: "ami-1" } })
      const before = (yield* (yield* FakeWorld).snapshot).groups[0]?.launchConfigurationName
      yield* (yield* CloudFormation).updateStack({
        stackName: "api",
        template: Option.none(),
        parameters: [{ key: "AmiId", value: "ami-2" }],
        capabilities: [],
        clientRequestToken: "tok-lc"
      })
      yield* TestClock.adjust("1 minute")
      const snap = yield* (yield* FakeWorld).snapshot
      const stack = snap.stacks.find((s) => s.stackName === "api")
      expect(stack?.events.find((e) => e.logicalId === "Config" && e.status === "UPDATE_IN_PROGRESS")?.reason)
        .toContain("requires the creation of a new physical resource")
      expect(stack?.resources["Config"]?.physicalId).not.toBe(before)
      expect(snap.groups[0]?.launchConfigurationName).toBe(stack?.resources["Config"]?.physicalId)
    }).pipe(Effect.provide(world)))
})

describe("fake CloudFormation and transforms", () => {
  it.effect("takes a SAM template's Globals, and fails loudly on a template that a macro would reshape", () =>
    Effect.gen(function*() {
      yield* addShop
      const cfn = yield* CloudFormation
      const send = (body: string) =>
        cfn.updateStack({ stackName: SHOP, parameters: newAmi, capabilities: ["CAPABILITY_AUTO_EXPAND"], clientRequestToken: "tok-t", template: Option.some({ _tag: "Body", body }) })
      const macro = yield* Effect.exit(send(`Transform: ShopMacro\n${shopTemplate}`))
      expect(Exit.isFailure(macro) ? Cause.pretty(macro.cause) : "").toContain("is not modelled")
      expect(yield* send(`Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function: { Timeout: 3 }\n${shopTemplate}`)).toMatchObject({ _tag: "Started" })
    }).pipe(Effect.provide(world)))
})
