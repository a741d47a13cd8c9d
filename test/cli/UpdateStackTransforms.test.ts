import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Duration from "effect/Duration"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import * as FakeAws from "../../src/layers/fake/FakeAws.js"
import { DEFAULT_CAPABILITIES, planStackAction } from "../../src/program/stack/StackPlan.js"
import { checkGroupsBeforeDeploy } from "../../src/program/stack/StackChecks.js"
import { rollStack } from "../../src/program/stack/StackRollout.js"
import { parseTemplate } from "../../src/template/Template.js"
import { CloudFormation } from "../../src/services/CloudFormation.js"
import { addShop, mutating, SHOP, shopState, shopTemplate, templateFile, updateStackCli } from "../support/Stacks.js"

/** What the stack's last action acknowledged, as DescribeStacks reports it. */
const acknowledged = Effect.map(Effect.flatMap(CloudFormation, (cfn) => cfn.describeStack(SHOP)), (s) => Option.getOrThrow(s).capabilities)

const world = FakeAws.layer({ launchDelay: "60 seconds", healthDelay: "30 seconds", drainDelay: "10 seconds" })

/** The shop stack as a SAM template: the transform and its Globals on top, the same resources below. */
const samShop = templateFile(
  "sam-shop.yaml",
  `Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n    Timeout: 10\n${shopTemplate}`
)

describe("update-stack with a template that declares a transform", () => {
  it.effect("adds CAPABILITY_AUTO_EXPAND to the default capabilities, and the update goes through", () =>
    Effect.gen(function*() {
      yield* addShop
      const r = yield* updateStackCli([SHOP, "--template", samShop, "AmiId=ami-2", "--no-asgs"])
      expect(r.err).toEqual([])
      expect(r.code).toBe(0)
      expect(yield* acknowledged).toEqual(["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"])
      expect((yield* shopState).stack.parameters["AmiId"]).toBe("ami-2")
    }).pipe(Effect.provide(world)))

  it.effect("refuses a --capabilities list without CAPABILITY_AUTO_EXPAND before any mutating call", () =>
    Effect.gen(function*() {
      yield* addShop
      const r = yield* updateStackCli([SHOP, "--template", samShop, "--capabilities", "CAPABILITY_IAM", "AmiId=ami-2"])
      expect(r.code).toBe(2)
      expect(r.err).toEqual([
        "error: the template declares a transform, which CloudFormation expands only with CAPABILITY_AUTO_EXPAND: add it to --capabilities (now: CAPABILITY_IAM)"
      ])
      expect(yield* mutating).toEqual([])
      expect((yield* shopState).stack.parameters["AmiId"]).toBe("ami-1")
    }).pipe(Effect.provide(world)))

  it.effect("takes a --capabilities list that names CAPABILITY_AUTO_EXPAND as it is", () =>
    Effect.gen(function*() {
      yield* addShop
      const r = yield* updateStackCli([SHOP, "--template", samShop, "--capabilities", "CAPABILITY_AUTO_EXPAND", "AmiId=ami-2", "--no-asgs"])
      expect(r.code).toBe(0)
      expect(yield* acknowledged).toEqual(["CAPABILITY_AUTO_EXPAND"])
    }).pipe(Effect.provide(world)))
})

describe("the plan of a template under a macro", () => {
  const macroShop = `Transform: ShopMacro\n${shopTemplate}`

  it.effect("leaves the parameters to CloudFormation: one the macro may add is sent, not refused", () =>
    Effect.gen(function*() {
      yield* addShop
      const plan = yield* planStackAction(SHOP, {
        template: Option.some({ source: { _tag: "Body", body: macroShop }, body: Option.some(macroShop), origin: "macro.yaml" }),
        parameters: new Map([["AmiId", "banana"], ["Colour", "red"]]),
        capabilities: DEFAULT_CAPABILITIES
      })
      expect(plan.parameters).toEqual([
        { key: "AmiId", value: "banana" },
        { key: "DbPassword", usePreviousValue: true },
        { key: "Env", usePreviousValue: true },
        { key: "Colour", value: "red" }
      ])
      expect(plan.capabilities).toContain("CAPABILITY_AUTO_EXPAND")
      expect(yield* mutating).toEqual([])
    }).pipe(Effect.provide(world)))
})

describe("the groups of a template under AWS::LanguageExtensions", () => {
  it.effect("an --asg that Fn::ForEach will add is left to the rollout, not refused before the stack action", () =>
    Effect.gen(function*() {
      yield* addShop
      const body = `Transform: AWS::LanguageExtensions\n${shopTemplate}  Fn::ForEach::Colours:\n    - Colour\n    - [Blue, Green]\n    - Web\${Colour}:\n        Type: AWS::AutoScaling::AutoScalingGroup\n        Properties: { MinSize: "1", MaxSize: "2" }\n`
      const plan = yield* planStackAction(SHOP, {
        template: Option.some({ source: { _tag: "Body", body }, body: Option.some(body), origin: "colours.yaml" }),
        parameters: new Map([["AmiId", "ami-2"]]),
        capabilities: DEFAULT_CAPABILITIES
      })
      yield* checkGroupsBeforeDeploy(plan, ["WebBlue", "Web"])
      const typo = yield* Effect.flip(checkGroupsBeforeDeploy({ ...plan, document: Option.some(yield* parseTemplate(shopTemplate)) }, ["WebBlue"]))
      expect(typo.message).toContain("has no Auto Scaling group WebBlue")
      expect(yield* mutating).toEqual([])
    }).pipe(Effect.provide(world)))
})

describe("the rollout of a stack deployed with a transform", () => {
  it.effect("checks UpdatePolicy in the processed template, where what the transform added is", () =>
    Effect.gen(function*() {
      yield* (yield* FakeWorld).addStack({
        name: SHOP,
        templateBody: `Transform: AWS::LanguageExtensions\n${shopTemplate}`,
        parameters: { AmiId: "ami-1", DbPassword: "hunter2" }
      })
      const refused = yield* Effect.flip(rollStack(SHOP, { groups: [], healthyTimeout: Duration.minutes(10), pollInterval: Duration.seconds(5), replaceAll: true }))
      expect(refused._tag).toBe("UpdatePolicyPresent")
      expect(yield* mutating).toEqual([])
    }).pipe(
      // The fake world expands no transform: its processed template here is what CloudFormation would have made.
      Effect.provide(Layer.effect(CloudFormation, Effect.map(CloudFormation, (cfn) => ({
        ...cfn,
        getTemplate: (name: string, stage?: "Original" | "Processed") =>
          stage === "Processed"
            ? Effect.succeed(shopTemplate.replace("  Web:\n    Type: AWS::AutoScaling::AutoScalingGroup\n", "  Web:\n    Type: AWS::AutoScaling::AutoScalingGroup\n    UpdatePolicy:\n      AutoScalingReplacingUpdate:\n        WillReplace: true\n"))
            : cfn.getTemplate(name)
      })))),
      Effect.provide(world)
    ))
})
