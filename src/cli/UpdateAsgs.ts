import * as Command from "@effect/cli/Command"
import * as Args from "@effect/cli/Args"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { AwsClientConfig, type AwsClientSettings } from "../layers/live/AwsClientConfig.js"
import type { Alarms } from "../services/Alarms.js"
import type { AutoScaling } from "../services/AutoScaling.js"
import type { CloudFormation } from "../services/CloudFormation.js"
import type { LaunchTemplates } from "../services/LaunchTemplates.js"
import type { LoadBalancing } from "../services/LoadBalancing.js"
import type { TemplateBucket } from "../services/TemplateBucket.js"
import { programs } from "./Lazy.js"
import { awsSettings, withCallTimeout } from "./AwsSettings.js"
import * as Opt from "./CommonOptions.js"
import { parseParallel, positiveSeconds } from "./Flags.js"
import { runReported } from "./Run.js"
import { parseStrategy } from "./Strategy.js"

export const stackName = Args.text({ name: "STACK_NAME" }).pipe(Args.withDescription("the CloudFormation stack"))

const liveLayer = Layer.unwrapEffect(
  Effect.map(Effect.promise(() => import("../layers/live/LiveAws.js")), (m) => m.layerWithoutDependencies)
)

const options = {
  stackName,
  region: Opt.region,
  profile: Opt.profile,
  endpointUrl: Opt.endpointUrl,
  callTimeout: Opt.callTimeout,
  asg: Opt.asgs,
  healthyTimeout: Opt.healthyTimeout,
  pollInterval: Opt.pollInterval,
  replaceAll: Opt.replaceAll,
  maxSurge: Opt.maxSurge,
  canary: Opt.canary,
  bake: Opt.bake,
  alarm: Opt.alarms,
  freezeScaling: Opt.freezeScaling,
  parallel: Opt.parallel,
  output: Opt.output
}

/** Where the AWS services come from: the live SDK layers, or the fake world in tests. */
export type AwsProvider = <A, E, R>(
  program: Effect.Effect<A, E, R>,
  settings: AwsClientSettings
) => Effect.Effect<A, E, Exclude<R, AutoScaling | LoadBalancing | CloudFormation | LaunchTemplates | Alarms | TemplateBucket>>

export const liveAws: AwsProvider = (program, settings) =>
  program.pipe(Effect.provide(liveLayer), Effect.provideService(AwsClientConfig, settings))

export const makeUpdateAsgs = (provideAws: AwsProvider) => Command.make("update-asgs", options, (args) =>
  Effect.gen(function*() {
    const settings = yield* awsSettings(args)
    const program = Effect.gen(function*() {
      const healthyTimeout = yield* positiveSeconds("healthy-timeout", args.healthyTimeout)
      const pollInterval = yield* positiveSeconds("poll-interval", args.pollInterval)
      const parallel = yield* parseParallel(args.parallel)
      const strategy = yield* parseStrategy(args)
      const { rollStack } = yield* programs
      return yield* rollStack(args.stackName, {
        groups: args.asg,
        parallel,
        healthyTimeout,
        pollInterval,
        replaceAll: args.replaceAll,
        ...strategy
      })
    })
    yield* runReported({ mode: args.output, stack: args.stackName, region: settings.region }, withCallTimeout(args.callTimeout)(provideAws(program, settings)))
  })
).pipe(
  Command.withDescription(
    "Replace the instances of the stack's Auto Scaling groups without dropping below the capacity serving traffic. " +
      "Exit codes: 0 done or nothing to do, 2 invalid input, a busy group or one another rollout holds (nothing changed), 3 rolled back, 4 AWS refused or failed, 130 interrupted."
  )
)

export const updateAsgs = makeUpdateAsgs(liveAws)
