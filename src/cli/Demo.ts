import * as Command from "@effect/cli/Command"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FakeAws from "../layers/fake/FakeAws.js"
import { FakeWorld } from "../layers/fake/FakeWorld.js"
import { rollStack } from "../program/StackRollout.js"
import * as Opt from "./CommonOptions.js"
import { runReported } from "./Run.js"

const STACK = "demo-shop"

const template = JSON.stringify({
  Resources: {
    WebGroup: { Type: "AWS::AutoScaling::AutoScalingGroup", Properties: { MinSize: "2", MaxSize: "4" } },
    ApiGroup: { Type: "AWS::AutoScaling::AutoScalingGroup", Properties: { MinSize: "3", MaxSize: "6" } }
  }
})

/** Two groups — one behind a classic ELB, one behind a target group — and a new release for both. */
export const setUpDemoWorld = Effect.gen(function*() {
  const world = yield* FakeWorld
  const tg = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/demo-api/0123456789abcdef"
  yield* world.addClassicLoadBalancer("demo-web-elb")
  yield* world.addTargetGroup(tg)
  yield* world.addGroup({
    name: "demo-shop-web",
    minSize: 2,
    maxSize: 4,
    desiredCapacity: 2,
    launchTemplate: { id: "lt-0d3m0web00000001", name: "demo-web", version: "1" },
    loadBalancerNames: ["demo-web-elb"],
    healthCheckType: "ELB"
  })
  yield* world.addGroup({
    name: "demo-shop-api",
    minSize: 3,
    maxSize: 6,
    desiredCapacity: 3,
    launchConfigurationName: "demo-api-v1",
    targetGroupArns: [tg],
    suspendedProcesses: ["ScheduledActions"]
  })
  yield* world.addStack({
    name: STACK,
    templateBody: template,
    existingGroups: { WebGroup: "demo-shop-web", ApiGroup: "demo-shop-api" }
  })
  yield* world.setLaunchTemplateVersion("demo-shop-web", "2")
  yield* world.setLaunchConfiguration("demo-shop-api", "demo-api-v2")
})

export const callsByOperation = Effect.gen(function*() {
  const calls = yield* (yield* FakeWorld).calls
  const counts = new Map<string, number>()
  for (const c of calls) counts.set(c.operation, (counts.get(c.operation) ?? 0) + 1)
  return [...counts.entries()].sort((a, b) => b[1] - a[1])
})

export const demo = Command.make("demo", { output: Opt.output }, (args) =>
  Effect.gen(function*() {
    if (args.output === "text") {
      yield* Console.log(`Simulated AWS (no account needed): stack ${STACK} with two groups and a new release for each.\n`)
    }
    yield* setUpDemoWorld
    yield* runReported(
      { mode: args.output, stack: STACK, region: "eu-west-1" },
      rollStack(STACK, { groups: [], healthyTimeout: Duration.seconds(60), pollInterval: Duration.seconds(1), replaceAll: false })
    )
    if (args.output === "text") {
      const calls = yield* callsByOperation
      yield* Console.log(`\nAWS calls made: ${calls.map(([op, n]) => `${op} ${n}`).join(", ")}`)
    }
  }).pipe(
    Effect.provide(FakeAws.layer({ launchDelay: "3 seconds", healthDelay: "2 seconds", drainDelay: "1 second" }))
  )
).pipe(Command.withDescription("Roll a simulated stack end to end on a real clock, with no AWS account."))
