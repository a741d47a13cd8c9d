import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import {
  parametersCertain,
  parseTemplate,
  requiredCapabilities,
  resourcesCertain,
  templateParameters,
  templateResources
} from "../src/template/Template.js"

const refused = (body: string) => Effect.map(Effect.flip(parseTemplate(body)), (e) => e.message)

describe("Template short tags", () => {
  it.effect("parses every short tag CloudFormation defines, in its scalar, sequence and map forms", () =>
    Effect.gen(function*() {
      const doc = yield* parseTemplate(`
Rules:
  Prod:
    RuleCondition: !Equals [!Ref Env, prod]
    Assertions:
      - Assert: !Contains [[a, b], !Ref Env]
      - Assert: !EachMemberEquals [!RefAll "AWS::EC2::VPC::Id", vpc-1]
      - Assert: !EachMemberIn [!ValueOfAll ["AWS::EC2::Subnet::Id", VpcId], !RefAll "AWS::EC2::VPC::Id"]
      - Assert: !Equals [!ValueOf [Subnet, VpcId], vpc-1]
Resources:
  Q:
    Type: AWS::SQS::Queue
    Properties:
      Count: !Length [a, b]
      Doc: !ToJsonString { a: !Ref Env }
      List: !ToJsonString [1, 2]
      Peer: !GetStackOutput { StackName: net, OutputName: VpcId }
      Included: !Transform { Name: AWS::Include, Parameters: { Location: s3://b/k } }
      Blocks: !Cidr [10.0.0.0/16, 4, 8]
      Cond: !Condition IsProd
`)
      const rules = doc["Rules"] as Record<string, any>
      expect(rules["Prod"].Assertions).toEqual([
        { Assert: { "Fn::Contains": [["a", "b"], { Ref: "Env" }] } },
        { Assert: { "Fn::EachMemberEquals": [{ "Fn::RefAll": "AWS::EC2::VPC::Id" }, "vpc-1"] } },
        { Assert: { "Fn::EachMemberIn": [{ "Fn::ValueOfAll": ["AWS::EC2::Subnet::Id", "VpcId"] }, { "Fn::RefAll": "AWS::EC2::VPC::Id" }] } },
        { Assert: { "Fn::Equals": [{ "Fn::ValueOf": ["Subnet", "VpcId"] }, "vpc-1"] } }
      ])
      expect(templateResources(doc)["Q"]?.Properties).toEqual({
        Count: { "Fn::Length": ["a", "b"] },
        Doc: { "Fn::ToJsonString": { a: { Ref: "Env" } } },
        List: { "Fn::ToJsonString": [1, 2] },
        Peer: { "Fn::GetStackOutput": { StackName: "net", OutputName: "VpcId" } },
        Included: { "Fn::Transform": { Name: "AWS::Include", Parameters: { Location: "s3://b/k" } } },
        Blocks: { "Fn::Cidr": ["10.0.0.0/16", 4, 8] },
        Cond: { Condition: "IsProd" }
      })
    }))

  it.effect("still refuses a tag CloudFormation does not know", () =>
    Effect.gen(function*() {
      expect(yield* refused("Resources:\n  A: { Type: x, Properties: { P: !ForEach [a] } }\n")).toContain("!ForEach")
    }))
})

describe("Templates with transforms", () => {
  it.effect("accepts SAM's Globals under the SAM transform, and only there", () =>
    Effect.gen(function*() {
      const sam = "Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function: { Timeout: 5 }\nResources:\n  F: { Type: AWS::Serverless::Function }\n"
      yield* parseTemplate(sam)
      yield* parseTemplate(sam.replace("Transform: AWS::Serverless-2016-10-31", "Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]"))
      expect(yield* refused(sam.replace("Transform: AWS::Serverless-2016-10-31\n", ""))).toBe(
        "Template format error: Invalid template property or properties [Globals]"
      )
    }))

  it.effect("accepts Fn::ForEach keys in Resources, Outputs and Conditions under AWS::LanguageExtensions", () =>
    Effect.gen(function*() {
      const body = `Transform: AWS::LanguageExtensions
Conditions:
  Fn::ForEach::Envs:
    - Env
    - [Dev, Prod]
    - Is\${Env}: !Equals [!Ref Stage, !Ref Env]
Resources:
  Fn::ForEach::Queues:
    - Name
    - [A, B]
    - Queue\${Name}: { Type: AWS::SQS::Queue }
Outputs:
  Fn::ForEach::QueueArns:
    - Name
    - [A, B]
    - Queue\${Name}Arn: { Value: !GetAtt [!Sub "Queue\${Name}", Arn] }
`
      const doc = yield* parseTemplate(body)
      expect(templateResources(doc)).toEqual({})
      expect(resourcesCertain(doc)).toBe(false)
      expect(yield* refused(body.replace("Transform: AWS::LanguageExtensions\n", ""))).toBe(
        "Template format error: [/Resources/Fn::ForEach::Queues] Every Resources object must contain a Type member."
      )
    }))

  it.effect("leaves everything to a macro it does not know", () =>
    Effect.gen(function*() {
      const doc = yield* parseTemplate("Transform: [ShopMacro]\nServices:\n  web: { image: nginx }\n")
      expect(resourcesCertain(doc)).toBe(false)
      expect(parametersCertain(doc)).toBe(false)
      expect(requiredCapabilities(doc)).toEqual(["CAPABILITY_AUTO_EXPAND"])
      yield* parseTemplate("Transform: { Name: AWS::Include, Parameters: { Location: s3://b/base.yaml } }\nResources: {}\n")
    }))

  it.effect("accepts what an embedded Fn::Transform inserts, and asks for CAPABILITY_AUTO_EXPAND", () =>
    Effect.gen(function*() {
      const doc = yield* parseTemplate(`Parameters:
  Env: { Type: String }
  Fn::Transform: { Name: AWS::Include, Parameters: { Location: s3://b/params.yaml } }
Resources:
  Fn::Transform:
    Name: AWS::Include
    Parameters: { Location: s3://b/queues.yaml }
  Topic:
    Fn::Transform: { Name: AWS::Include, Parameters: { Location: s3://b/topic.yaml } }
`)
      expect(Object.keys(templateParameters(doc))).toEqual(["Env"])
      // Topic is declared by what the transform inserts: its type is not known before.
      expect(Object.keys(templateResources(doc))).toEqual([])
      expect(parametersCertain(doc)).toBe(false)
      expect(resourcesCertain(doc)).toBe(false)
      expect(requiredCapabilities(doc)).toEqual(["CAPABILITY_AUTO_EXPAND"])
    }))

  it.effect("keeps parameters certain under SAM and AWS::LanguageExtensions, which do not reshape them", () =>
    Effect.gen(function*() {
      const doc = yield* parseTemplate("Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]\nParameters:\n  Env: { Type: String }\nResources:\n  F: { Type: AWS::Serverless::Function }\n")
      expect(parametersCertain(doc)).toBe(true)
      expect(resourcesCertain(doc)).toBe(true)
      expect(requiredCapabilities(doc)).toEqual(["CAPABILITY_AUTO_EXPAND"])
      const plain = yield* parseTemplate("Parameters:\n  Env: { Type: String }\nResources:\n  Q: { Type: AWS::SQS::Queue }\n")
      expect([parametersCertain(plain), resourcesCertain(plain), requiredCapabilities(plain)]).toEqual([true, true, []])
    }))
})
