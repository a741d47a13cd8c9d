import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { AutoScaling } from "../../src/services/AutoScaling.js"
import { CloudFormation } from "../../src/services/CloudFormation.js"
import { addWeb, world } from "./Support.js"

const template = `
Parameters:
  DbPassword:
    Type: String
    NoEcho: true
  Env:
    Type: String
    Default: prod
    Description: Where it runs
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Web:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties: { MinSize: "2", MaxSize: "6" }
  ApiTemplate:
    Type: AWS::EC2::LaunchTemplate
  ApiTargets:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
  Api:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties:
      MinSize: 1
      MaxSize: 3
      DesiredCapacity: !If [IsProd, 2, 1]
      LaunchTemplate:
        LaunchTemplateId: !Ref ApiTemplate
        Version: !GetAtt ApiTemplate.LatestVersionNumber
      TargetGroupARNs: [!Ref ApiTargets]
      Tags:
        - { Key: Name, Value: !Sub "\${AWS::StackName}-api" }
  Alarms:
    Type: AWS::SNS::Topic
    Condition: IsProd
  Role:
    Type: AWS::IAM::Role
`

const addShop = Effect.gen(function*() {
  yield* addWeb()
  yield* (yield* FakeWorld).addStack({
    name: "shop",
    templateBody: template,
    parameters: { DbPassword: "hunter2" },
    existingGroups: { Web: "web" }
  })
})

describe("fake CloudFormation", () => {
  it.effect("describes a stack added as CREATE_COMPLETE, NoEcho parameters masked", () =>
    Effect.gen(function*() {
      yield* addShop
      const cfn = yield* CloudFormation
      const stack = Option.getOrThrow(yield* cfn.describeStack("shop"))
      expect(stack.status).toBe("CREATE_COMPLETE")
      expect(stack.stackId).toMatch(/^arn:aws:cloudformation:eu-west-1:123456789012:stack\/shop\//)
      expect(stack.parameters).toEqual([{ key: "DbPassword", value: "****" }, { key: "Env", value: "prod" }])
      expect(stack.capabilities).toEqual(["CAPABILITY_IAM"])
      expect(yield* cfn.describeStack("nope")).toEqual(Option.none())
      const snap = yield* (yield* FakeWorld).snapshot
      expect(snap.stacks[0]?.parameters).toEqual({ DbPassword: "hunter2", Env: "prod" })
      expect(snap.stacks[0]?.events.map((e) => `${e.logicalId} ${e.status}`).at(-1)).toBe("shop CREATE_COMPLETE")
    }).pipe(Effect.provide(world)))

  it.effect("lists resources: existing groups by name, others created as CreateStack would", () =>
    Effect.gen(function*() {
      yield* addShop
      const resources = yield* (yield* CloudFormation).listResources("shop")
      expect(resources.map((r) => [r.logicalId, r.resourceType, r.status])).toEqual([
        ["Web", "AWS::AutoScaling::AutoScalingGroup", "CREATE_COMPLETE"],
        ["ApiTemplate", "AWS::EC2::LaunchTemplate", "CREATE_COMPLETE"],
        ["ApiTargets", "AWS::ElasticLoadBalancingV2::TargetGroup", "CREATE_COMPLETE"],
        ["Api", "AWS::AutoScaling::AutoScalingGroup", "CREATE_COMPLETE"],
        ["Alarms", "AWS::SNS::Topic", "CREATE_COMPLETE"],
        ["Role", "AWS::IAM::Role", "CREATE_COMPLETE"]
      ])
      const byId = Object.fromEntries(resources.map((r) => [r.logicalId, r.physicalId]))
      expect(byId["Web"]).toBe("web")
      expect(byId["ApiTemplate"]).toMatch(/^lt-0[0-9a-f]{16}$/)
      expect(byId["ApiTargets"]).toMatch(/^arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup\//)
      const [api] = yield* (yield* AutoScaling).describeGroups([byId["Api"] ?? ""])
      expect(api?.desiredCapacity).toBe(2)
      expect(api?.launchTemplate).toEqual({ id: byId["ApiTemplate"], version: "1" })
      expect(api?.targetGroupArns).toEqual([byId["ApiTargets"]])
      expect(api?.tags).toEqual({ Name: "shop-api" })
      expect(api?.instances.map((i) => i.lifecycleState)).toEqual(["InService", "InService"])
      expect(yield* (yield* FakeWorld).healthyCount(api?.name ?? "")).toBe(2)
    }).pipe(Effect.provide(world)))

  it.effect("returns the template as deployed; a missing stack is a ValidationError", () =>
    Effect.gen(function*() {
      yield* addShop
      const cfn = yield* CloudFormation
      expect(yield* cfn.getTemplate("shop")).toBe(template)
      const missing = yield* Effect.flip(cfn.listResources("nope"))
      expect(missing.message).toBe("Stack with id nope does not exist")
      expect((yield* Effect.flip(cfn.getTemplate("nope")))._tag).toBe("AwsValidationError")
    }).pipe(Effect.provide(world)))

  it.effect("validates a template: parameters with defaults and NoEcho, capabilities, format errors", () =>
    Effect.gen(function*() {
      const cfn = yield* CloudFormation
      const ok = yield* cfn.validateTemplate({ _tag: "Body", body: template })
      expect(ok.parameters).toEqual([
        { key: "DbPassword", noEcho: true },
        { key: "Env", noEcho: false, defaultValue: "prod", description: "Where it runs" }
      ])
      expect(ok.capabilities).toEqual(["CAPABILITY_IAM"])
      const broken = yield* Effect.flip(cfn.validateTemplate({ _tag: "Body", body: "Resources:\n  A: [\n" }))
      expect(broken._tag).toBe("TemplateInvalid")
      const huge = yield* Effect.flip(cfn.validateTemplate({ _tag: "Body", body: `# ${"x".repeat(51_200)}\n${template}` }))
      expect(huge.message).toContain("51200")
      expect((yield* (yield* FakeWorld).calls).map((c) => c.operation)).toEqual(["ValidateTemplate", "ValidateTemplate", "ValidateTemplate"])
    }).pipe(Effect.provide(world)))

  it.effect("a stack set-up that names a missing group or parameter dies with the reason", () =>
    Effect.gen(function*() {
      const w = yield* FakeWorld
      const noGroup = yield* Effect.exit(w.addStack({ name: "s", templateBody: template, parameters: { DbPassword: "x" }, existingGroups: { Web: "ghost" } }))
      expect(String(Exit.isFailure(noGroup) ? noGroup.cause : "")).toContain("no group named ghost")
      yield* addWeb()
      const noValue = yield* Effect.exit(w.addStack({ name: "s", templateBody: template, existingGroups: { Web: "web" } }))
      expect(String(Exit.isFailure(noValue) ? noValue.cause : "")).toContain("Parameters: [DbPassword] must have values")
    }).pipe(Effect.provide(world)))
})
