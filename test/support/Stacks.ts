import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { makeUpdateStack } from "../../src/cli/UpdateStack.js"
import { FakeWorld } from "../../src/layers/fake/FakeWorld.js"
import { fromContext, runCommand } from "./RunCommand.js"

export const SHOP = "shop"

/**
 * The shop stack in YAML with short tags: AmiId feeds the launch template whose latest version the group runs, so a
 * new AmiId means a new launch template version and outdated instances. DbPassword is NoEcho.
 */
export const shopTemplate = `
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  AmiId:
    Type: String
    AllowedPattern: "ami-[a-z0-9]+"
    ConstraintDescription: an AMI id such as ami-0abc
  DbPassword:
    Type: String
    NoEcho: true
    MinLength: 6
  Env:
    Type: String
    Default: prod
    AllowedValues: [dev, prod]
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  WebTemplate:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        ImageId: !Ref AmiId
        UserData:
          Fn::Base64: !Sub "db=\${DbPassword} env=\${Env}"
  Web:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties:
      MinSize: "2"
      MaxSize: "4"
      DesiredCapacity: !If [IsProd, "2", "1"]
      LaunchTemplate:
        LaunchTemplateId: !Ref WebTemplate
        Version: !GetAtt WebTemplate.LatestVersionNumber
      LoadBalancerNames: [shop-elb]
      Tags:
        - Key: Name
          Value: !Sub "\${AWS::StackName}-web"
          PropagateAtLaunch: true
  Orders:
    Type: AWS::SQS::Queue
`

/** The shop stack as created long ago with AmiId ami-1, its group running launch template version 1. */
export const addShop = Effect.flatMap(FakeWorld, (w) =>
  w.addStack({ name: SHOP, templateBody: shopTemplate, parameters: { AmiId: "ami-1", DbPassword: "hunter2" } }))

const dir = mkdtempSync(join(tmpdir(), "update-stack-"))

/** Writes a template file for `--template`. */
export const templateFile = (name: string, body: string): string => {
  const path = join(dir, name)
  writeFileSync(path, body)
  return path
}

/** The stack and its web group as the world has them now. */
export const shopState = Effect.gen(function*() {
  const snap = yield* (yield* FakeWorld).snapshot
  const stack = snap.stacks.find((s) => s.stackName === SHOP)
  const webName = stack?.resources["Web"]?.physicalId
  const web = snap.groups.find((g) => g.name === webName)
  if (stack === undefined || web === undefined) return yield* Effect.dieMessage("no shop stack with its web group")
  return { stack, web, now: snap.now }
})

const command = makeUpdateStack(fromContext)

/** Runs `update-stack ARGS` as the binary would, on the TestClock; returns its exit code and what it printed. */
export const updateStackCli = (args: ReadonlyArray<string>, step: Duration.DurationInput = "5 seconds") =>
  Effect.gen(function*() {
    const r = yield* runCommand(command, "update-stack", args, step)
    const lines = args.includes("json") ? r.out.map((l: string) => JSON.parse(l) as Record<string, any>) : []
    return { ...r, lines, summary: lines.at(-1) }
  })

export const callsOf = Effect.flatMap(FakeWorld, (w) => w.calls)

export const mutating = Effect.map(callsOf, (calls) => calls.filter((c) => c.mutating).map((c) => c.operation))
