import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as FakeAws from "../layers/fake/FakeAws.js"
import { FakeWorld } from "../layers/fake/FakeWorld.js"
import { DEFAULT_CAPABILITIES } from "../program/stack/StackPlan.js"
import { updateStack } from "../program/stack/StackUpdate.js"
import { runReported } from "./Run.js"
import { stackFailureOutcome, updateOutcome } from "./UpdateStack.js"

const STACK = "demo-shop"
const TARGET_GROUP = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/demo-api/0123456789abcdef"
const RELEASE = "ami-0b2c3d4e5f6a7b8c9"

/** AmiId feeds the web group's launch template and the api group's launch configuration: a new one is a release. */
const template = `
Parameters:
  AmiId:
    Type: String
    AllowedPattern: "ami-[0-9a-f]+"
  DbPassword:
    Type: String
    NoEcho: true
Resources:
  WebTemplate:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        ImageId: !Ref AmiId
        InstanceType: t3.small
  WebGroup:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties:
      AutoScalingGroupName: demo-shop-web
      MinSize: "2"
      MaxSize: "4"
      DesiredCapacity: "2"
      HealthCheckType: ELB
      LaunchTemplate:
        LaunchTemplateId: !Ref WebTemplate
        Version: !GetAtt WebTemplate.LatestVersionNumber
      LoadBalancerNames: [demo-web-elb]
  ApiConfig:
    Type: AWS::AutoScaling::LaunchConfiguration
    Properties:
      ImageId: !Ref AmiId
      InstanceType: t3.medium
  ApiGroup:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties:
      MinSize: "3"
      MaxSize: "6"
      DesiredCapacity: "3"
      LaunchConfigurationName: !Ref ApiConfig
      TargetGroupARNs: ["${TARGET_GROUP}"]
`

/**
 * The demo stack on its first AMI: the web group (behind a classic ELB) as the stack made it, the api group (behind a
 * target group) an older one the stack adopted, with ScheduledActions suspended by its owners.
 */
export const setUpDemoWorld = Effect.gen(function*() {
  const world = yield* FakeWorld
  yield* world.addClassicLoadBalancer("demo-web-elb")
  yield* world.addTargetGroup(TARGET_GROUP)
  yield* world.addGroup({
    name: "demo-shop-api",
    minSize: 3,
    maxSize: 6,
    desiredCapacity: 3,
    launchConfigurationName: "demo-api-v1",
    targetGroupArns: [TARGET_GROUP],
    suspendedProcesses: ["ScheduledActions"]
  })
  yield* world.addStack({
    name: STACK,
    templateBody: template,
    parameters: { AmiId: "ami-0a1b2c3d4e5f6a7b8", DbPassword: "correct-horse" },
    existingGroups: { ApiGroup: "demo-shop-api" }
  })
})

/** What `update-stack demo-shop AmiId=…` runs: the stack update, followed to its end, then the rollout. */
const demoRun = (mode: "text" | "json") =>
  updateStack(STACK, {
    template: Option.none(),
    parameters: new Map([["AmiId", RELEASE]]),
    capabilities: DEFAULT_CAPABILITIES,
    warmup: Duration.seconds(25),
    actionTimeout: Duration.seconds(60),
    lenientLookBack: Duration.seconds(5),
    pollInterval: Duration.seconds(1),
    rollout: Option.some({ groups: [], healthyTimeout: Duration.seconds(60), pollInterval: Duration.seconds(1), replaceAll: false })
  }).pipe(
    Effect.map(updateOutcome),
    Effect.catchTags({ StackActionFailed: stackFailureOutcome(mode), StackActionTimedOut: stackFailureOutcome(mode) })
  )

export const callsByOperation = Effect.gen(function*() {
  const calls = yield* (yield* FakeWorld).calls
  const counts = new Map<string, number>()
  for (const c of calls) counts.set(c.operation, (counts.get(c.operation) ?? 0) + 1)
  return [...counts.entries()].sort((a, b) => b[1] - a[1])
})

/** The demo's whole run: loaded only when `demo` is the command, so `--help` never loads the simulated world. */
export const runDemo = (output: "text" | "json") =>
  Effect.gen(function*() {
    if (output === "text") {
      yield* Console.log(`Simulated AWS (no account needed): stack ${STACK} with two groups, and a new AMI for both.`)
      yield* Console.log(`$ aws-ha-updater update-stack ${STACK} AmiId=${RELEASE}\n`)
    }
    yield* setUpDemoWorld
    yield* runReported({ mode: output, stack: STACK, region: "eu-west-1" }, demoRun(output))
    if (output === "text") {
      const calls = yield* callsByOperation
      yield* Console.log(`\nAWS calls made: ${calls.map(([op, n]) => `${op} ${n}`).join(", ")}`)
    }
  }).pipe(
    Effect.provide(
      FakeAws.layer({ launchDelay: "3 seconds", healthDelay: "2 seconds", drainDelay: "1 second", stackEventInterval: "400 millis" })
    )
  )
