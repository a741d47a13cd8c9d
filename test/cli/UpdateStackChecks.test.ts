import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { encodeRecord } from "../../src/program/rollout/RolloutRecord.js"
import { AutoScaling } from "../../src/services/AutoScaling.js"
import { addShop, mutating, SHOP, shopState, shopTemplate, templateFile, updateStackCli } from "../support/Stacks.js"

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })

/** The shop template with an UpdatePolicy on its group, as the new template being deployed. */
const withUpdatePolicy = shopTemplate.replace(
  "  Web:\n    Type: AWS::AutoScaling::AutoScalingGroup\n",
  "  Web:\n    Type: AWS::AutoScaling::AutoScalingGroup\n    UpdatePolicy:\n      AutoScalingRollingUpdate:\n        MaxBatchSize: 1\n"
)

const STACK_ACTIONS = ["UpdateStack", "CreateStack", "CreateChangeSet", "ExecuteChangeSet"]

const refusedBeforeTheStackAction = (r: { readonly code: number }) =>
  Effect.gen(function*() {
    expect(r.code).toBe(2)
    expect(yield* mutating).toEqual([])
    expect((yield* mutating).filter((op) => STACK_ACTIONS.includes(op))).toEqual([])
  })

describe("update-stack checks the groups before it changes the stack", () => {
  it.effect("a typo in --asg: exit 2, the stack is not updated", () =>
    Effect.gen(function*() {
      yield* addShop
      const r = yield* updateStackCli([SHOP, "AmiId=ami-2", "--asg", "Wbe"])
      yield* refusedBeforeTheStackAction(r)
      expect(r.err.join("\n")).toContain("has no Auto Scaling group Wbe")
      expect((yield* shopState).stack.parameters["AmiId"]).toBe("ami-1")
    }).pipe(Effect.provide(world)))

  it.effect("an UpdatePolicy in the NEW template: exit 2, the stack is not updated", () =>
    Effect.gen(function*() {
      yield* addShop
      const r = yield* updateStackCli([SHOP, "--template", templateFile("with-policy.yaml", withUpdatePolicy), "AmiId=ami-2"])
      yield* refusedBeforeTheStackAction(r)
      expect(r.err.join("\n")).toContain("has an UpdatePolicy (AutoScalingRollingUpdate)")
      expect((yield* shopState).stack.parameters["AmiId"]).toBe("ami-1")
    }).pipe(Effect.provide(world)))

  it.effect("an UpdatePolicy in the template of a stack to create: exit 2, nothing is created", () =>
    Effect.gen(function*() {
      const r = yield* updateStackCli([SHOP, "--template", templateFile("create-with-policy.yaml", withUpdatePolicy), "AmiId=ami-1", "DbPassword=secret1"])
      yield* refusedBeforeTheStackAction(r)
      expect(r.err.join("\n")).toContain("UpdatePolicy")
    }).pipe(Effect.provide(world)))

  it.effect("a leftover rollout record on an existing group: exit 2, the stack is not updated", () =>
    Effect.gen(function*() {
      yield* addShop
      const { web } = yield* shopState
      yield* (yield* AutoScaling).setTags(web.name, encodeRecord({
        id: "dead",
        stack: SHOP,
        phase: "waiting",
        startedAt: 0,
        sizes: { minSize: 2, maxSize: 4, desiredCapacity: 2 },
        needed: 2,
        ours: [],
        oldIds: web.instances.map((i) => i.instanceId)
      }))
      const before = (yield* mutating).length
      const r = yield* updateStackCli([SHOP, "AmiId=ami-2"])
      expect(r.code).toBe(2)
      expect((yield* mutating).slice(before)).toEqual([])
      expect(r.err.join("\n")).toContain("run \"aws-ha-updater recover shop\" first")
      expect((yield* shopState).stack.parameters["AmiId"]).toBe("ami-1")
    }).pipe(Effect.provide(world)))

  it.effect("a busy group (an Instance Refresh in progress): exit 2, the stack is not updated", () =>
    Effect.gen(function*() {
      yield* addShop
      const { web } = yield* shopState
      const asg = yield* AutoScaling
      const before = (yield* mutating).length
      const r = yield* updateStackCli([SHOP, "AmiId=ami-2"]).pipe(
        // The fake world has no Instance Refresh: this one group reports one.
        Effect.provideService(AutoScaling, { ...asg, instanceRefreshInProgress: (g) => Effect.succeed(g === web.name) })
      )
      expect(r.code).toBe(2)
      expect((yield* mutating).slice(before)).toEqual([])
      expect(r.err.join("\n")).toContain(`group ${web.name} is busy: an Instance Refresh is in progress`)
      expect((yield* shopState).stack.parameters["AmiId"]).toBe("ami-1")
    }).pipe(Effect.provide(world)))

  it.effect("a group another run holds (its claim): exit 2, the stack is not updated", () =>
    Effect.gen(function*() {
      yield* addShop
      const { web } = yield* shopState
      yield* (yield* AutoScaling).setTags(web.name, { "aws-ha-updater:claim:another-run": `${new Date(0).toISOString()}/30` })
      const before = (yield* mutating).length
      const r = yield* updateStackCli([SHOP, "AmiId=ami-2"])
      expect(r.code).toBe(2)
      expect((yield* mutating).slice(before)).toEqual([])
      expect(r.err.join("\n")).toContain(`another rollout holds group ${web.name}`)
      expect((yield* shopState).stack.parameters["AmiId"]).toBe("ami-1")
    }).pipe(Effect.provide(world)))

  it.effect("--no-asgs checks no group: the stack is updated even with a record on the group", () =>
    Effect.gen(function*() {
      yield* addShop
      const r = yield* updateStackCli([SHOP, "AmiId=ami-2", "--no-asgs", "--asg", "Wbe"])
      expect(r.code).toBe(0)
      expect((yield* mutating)).toContain("UpdateStack")
    }).pipe(Effect.provide(world)))
})
