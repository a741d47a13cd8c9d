import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import {
  conditionHolds,
  parseTemplate,
  requiredCapabilities,
  type ResolveContext,
  resolveValue,
  type TemplateDocument,
  templateParameters,
  templateResources
} from "../src/template/Template.js"

const yaml = `
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env: { Type: String, Default: prod, AllowedValues: [prod, dev] }
  Size: { Type: Number, Default: 3, MinValue: 1, MaxValue: 9 }
  Secret: { Type: String, NoEcho: "true", MinLength: 8 }
  Subnets: { Type: "List<AWS::EC2::Subnet::Id>", Default: "subnet-1, subnet-2" }
Mappings:
  Sizes: { prod: { Max: "6" }, dev: { Max: "2" } }
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  Big: !And [!Condition IsProd, !Not [!Equals [!Ref Size, "1"]]]
Resources:
  Group:
    Type: AWS::AutoScaling::AutoScalingGroup
    DependsOn: Template
    UpdatePolicy:
      AutoScalingRollingUpdate: { MaxBatchSize: 1 }
    Properties:
      AvailabilityZones: !GetAZs ""
      MaxSize: !FindInMap [Sizes, !Ref Env, Max]
      Zone: !Select [1, !GetAZs ""]
      Name: !Sub "\${AWS::StackName}-\${Env}-\${!Literal}"
      Named: !Sub ["\${Prefix}-x", { Prefix: !Ref Env }]
      Joined: !Join [",", !Ref Subnets]
      Split: !Split ["|", "a|b"]
      Version: !GetAtt Template.LatestVersionNumber
      Version2: !GetAtt [Template, DefaultVersionNumber]
      Maybe: !If [Big, !Ref "AWS::NoValue", small]
      UserData: !Base64 { "Fn::Sub": "echo \${AWS::Region}" }
      Imported: !ImportValue shared-vpc
  Template:
    Type: AWS::EC2::LaunchTemplate
    Condition: IsProd
`

const parsed = parseTemplate

const ctx = (doc: TemplateDocument, parameters: Readonly<Record<string, string>> = {}): ResolveContext => ({
  template: doc,
  parameters,
  region: "eu-west-1",
  stackName: "shop",
  physicalIds: { Template: "lt-123" },
  attributes: { Template: { LatestVersionNumber: "4", DefaultVersionNumber: "2" } },
  exports: { "shared-vpc": "vpc-9" }
})

describe("Template", () => {
  it.effect("parses YAML short tags into their long form", () =>
    Effect.gen(function*() {
      const doc = yield* parsed(yaml)
      const props = templateResources(doc)["Group"]?.Properties ?? {}
      expect(props["AvailabilityZones"]).toEqual({ "Fn::GetAZs": "" })
      expect(props["MaxSize"]).toEqual({ "Fn::FindInMap": ["Sizes", { Ref: "Env" }, "Max"] })
      expect(props["Version"]).toEqual({ "Fn::GetAtt": ["Template", "LatestVersionNumber"] })
      expect(props["Version2"]).toEqual({ "Fn::GetAtt": ["Template", "DefaultVersionNumber"] })
      expect(props["Named"]).toEqual({ "Fn::Sub": ["${Prefix}-x", { Prefix: { Ref: "Env" } }] })
      expect(props["UserData"]).toEqual({ "Fn::Base64": { "Fn::Sub": "echo ${AWS::Region}" } })
      expect((doc["Conditions"] as Record<string, unknown>)["Big"]).toEqual({
        "Fn::And": [{ Condition: "IsProd" }, { "Fn::Not": [{ "Fn::Equals": [{ Ref: "Size" }, "1"] }] }]
      })
    }))

  it.effect("reads JSON templates as they are", () =>
    Effect.gen(function*() {
      const doc = yield* parsed(JSON.stringify({ Resources: { Q: { Type: "AWS::SQS::Queue", Properties: { A: { Ref: "B" } } } } }))
      expect(templateResources(doc)["Q"]).toEqual({ Type: "AWS::SQS::Queue", Properties: { A: { Ref: "B" } }, DependsOn: [] })
    }))

  it.effect("refuses malformed text with one line that says where", () =>
    Effect.gen(function*() {
      const badYaml = yield* Effect.flip(parsed("Resources:\n  A:\n    Type: x\n   B: [\n"))
      expect(badYaml._tag).toBe("TemplateInvalid")
      expect(badYaml.message).toMatch(/^Template format error: YAML not well-formed: .*line \d+, column \d+/)
      expect(badYaml.message).not.toContain("\n")
      const badJson = yield* Effect.flip(parsed('{ "Resources": { "A": { "Type": "x" }, } '))
      expect(badJson.message).toMatch(/^Template format error: JSON not well-formed: .*line 1, column \d+/)
      expect((yield* Effect.flip(parsed("- just\n- a list\n"))).message).toContain("must be a JSON or YAML object")
      expect((yield* Effect.flip(parsed("Resources: {}\n"))).message).toContain("At least one Resources member")
      expect((yield* Effect.flip(parsed("Resources:\n  A: { Properties: {} }\n"))).message).toContain("[/Resources/A]")
      expect((yield* Effect.flip(parsed("Resources:\n  A: { Type: x }\nOutput: {}\n"))).message).toContain("[Output]")
      expect((yield* Effect.flip(parsed("Resources:\n  A: !Bogus x\n"))).message).toContain("!Bogus")
    }))

  it.effect("describes parameters and resources the way CloudFormation declares them", () =>
    Effect.gen(function*() {
      const doc = yield* parsed(yaml)
      const params = templateParameters(doc)
      expect(params["Env"]).toEqual({ Type: "String", Default: "prod", NoEcho: false, AllowedValues: ["prod", "dev"] })
      expect(params["Size"]).toEqual({ Type: "Number", Default: "3", NoEcho: false, MinValue: 1, MaxValue: 9 })
      expect(params["Secret"]).toEqual({ Type: "String", NoEcho: true, MinLength: 8 })
      const group = templateResources(doc)["Group"]
      expect(group?.DependsOn).toEqual(["Template"])
      expect(group?.UpdatePolicy).toEqual({ AutoScalingRollingUpdate: { MaxBatchSize: 1 } })
      expect(templateResources(doc)["Template"]?.Condition).toBe("IsProd")
      expect(requiredCapabilities(doc)).toEqual([])
      const iam = yield* parsed("Resources:\n  R: { Type: AWS::IAM::Role, Properties: { RoleName: r } }\nTransform: AWS::Serverless-2016-10-31\n")
      expect(requiredCapabilities(iam)).toEqual(["CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"])
    }))

  it.effect("evaluates intrinsic functions against parameters, resources and conditions", () =>
    Effect.gen(function*() {
      const doc = yield* parsed(yaml)
      const props = templateResources(doc)["Group"]?.Properties ?? {}
      const value = yield* resolveValue(props, ctx(doc))
      expect(value).toEqual({
        AvailabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
        MaxSize: "6",
        Zone: "eu-west-1b",
        Name: "shop-prod-${Literal}",
        Named: "prod-x",
        Joined: "subnet-1,subnet-2",
        Split: ["a", "b"],
        Version: "4",
        Version2: "2",
        UserData: "echo eu-west-1",
        Imported: "vpc-9"
      })
      const dev = (yield* resolveValue(props, ctx(doc, { Env: "dev" }))) as Record<string, unknown>
      expect([dev["MaxSize"], dev["Maybe"]]).toEqual(["2", "small"])
      expect(yield* conditionHolds("Big", ctx(doc, { Size: "1" }))).toBe(false)
      expect(yield* resolveValue({ Ref: "Template" }, ctx(doc))).toBe("lt-123")
      expect(yield* resolveValue({ "Fn::Sub": "${AWS::AccountId}:${AWS::Partition}" }, ctx(doc))).toBe("123456789012:aws")
      // A plain `Condition` key (an IAM policy's) is data, not a condition reference.
      expect(yield* resolveValue({ Condition: { StringEquals: { a: "b" } } }, ctx(doc))).toEqual({
        Condition: { StringEquals: { a: "b" } }
      })
    }))

  it.effect("says what it cannot resolve", () =>
    Effect.gen(function*() {
      const doc = yield* parsed(yaml)
      const unknown = yield* Effect.flip(resolveValue({ Ref: "Nope" }, ctx(doc)))
      expect(unknown.message).toBe("Template format error: Unresolved resource dependencies [Nope] in the Resources block of the template")
      const noSecret = yield* Effect.flip(resolveValue({ Ref: "Secret" }, ctx(doc)))
      expect(noSecret.message).toBe("Parameters: [Secret] must have values")
      const attr = yield* Effect.flip(resolveValue({ "Fn::GetAtt": ["Template", "Arn"] }, ctx(doc)))
      expect(attr.message).toContain("does not support attribute type Arn")
      const select = resolveValue({ "Fn::Select": ["5", ["a"]] }, ctx(doc))
      expect(Either.isLeft(select)).toBe(true)
      expect(Either.isLeft(resolveValue({ "Fn::Cidr": ["10.0.0.0/16", 2, 8] }, ctx(doc)))).toBe(true)
      expect(Either.isLeft(conditionHolds("Missing", ctx(doc)))).toBe(true)
    }))
})
